// `shoebox verify` and `shoebox free-up-space`: both ask the server, not just the local state,
// whether each backed-up file is really there.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "agent/local_state.h"
#include "agent/settings.h"

namespace shoebox::agent {

struct VerifyReport {
  std::int64_t safe = 0;      // on the server, Original quality, outside the trash
  std::int64_t saver = 0;     // on the server in Storage saver quality (original kept locally)
  std::vector<std::pair<std::string, std::string>> not_safe;  // path, why
};

// Compares every file the local state knows (after a fresh scan by the caller) with the server.
// Files the server lost become pending again, so the next backup sends them.
Result<VerifyReport> VerifyWithServer(LocalState& state, const Credentials& credentials);

struct FreedSpace {
  std::int64_t files = 0;
  std::int64_t bytes = 0;
  std::vector<std::pair<std::string, std::string>> kept;  // path, why it was kept
};

// Deletes local files whose exact bytes (re-hashed now) the server holds in Original quality,
// outside the trash. With `dry_run` nothing is deleted and the figures say what would be.
Result<FreedSpace> FreeUpSpace(LocalState& state, const Credentials& credentials, bool dry_run,
                               const std::function<void(const std::string&)>& log);

}  // namespace shoebox::agent
