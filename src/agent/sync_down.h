// Two-way sync, the device's half: mirrors the user's library (what every device uploaded) into
// a local gallery folder, incrementally from the server's change feed, as previews (small JPEGs
// and web videos) or originals. Files this device uploaded itself are not downloaded again;
// assets deleted on the server disappear from the folder.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "agent/local_state.h"
#include "agent/settings.h"

namespace shoebox::agent {

struct SyncSummary {
  std::int64_t downloaded = 0;
  std::int64_t bytes = 0;
  std::int64_t removed = 0;
  std::int64_t own = 0;        // uploaded by this device: not downloaded
  std::int64_t not_ready = 0;  // previews still being made: they come with a later change
};

// `log`, when set, gets one line per file written or removed.
Result<SyncSummary> SyncDown(LocalState& state, const Credentials& credentials,
                             const std::string& folder, bool originals,
                             const std::function<void(const std::string&)>* log);

}  // namespace shoebox::agent
