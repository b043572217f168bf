// One backup pass: look at the folders, decide per file (limits, content, what the server
// already has), upload what is missing through tus with the rules checked before every chunk,
// and record every outcome in the local state. `shoebox backup run` runs one pass; the agent
// runs passes whenever its folders change, on a timer, and when a rule starts holding again.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "agent/conditions.h"
#include "agent/local_state.h"
#include "agent/settings.h"
#include "ports/media_inspector.h"

namespace shoebox::agent {

// Limits before upload; the server's own (GET /api/v1/server/info) replace these defaults.
struct ServerLimits {
  std::int64_t photo_max_bytes = 75'000'000;
  std::int64_t photo_max_pixels = 100'000'000;
  std::int64_t video_max_bytes = 10'000'000'000;
  std::size_t exist_batch = 1000;
};

// Live figures of the running pass, read by the progress display and the status writer while
// the pass runs.
struct PassProgress {
  std::atomic<std::int64_t> files_to_send{0};
  std::atomic<std::int64_t> files_sent{0};
  std::atomic<std::int64_t> bytes_to_send{0};
  std::atomic<std::int64_t> bytes_sent{0};
  std::atomic<int> hold{0};  // a Hold while the pass waits for a rule
  std::mutex mutex;
  std::string phase;         // "scanning", "hashing", "checking with the server", "uploading"
  std::vector<std::string> current;  // files being sent now
};

struct PassOptions {
  bool reupload_deleted = false;
  // Leave files modified within the settle time for later (the agent, whose watcher reports
  // them once quiet); a pass the user starts takes everything there is.
  bool leave_fresh_files = false;
  // Scan and look at new files only (content, limits, hashes): no upload, no network.
  bool look_only = false;
  // Polled between steps and while waiting: true ends the pass soon (uploads resume later).
  std::function<bool()> stop_requested = [] { return false; };
  // Only these paths (the watcher's); empty: full scan of every folder.
  std::vector<std::string> only_paths;
  // Told every decision about a file: ("uploaded", path, ""), ("skipped", path, reason)...
  std::function<void(const std::string& what, const std::string& path, const std::string& why)> on_item;
};

struct PassSummary {
  Hold hold = Hold::kNone;     // the pass stopped (or never started) because of this rule
  std::string hold_detail;
  std::int64_t files_seen = 0;
  std::int64_t new_files = 0;
  std::int64_t uploaded = 0;
  std::int64_t already_on_server = 0;
  std::int64_t skipped = 0;
  std::int64_t failed = 0;
  std::int64_t deleted_on_server = 0;
  std::int64_t bytes_uploaded = 0;
  std::int64_t still_being_written = 0;  // modified within the settle time: left for later
  std::vector<std::string> problems;  // folders that could not be read, and such
};

class BackupEngine {
 public:
  BackupEngine(LocalState& state, MediaInspector& inspector);

  Result<PassSummary> RunPass(const Settings& settings, const Credentials& credentials,
                              const PassOptions& options, PassProgress& progress);

  // Every rule including whether the server answers (and with what limits); kNone: go ahead.
  Hold CheckRules(const Settings& settings, const std::optional<Credentials>& credentials,
                  std::string* detail = nullptr);

 private:
  Result<void> Scan(const Settings& settings, const PassOptions& options, PassSummary& summary);
  Result<void> Prepare(const Settings& settings, const PassOptions& options, PassSummary& summary);
  Result<void> AskServer(const Credentials& credentials, const PassOptions& options,
                         PassSummary& summary);
  Result<void> Upload(const Settings& settings, const Credentials& credentials,
                      const PassOptions& options, PassProgress& progress, PassSummary& summary);

  LocalState& state_;
  MediaInspector& inspector_;
  ServerLimits limits_;
  std::int64_t max_chunk_bytes_ = 0;  // lowered after a proxy's 413; 0: the setting
};

// "11.2 GB", "830 KB": decimal units as the limits are published.
std::string HumanBytes(std::int64_t bytes);

}  // namespace shoebox::agent
