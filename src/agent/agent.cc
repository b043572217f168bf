#include "agent/agent.h"

#include <sys/inotify.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "agent/backup_engine.h"
#include "agent/scanner.h"
#include "agent/status.h"
#include "agent/sync_down.h"
#include "client/http_client.h"

namespace shoebox::agent {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;
using Json = nlohmann::json;

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

std::int64_t FileStamp(const fs::path& file) {
  std::error_code ec;
  auto time = fs::last_write_time(file, ec);
  if (ec) return 0;
  return time.time_since_epoch().count();
}

// inotify over every folder under the backed-up ones. Files are reported once quiet for the
// settle time after their last write, move or creation.
class Watcher {
 public:
  Watcher() : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {}
  ~Watcher() {
    if (fd_ >= 0) ::close(fd_);
  }

  // Watches `folders` (and everything under them) instead of what was watched before.
  void Reset(const std::vector<std::string>& folders, std::vector<std::string>& problems) {
    for (const auto& [wd, path] : watches_) ::inotify_rm_watch(fd_, wd);
    watches_.clear();
    dirty_.clear();
    for (const std::string& folder : folders) AddTree(folder, problems, false);
  }

  // Reads what happened; returns true when something did.
  bool Drain(int timeout_ms, std::vector<std::string>& problems) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    alignas(inotify_event) char buffer[64 * 1024];
    bool any = false;
    while (true) {
      ssize_t n = ::read(fd_, buffer, sizeof buffer);
      if (n <= 0) break;
      for (char* at = buffer; at < buffer + n;) {
        auto* event = reinterpret_cast<inotify_event*>(at);
        at += sizeof(inotify_event) + event->len;
        if (event->mask & IN_Q_OVERFLOW) {
          overflowed_ = true;
          continue;
        }
        auto it = watches_.find(event->wd);
        if (it == watches_.end()) continue;
        if (event->mask & IN_IGNORED) {
          watches_.erase(it);
          continue;
        }
        if (event->len == 0) continue;
        std::string path = it->second + "/" + event->name;
        any = true;
        if (event->mask & IN_ISDIR) {
          if ((event->mask & (IN_CREATE | IN_MOVED_TO)) && FolderIsIncluded(event->name)) {
            AddTree(path, problems, true);
          }
          continue;
        }
        if (event->mask & (IN_DELETE | IN_MOVED_FROM)) {
          dirty_[path] = SteadyClock::now() - std::chrono::hours(1);  // report at once: gone
        } else {
          dirty_[path] = SteadyClock::now();
        }
      }
    }
    return any;
  }

  // Files quiet for `settle`; removed from the watch list.
  std::vector<std::string> Settled(std::chrono::seconds settle) {
    std::vector<std::string> out;
    auto now = SteadyClock::now();
    for (auto it = dirty_.begin(); it != dirty_.end();) {
      if (now - it->second >= settle) {
        out.push_back(it->first);
        it = dirty_.erase(it);
      } else {
        ++it;
      }
    }
    return out;
  }

  std::vector<std::string> Settling() const {
    std::vector<std::string> out;
    for (const auto& [path, when] : dirty_) {
      if (out.size() >= 100) break;
      out.push_back(path);
    }
    return out;
  }

  bool TakeOverflow() { return std::exchange(overflowed_, false); }

 private:
  void AddTree(const std::string& folder, std::vector<std::string>& problems, bool files_are_new) {
    constexpr std::uint32_t kMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_MODIFY |
                                    IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR | IN_DONT_FOLLOW;
    int wd = ::inotify_add_watch(fd_, folder.c_str(), kMask & ~IN_ONLYDIR);
    if (wd < 0) {
      if (errno == ENOSPC) {
        problems.push_back("too many folders to watch (fs.inotify.max_user_watches); relying on rescans");
      } else if (errno != ENOENT) {
        problems.push_back("cannot watch " + folder + ": " + std::strerror(errno));
      }
      return;
    }
    watches_[wd] = folder;
    std::error_code ec;
    for (auto it = fs::directory_iterator(folder, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::directory_iterator(); it.increment(ec)) {
      const auto& entry = *it;
      if (entry.is_symlink(ec)) continue;
      std::string name = entry.path().filename().string();
      if (entry.is_directory(ec)) {
        if (FolderIsIncluded(name)) AddTree(entry.path().string(), problems, files_are_new);
      } else if (files_are_new) {
        dirty_[entry.path().string()] = SteadyClock::now();  // moved in with the folder
      }
    }
  }

  int fd_;
  std::map<int, std::string> watches_;
  std::map<std::string, SteadyClock::time_point> dirty_;
  bool overflowed_ = false;
};

}  // namespace

