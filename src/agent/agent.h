// `shoebox agent`: the long-running backup. Watches the backed-up folders with inotify (new,
// moved-in and finished-writing files, after a quiet period so nothing is sent half-written),
// rescans them periodically, re-reads its settings when they change, obeys the rules
// continuously, reports its state locally (for `shoebox status`) and to the server, and survives
// restarts and network loss (uploads resume from the server's offset).
#pragma once

#include <atomic>

#include "agent/settings.h"
#include "ports/media_inspector.h"

namespace shoebox::agent {

// Runs until `stop` becomes true (SIGTERM/SIGINT). Returns the process exit code.
int RunAgent(const Paths& paths, MediaInspector& inspector, std::atomic<bool>& stop);

// Puts `status` (a StatusJson) to the server for this device; best effort.
void ReportToServer(const Credentials& credentials, const std::string& status_json);

}  // namespace shoebox::agent
