// What `shoebox status` says, and what the agent reports to the server: exactly one headline
// state, the counts, the last backup time, and the skipped and failed items with their reasons.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agent/conditions.h"
#include "agent/local_state.h"
#include "agent/settings.h"

namespace shoebox::agent {

// What a running agent last wrote about itself (in the local state, key "agent").
struct AgentReport {
  int pid = 0;
  std::int64_t heartbeat_ms = 0;
  Hold hold = Hold::kNone;
  std::string hold_detail;
  std::string phase;
  double bytes_per_second = 0;  // recent upload rate
  std::int64_t bytes_in_flight = 0;  // sent of the files being uploaded now
  std::vector<std::string> current;
};

nlohmann::json AgentReportJson(const AgentReport& report);
std::optional<AgentReport> ReadAgentReport(LocalState& state);
// True when the report is fresh and its process is alive.
bool AgentIsRunning(const AgentReport& report, std::int64_t now_ms);

struct ItemLine {
  std::string path;
  std::string reason;
};

struct BackupStatus {
  std::string state;     // off | signed_out | waiting_for_connection | waiting_for_wifi |
                         // waiting_for_power | backing_up | complete
  std::string headline;  // "Backing up 3 items (12.4 MB left, about 1 min)"
  std::string detail;    // why a rule holds, when known
  std::int64_t pending = 0;        // still to send (incl. failed ones awaiting a retry)
  std::int64_t pending_bytes = 0;
  std::int64_t uploaded = 0;
  std::int64_t skipped = 0;
  std::int64_t failed = 0;
  std::int64_t deleted_on_server = 0;
  std::int64_t last_backup_at = 0;  // unix millis; 0: never
  bool agent_running = false;
  std::vector<ItemLine> skipped_items;
  std::vector<ItemLine> failed_items;
  std::vector<std::string> uploading_now;
};

// `hold` is the rule that holds now (from the agent, or checked by the caller).
Result<BackupStatus> BuildStatus(const Settings& settings, LocalState& state, Hold hold,
                                 const std::string& hold_detail,
                                 const std::optional<AgentReport>& agent);

nlohmann::json StatusJson(const BackupStatus& status);
// JSON text that survives file names in any encoding (invalid UTF-8 becomes U+FFFD).
std::string JsonText(const nlohmann::json& json, int indent = -1);
std::string StatusText(const BackupStatus& status);

}  // namespace shoebox::agent