void ReportToServer(const Credentials& credentials, const std::string& status_json) {
  if (credentials.device_id.empty()) return;
  auto address = client::ServerAddress::Parse(credentials.server);
  if (!address) return;
  client::HttpClient http(*address, 10);
  (void)http.Send("PUT", "/api/v1/devices/" + credentials.device_id + "/status",
                  {{"Authorization", "Bearer " + credentials.token}}, status_json);
}

int RunAgent(const Paths& paths, MediaInspector& inspector, std::atomic<bool>& stop) {
  auto state = LocalState::Open(paths.state_db());
  if (!state) {
    std::fprintf(stderr, "shoebox agent: %s\n", state.error().message.c_str());
    return 1;
  }
  BackupEngine engine(**state, inspector);
  Watcher watcher;
  Settings settings;
  std::optional<Credentials> credentials;
  std::int64_t settings_stamp = -1, credentials_stamp = -1;
  std::vector<std::string> problems;

  PassProgress progress;
  std::thread pass_thread;
  std::atomic<bool> pass_running{false};
  std::mutex result_mutex;
  std::optional<Result<PassSummary>> last_result;
  Hold hold = Hold::kNone;
  std::string hold_detail;

  bool want_full_pass = true;
  std::vector<std::string> want_paths;
  auto next_rescan = SteadyClock::now();
  auto next_rule_check = SteadyClock::now();
  auto next_report = SteadyClock::now();
  auto next_heartbeat = SteadyClock::now();
  auto next_sync = SteadyClock::now();
  std::string last_reported_state, last_moment;
  double rate = 0;
  std::int64_t rate_bytes = 0;
  auto rate_at = SteadyClock::now();

  auto start_pass = [&](std::vector<std::string> only) {
    pass_running = true;
    if (pass_thread.joinable()) pass_thread.join();
    PassOptions options;
    options.only_paths = std::move(only);
    options.leave_fresh_files = true;
    // A change of settings or sign-in ends the pass; the next one starts with the new ones.
    // Asked per file and per block by several threads, so the files are looked at once a second.
    struct SettingsWatch {
      std::mutex mutex;
      SteadyClock::time_point next_look = SteadyClock::now();
      bool changed = false;
    };
    auto watch = std::make_shared<SettingsWatch>();
    options.stop_requested = [&, watch, s = settings_stamp, c = credentials_stamp] {
      if (stop.load()) return true;
      std::lock_guard lock(watch->mutex);
      if (!watch->changed && SteadyClock::now() >= watch->next_look) {
        watch->next_look = SteadyClock::now() + std::chrono::seconds(1);
        watch->changed = FileStamp(paths.settings_file()) != s || FileStamp(paths.credentials_file()) != c;
      }
      return watch->changed;
    };
    Settings pass_settings = settings;
    Credentials pass_credentials = *credentials;
    pass_thread = std::thread([&, options, pass_settings, pass_credentials] {
      auto result = engine.RunPass(pass_settings, pass_credentials, options, progress);
      std::lock_guard lock(result_mutex);
      last_result = std::move(result);
      pass_running = false;
    });
  };

  while (!stop) {
    // Settings and sign-in are re-read when their files change: `shoebox settings set` and
    // `shoebox login` take effect without a restart.
    std::int64_t s_stamp = FileStamp(paths.settings_file());
    std::int64_t c_stamp = FileStamp(paths.credentials_file());
    if ((s_stamp != settings_stamp || c_stamp != credentials_stamp) && !pass_running) {
      auto loaded = LoadSettings(paths);
      auto creds = LoadCredentials(paths);
      if (loaded && creds) {
        bool folders_changed = loaded->folders != settings.folders || settings_stamp == -1;
        settings = *loaded;
        credentials = *creds;
        settings_stamp = s_stamp;
        credentials_stamp = c_stamp;
        if (folders_changed) {
          problems.clear();
          watcher.Reset(settings.folders, problems);
        }
        want_full_pass = true;
        next_rule_check = SteadyClock::now();
      } else {
        std::string message = !loaded ? loaded.error().message : creds.error().message;
        std::fprintf(stderr, "shoebox agent: %s\n", message.c_str());
        settings_stamp = s_stamp;
        credentials_stamp = c_stamp;
      }
    }

    watcher.Drain(500, problems);
    if (watcher.TakeOverflow()) want_full_pass = true;
    for (auto& path : watcher.Settled(std::chrono::seconds(settings.settle_seconds))) {
      want_paths.push_back(std::move(path));
    }
    auto now = SteadyClock::now();
    if (now >= next_rescan) {
      want_full_pass = true;
      next_rescan = now + std::chrono::minutes(settings.rescan_minutes);
    }

    // A finished pass: remember how it ended.
    {
      std::lock_guard lock(result_mutex);
      if (last_result) {
        if (*last_result) {
          hold = (*last_result)->hold;
          // Files left because they were still being written: look again once they settle.
          if ((*last_result)->still_being_written > 0) {
            next_rescan = std::min(next_rescan, now + std::chrono::seconds(settings.settle_seconds + 1));
          }
          hold_detail = (*last_result)->hold_detail;
          for (auto& p : (*last_result)->problems) {
            if (std::find(problems.begin(), problems.end(), p) == problems.end()) problems.push_back(p);
          }
        } else {
          std::fprintf(stderr, "shoebox agent: %s\n", last_result->error().message.c_str());
          hold = Hold::kNone;
          hold_detail = last_result->error().message;
        }
        last_result.reset();
        next_rule_check = now + (hold == Hold::kSignedOut ? std::chrono::minutes(10) : std::chrono::seconds(5));
      }
    }

    if (!pass_running) {
      // While a rule held, look again now and then; the first look that passes starts a pass.
      if (hold != Hold::kNone && now >= next_rule_check) {
        hold = engine.CheckRules(settings, credentials, &hold_detail);
        next_rule_check = now + (hold == Hold::kSignedOut ? std::chrono::minutes(10) : std::chrono::seconds(5));
        if (hold == Hold::kNone) want_full_pass = true;
      }
      auto retry = (*state)->NextRetry();
      bool retry_due = retry && *retry && **retry <= NowMs();
      // New files are looked at even while a rule holds (the pass stops before the network),
      // so status counts them; retries wait for the rules.
      if (credentials && settings.enabled && (hold == Hold::kNone || want_full_pass || !want_paths.empty())) {
        if (want_full_pass || (retry_due && hold == Hold::kNone)) {
          want_full_pass = false;
          want_paths.clear();
          start_pass({});
        } else if (!want_paths.empty()) {
          start_pass(std::exchange(want_paths, {}));
        }
      } else if (!credentials) {
        hold = Hold::kSignedOut;
      } else if (!settings.enabled) {
        hold = Hold::kOff;
      }
    }

    // Two-way sync, when on: after every pass and every few minutes.
    if (credentials && settings.sync_mode != SyncMode::kOff && !settings.sync_folder.empty() &&
        now >= next_sync && hold == Hold::kNone) {
      next_sync = now + std::chrono::minutes(2);
      auto synced = SyncDown(**state, *credentials, settings.sync_folder,
                             settings.sync_mode == SyncMode::kOriginals, nullptr);
      if (!synced) std::fprintf(stderr, "shoebox agent: sync-down: %s\n", synced.error().message.c_str());
    }

    if (now >= next_heartbeat) {
      next_heartbeat = now + std::chrono::seconds(2);
      double seconds = std::chrono::duration<double>(now - rate_at).count();
      std::int64_t sent = progress.bytes_sent.load();
      if (seconds >= 2) {
        double recent = static_cast<double>(std::max<std::int64_t>(0, sent - rate_bytes)) / seconds;
        rate = rate == 0 ? recent : 0.7 * rate + 0.3 * recent;
        rate_bytes = sent;
        rate_at = now;
      }
      AgentReport report;
      report.pid = static_cast<int>(::getpid());
      report.heartbeat_ms = NowMs();
      Hold live = pass_running ? static_cast<Hold>(progress.hold.load()) : hold;
      report.hold = live;
      report.hold_detail = hold_detail;
      {
        std::lock_guard lock(progress.mutex);
        report.phase = progress.phase;
        report.current = progress.current;
      }
      report.bytes_per_second = pass_running ? rate : 0;
      (void)(*state)->SetValue("agent", JsonText(AgentReportJson(report)));
      // The full status (counting the whole ledger) is built while something happens, and
      // once a minute when idle: a quiet agent over 100,000 files should cost next to nothing.
      std::string moment = std::to_string(static_cast<int>(live)) + (pass_running ? "/busy" : "/idle") +
                           std::to_string(watcher.Settling().size());
      bool worth_it = pass_running || moment != last_moment || now >= next_report;
      last_moment = moment;
      if (worth_it && credentials) {
        auto status = BuildStatus(settings, **state, live, hold_detail, report);
        if (!status) continue;
        const BackupStatus& built = *status;
        auto json = StatusJson(built);
        json["agent"] = {{"settling", watcher.Settling()}, {"problems", problems},
                         {"phase", report.phase}};
        // Reported when anything a person would see changed, else once a minute.
        std::string seen = built.state + "/" + std::to_string(built.pending) + "/" +
                           std::to_string(built.uploaded) + "/" + std::to_string(built.skipped) +
                           "/" + std::to_string(built.failed);
        if (seen != last_reported_state || now >= next_report) {
          last_reported_state = seen;
          next_report = now + std::chrono::seconds(60);
          if (live != Hold::kMetered) ReportToServer(*credentials, JsonText(json));
        }
        (void)(*state)->SetValue("agent_extra", JsonText(json["agent"]));
      }
    }
  }
  if (pass_thread.joinable()) pass_thread.join();
  (void)(*state)->SetValue("agent", "");
  return 0;
}

}  // namespace shoebox::agent
