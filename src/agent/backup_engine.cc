#include "agent/backup_engine.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "agent/scanner.h"
#include "client/http_client.h"
#include "client/tus_uploader.h"
#include "core/clock.h"
#include "core/hashing.h"

namespace shoebox::agent {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

std::map<std::string, std::string> Auth(const Credentials& c) {
  return {{"Authorization", "Bearer " + c.token}};
}

std::string OneDecimal(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

// How long until a failed file is tried again: 30 s doubling to 6 h, with jitter so a fleet of
// devices does not come back at once.
std::int64_t RetryDelayMs(int attempts) {
  static thread_local std::mt19937 random{std::random_device{}()};
  double base = 30'000.0 * std::pow(2.0, std::min(attempts - 1, 10));
  base = std::min(base, 6.0 * 3600 * 1000);
  std::uniform_real_distribution<double> jitter(0.75, 1.25);
  return static_cast<std::int64_t>(base * jitter(random));
}

// Why an upload stopped other than by the server's answer.
enum class Interrupt { kNone, kChanged, kHeld, kStopped };

// A shared byte budget for the bandwidth cap (token bucket, one-second burst).
class Throttle {
 public:
  explicit Throttle(std::int64_t bytes_per_second) : rate_(bytes_per_second) {}
  void Take(std::size_t bytes) {
    if (rate_ <= 0) return;
    std::chrono::nanoseconds wait{0};
    {
      std::lock_guard lock(mutex_);
      auto now = Clock::now();
      double elapsed = std::chrono::duration<double>(now - last_).count();
      last_ = now;
      budget_ = std::min(static_cast<double>(rate_), budget_ + elapsed * static_cast<double>(rate_));
      budget_ -= static_cast<double>(bytes);
      if (budget_ < 0) {
        wait = std::chrono::nanoseconds(static_cast<std::int64_t>(-budget_ / static_cast<double>(rate_) * 1e9));
      }
    }
    if (wait.count() > 0) std::this_thread::sleep_for(wait);
  }

 private:
  std::int64_t rate_;
  std::mutex mutex_;
  double budget_ = 0;
  Clock::time_point last_ = Clock::now();
};

}  // namespace

std::string HumanBytes(std::int64_t bytes) {
  double value = static_cast<double>(bytes);
  if (value >= 1e9) return OneDecimal(value / 1e9) + " GB";
  if (value >= 1e6) return OneDecimal(value / 1e6) + " MB";
  if (value >= 1e3) return OneDecimal(value / 1e3) + " KB";
  return std::to_string(bytes) + " B";
}

BackupEngine::BackupEngine(LocalState& state, MediaInspector& inspector)
    : state_(state), inspector_(inspector) {
  // The limits the server reported last time, for passes that cannot reach it.
  if (auto saved = state_.GetValue("server_limits"); saved && *saved) {
    auto l = Json::parse(**saved, nullptr, false);
    if (l.is_object()) {
      limits_.photo_max_bytes = l.value("photo_max_bytes", limits_.photo_max_bytes);
      limits_.photo_max_pixels = l.value("photo_max_pixels", limits_.photo_max_pixels);
      limits_.video_max_bytes = l.value("video_max_bytes", limits_.video_max_bytes);
    }
  }
}

Hold BackupEngine::CheckRules(const Settings& settings, const std::optional<Credentials>& credentials,
                              std::string* detail) {
  LocalConditions local = CheckLocal(settings, credentials.has_value());
  if (detail) {
    *detail = local.hold == Hold::kMetered   ? local.network.detail
              : local.hold == Hold::kNoPower ? local.power.detail
                                             : "";
  }
  if (local.hold != Hold::kNone) return local.hold;
  auto address = client::ServerAddress::Parse(credentials->server);
  if (!address) return Hold::kNoConnection;
  client::HttpClient http(*address, 10);
  auto reply = http.Send("GET", "/api/v1/server/info", {});
  if (!reply || reply->status != 200) {
    if (detail) *detail = reply ? "server answered " + std::to_string(reply->status) : reply.error().message;
    return Hold::kNoConnection;
  }
  auto info = Json::parse(reply->body, nullptr, false);
  if (!info.is_discarded() && info.contains("limits")) {
    const Json& l = info["limits"];
    limits_.photo_max_bytes = l.value("photo_max_bytes", limits_.photo_max_bytes);
    limits_.photo_max_pixels = l.value("photo_max_pixels", limits_.photo_max_pixels);
    limits_.video_max_bytes = l.value("video_max_bytes", limits_.video_max_bytes);
    limits_.exist_batch = std::clamp<std::size_t>(info.value("exist_max_checksums", 1000), 1, 1000);
    (void)state_.SetValue("server_limits", l.dump());
  }
  // A revoked or wrong key: say so once, do not hammer the server with uploads.
  auto me = http.Send("GET", "/api/v1/me", Auth(*credentials));
  if (me && me->status == 401) {
    if (detail) *detail = "the server does not accept this device's key (revoked?)";
    return Hold::kSignedOut;
  }
  if (!me || me->status != 200) return Hold::kNoConnection;
  return Hold::kNone;
}

Result<PassSummary> BackupEngine::RunPass(const Settings& settings, const Credentials& credentials,
                                          const PassOptions& options, PassProgress& progress) {
  PassSummary summary;
  progress.hold = static_cast<int>(Hold::kNone);
  auto set_phase = [&](const char* phase) {
    std::lock_guard lock(progress.mutex);
    progress.phase = phase;
  };
  set_phase("scanning");
  SHOEBOX_TRY(Scan(settings, options, summary));
  // The rules first (which also brings the server's limits), then a look at the new files:
  // that needs no network, so it is done even while a rule holds and status can count them.
  // A rule that does not hold ends the pass there; the agent looks again every few seconds and
  // starts the next pass (uploads resume from the server's offset) once it holds.
  if (!options.look_only) {
    summary.hold = CheckRules(settings, credentials, &summary.hold_detail);
    progress.hold = static_cast<int>(summary.hold);
  }
  set_phase("looking at new files");
  SHOEBOX_TRY(Prepare(settings, options, summary));
  if (options.look_only || summary.hold != Hold::kNone) return summary;
  set_phase("checking with the server");
  SHOEBOX_TRY(AskServer(credentials, options, summary));
  if (summary.hold != Hold::kNone) return summary;
  set_phase("uploading");
  SHOEBOX_TRY(Upload(settings, credentials, options, progress, summary));
  set_phase("");
  return summary;
}

Result<void> BackupEngine::Scan(const Settings& settings, const PassOptions& options,
                                PassSummary& summary) {
  if (!options.only_paths.empty()) {
    // The watcher's files: each under the backed-up folder it belongs to.
    std::map<std::string, std::vector<SeenFile>> by_folder;
    for (const std::string& path : options.only_paths) {
      for (const std::string& folder : settings.folders) {
        if (path.rfind(folder + "/", 0) != 0) continue;
        auto seen = StatFile(path);
        std::string name = std::filesystem::path(path).filename().string();
        if (!seen) {
          SHOEBOX_TRY(state_.Forget(path));
        } else if (NameIsIncluded(name, settings)) {
          by_folder[folder].push_back(*seen);
        }
        break;
      }
    }
    for (const auto& [folder, files] : by_folder) {
      SHOEBOX_ASSIGN(auto changes, state_.RecordScan(folder, files, false));
      summary.files_seen += static_cast<std::int64_t>(files.size());
      summary.new_files += changes.added;
    }
    return {};
  }
  for (const std::string& folder : settings.folders) {
    if (options.stop_requested()) return {};
    auto scan = ScanFolder(folder, settings);
    if (!scan) {
      summary.problems.push_back(scan.error().message);
      continue;
    }
    for (auto& problem : scan->problems) summary.problems.push_back(std::move(problem));
    // A file written in the last few seconds may still be being written: left for later (the
    // agent's watcher reports it once it is quiet).
    std::int64_t fresh_after = (NowMs() - settings.settle_seconds * 1000) * 1'000'000;
    std::erase_if(scan->files, [&](const SeenFile& f) {
      if (!options.leave_fresh_files || f.mtime_ns <= fresh_after) return false;
      ++summary.still_being_written;
      return true;
    });
    SHOEBOX_ASSIGN(auto changes, state_.RecordScan(folder, scan->files, true));
    summary.files_seen += static_cast<std::int64_t>(scan->files.size());
    summary.new_files += changes.added;
  }
  return {};
}

Result<void> BackupEngine::Prepare(const Settings& settings, const PassOptions& options,
                                   PassSummary& summary) {
  std::mutex summary_mutex;
  while (!options.stop_requested()) {
    SHOEBOX_ASSIGN(auto batch, state_.Unprepared(256));
    if (batch.empty()) return {};
    std::atomic<std::size_t> next{0};
    std::optional<Error> fatal;
    auto work = [&] {
      std::vector<char> head(inspector_.HeadBytes());
      while (!options.stop_requested()) {
        std::size_t i = next++;
        if (i >= batch.size()) return;
        FileRecord record = batch[i];
        auto now = StatFile(record.path);
        if (!now) {
          (void)state_.Forget(record.path);
          continue;
        }
        if (now->size != record.size || now->mtime_ns != record.mtime_ns || now->inode != record.inode) {
          continue;  // changed since the scan; the next scan sees the new version
        }
        int fd = ::open(record.path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
          record.state = FileState::kFailed;
          record.attempts += 1;
          record.reason = std::string("cannot read: ") + std::strerror(errno);
          record.next_try_at = NowMs() + RetryDelayMs(record.attempts + 4);
          (void)state_.Save(record);
          std::lock_guard lock(summary_mutex);
          ++summary.failed;
          continue;
        }
        ssize_t got = ::pread(fd, head.data(), head.size(), 0);
        ::close(fd);
        auto probe = inspector_.ProbeHead(std::span<const char>(head.data(), got > 0 ? static_cast<std::size_t>(got) : 0));
        std::string skip;
        if (!probe || probe->kind == MediaKind::kUnknown) {
          skip = "not a photo or video" + (probe ? " (" + probe->mime_type + ")" : std::string());
        } else if (probe->kind == MediaKind::kPhoto) {
          record.kind = "photo";
          if (record.size > limits_.photo_max_bytes) {
            skip = "photo " + HumanBytes(record.size) + " > " + HumanBytes(limits_.photo_max_bytes);
          } else if (probe->width && probe->height &&
                     *probe->width * *probe->height > limits_.photo_max_pixels) {
            skip = "photo " + OneDecimal(static_cast<double>(*probe->width * *probe->height) / 1e6) +
                   " MP > " + OneDecimal(static_cast<double>(limits_.photo_max_pixels) / 1e6) + " MP";
          }
        } else {
          record.kind = "video";
          if (record.size > limits_.video_max_bytes) {
            skip = "video " + HumanBytes(record.size) + " > " + HumanBytes(limits_.video_max_bytes);
          }
        }
        if (!skip.empty()) {
          record.state = FileState::kSkipped;
          record.reason = skip;
          (void)state_.Save(record);
          if (options.on_item) options.on_item("skipped", record.path, skip);
          std::lock_guard lock(summary_mutex);
          ++summary.skipped;
          continue;
        }
        auto sha256 = client::HashFile(record.path);
        if (!sha256) {
          record.state = FileState::kFailed;
          record.attempts += 1;
          record.reason = "cannot read: " + sha256.error().message;
          record.next_try_at = NowMs() + RetryDelayMs(record.attempts + 4);
        } else {
          record.sha256 = *sha256;
        }
        auto saved = state_.Save(record);
        if (!saved) {
          std::lock_guard lock(summary_mutex);
          fatal = saved.error();
          return;
        }
      }
    };
    std::vector<std::thread> threads;
    int workers = std::max(1, settings.concurrency);
    for (int i = 0; i < workers; ++i) threads.emplace_back(work);
    for (auto& t : threads) t.join();
    if (fatal) return *fatal;
  }
  return {};
}

Result<void> BackupEngine::AskServer(const Credentials& credentials, const PassOptions& options,
                                     PassSummary& summary) {
  SHOEBOX_ASSIGN(auto address, client::ServerAddress::Parse(credentials.server));
  client::HttpClient http(address, 60);
  while (!options.stop_requested()) {
    SHOEBOX_ASSIGN(auto batch, state_.Unchecked(static_cast<int>(limits_.exist_batch)));
    if (batch.empty()) return {};
    Json request = {{"checksums", Json::array()}};
    for (const auto& r : batch) request["checksums"].push_back(r.sha256);
    auto reply = http.Send("POST", "/api/v1/assets/exist", Auth(credentials), request.dump());
    if (!reply || reply->status != 200) {
      summary.hold = reply && reply->status == 401 ? Hold::kSignedOut : Hold::kNoConnection;
      summary.hold_detail = reply ? "assets/exist answered " + std::to_string(reply->status)
                                  : reply.error().message;
      return {};
    }
    auto body = Json::parse(reply->body, nullptr, false);
    std::map<std::string, std::string> existing;
    std::set<std::string> deleted;
    if (!body.is_discarded()) {
      for (const auto& item : body.value("existing", Json::array())) {
        existing[item.value("sha256", "")] = item.value("asset_id", "");
      }
      for (const auto& item : body.value("deleted", Json::array())) deleted.insert(item.value("sha256", ""));
    }
    for (FileRecord record : batch) {
      record.checked = true;
      if (auto it = existing.find(record.sha256); it != existing.end()) {
        record.state = FileState::kUploaded;
        record.asset_id = it->second;
        record.reason = "already on the server";
        record.done_at = NowMs();
        ++summary.already_on_server;
        if (options.on_item) options.on_item("existing", record.path, record.asset_id);
      } else if (deleted.count(record.sha256) && !options.reupload_deleted) {
        record.state = FileState::kDeletedOnServer;
        record.reason = "deleted on the server; `shoebox backup run --reupload-deleted` sends it again";
        ++summary.deleted_on_server;
        if (options.on_item) options.on_item("deleted", record.path, "deleted on the server, not sent again");
      }
      SHOEBOX_TRY(state_.Save(record));
    }
  }
  return {};
}

Result<void> BackupEngine::Upload(const Settings& settings, const Credentials& credentials,
                                  const PassOptions& options, PassProgress& progress,
                                  PassSummary& summary) {
  SHOEBOX_ASSIGN(auto address, client::ServerAddress::Parse(credentials.server));
  SHOEBOX_ASSIGN(auto queue, state_.Due(NowMs(), 1'000'000));
  progress.files_to_send = static_cast<std::int64_t>(queue.size());
  progress.files_sent = 0;
  progress.bytes_sent = 0;
  std::int64_t total = 0;
  for (const auto& r : queue) total += r.size - r.upload_offset;
  progress.bytes_to_send = total;

  Throttle throttle(settings.bandwidth_kbps * 1000);
  std::mutex mutex;  // guards summary, the hold, the chunk size
  std::atomic<std::size_t> next{0};
  std::optional<Error> fatal;
  std::atomic<bool> halt{false};  // a hold the pass does not wait out, or signed out
  std::int64_t chunk_bytes = settings.chunk_mb << 20;
  if (max_chunk_bytes_ > 0) chunk_bytes = std::min(chunk_bytes, max_chunk_bytes_);

  auto worker = [&] {
    client::HttpClient http(address, 120);
    while (!halt && !options.stop_requested()) {
      std::size_t i = next++;
      if (i >= queue.size()) return;
      FileRecord record = queue[i];
      {
        std::lock_guard lock(progress.mutex);
        progress.current.push_back(record.path);
      }
      struct Done {
        PassProgress& p;
        std::string path;
        ~Done() {
          std::lock_guard lock(p.mutex);
          std::erase(p.current, path);
        }
      } done{progress, record.path};

      Interrupt interrupt = Interrupt::kNone;
      auto last_rule_check = Clock::now();
      // Stops the upload (to be resumed from the server's offset) when a rule no longer holds.
      auto rules_hold = [&]() -> bool {
        LocalConditions now = CheckLocal(settings, true);
        if (now.hold == Hold::kNone) return true;
        progress.hold = static_cast<int>(now.hold);
        std::lock_guard lock(mutex);
        summary.hold = now.hold;
        summary.hold_detail = now.hold == Hold::kMetered ? now.network.detail : now.power.detail;
        halt = true;
        return false;
      };

      client::UploadOptions upload;
      upload.token = credentials.token;
      upload.chunk_bytes = chunk_bytes;
      upload.max_attempts = 3;
      upload.device_id = credentials.device_id;
      // The path may be any bytes; the server wants a short printable id that stays the same.
      upload.device_asset_id = Sha256Hex(record.path).substr(0, 32);
      upload.sha256 = record.sha256;
      upload.resume_url = record.upload_url;
      upload.quality = QualityName(settings.quality);
      upload.before_chunk = [&](std::int64_t) -> Result<void> {
        if (options.stop_requested()) {
          interrupt = Interrupt::kStopped;
          return MakeError(ErrorCode::kConflict, "stopping");
        }
        auto now = StatFile(record.path);
        if (!now || now->size != record.size || now->mtime_ns != record.mtime_ns ||
            now->inode != record.inode) {
          interrupt = Interrupt::kChanged;
          return MakeError(ErrorCode::kConflict, "the file changed while uploading");
        }
        if (!rules_hold()) {
          interrupt = Interrupt::kHeld;
          return MakeError(ErrorCode::kConflict, "a backup rule stopped holding");
        }
        last_rule_check = Clock::now();
        return {};
      };
      upload.on_progress = [&](const std::string& url, std::int64_t offset) {
        record.state = FileState::kUploading;
        record.upload_url = url;
        record.upload_offset = offset;
        record.reason = "";
        (void)state_.Save(record);
      };
      upload.on_read = [&](std::size_t bytes) -> Result<void> {
        throttle.Take(bytes);
        progress.bytes_sent += static_cast<std::int64_t>(bytes);
        // Rules are checked between chunks, and once a second within one, so a switch to a
        // metered network pauses a large upload within a second, not at its next chunk.
        if (Clock::now() - last_rule_check > std::chrono::seconds(1)) {
          last_rule_check = Clock::now();
          if (options.stop_requested()) {
            interrupt = Interrupt::kStopped;
            return MakeError(ErrorCode::kConflict, "stopping");
          }
          if (!rules_hold()) {
            interrupt = Interrupt::kHeld;
            return MakeError(ErrorCode::kConflict, "a backup rule stopped holding");
          }
        }
        return {};
      };

      auto outcome = client::UploadFile(http, record.path, upload);
      // A proxy's 413 retries the same file at once in smaller chunks, from the offset the
      // server has.
      for (int round = 0; !outcome && round < 8; ++round) {
        bool again = false;
        if (interrupt == Interrupt::kNone &&
                   outcome.error().code == ErrorCode::kPayloadTooLarge && chunk_bytes > (1 << 20)) {
          std::lock_guard lock(mutex);
          chunk_bytes = std::max<std::int64_t>(1 << 20, chunk_bytes / 4);
          max_chunk_bytes_ = chunk_bytes;
          again = true;
        }
        if (!again) break;
        interrupt = Interrupt::kNone;
        upload.chunk_bytes = chunk_bytes;
        upload.resume_url = record.upload_url;
        outcome = client::UploadFile(http, record.path, upload);
      }
      if (outcome) {
        record.state = FileState::kUploaded;
        record.asset_id = outcome->asset_id;
        record.reason = outcome->duplicate ? "already on the server" : "";
        record.upload_url.clear();
        record.upload_offset = 0;
        record.done_at = NowMs();
        (void)state_.Save(record);
        ++progress.files_sent;
        if (options.on_item) {
          options.on_item(outcome->duplicate ? "existing" : "uploaded", record.path, record.asset_id);
        }
        std::lock_guard lock(mutex);
        if (outcome->duplicate) {
          ++summary.already_on_server;
        } else {
          ++summary.uploaded;
          summary.bytes_uploaded += record.size;
        }
        continue;
      }
      const Error& error = outcome.error();
      if (interrupt == Interrupt::kStopped) return;
      if (interrupt == Interrupt::kHeld) return;
      if (interrupt == Interrupt::kChanged || error.code == ErrorCode::kSha256Mismatch) {
        // Never uploaded torn: the new version is looked at (and hashed) again.
        if (auto now = StatFile(record.path)) {
          (void)state_.RecordScan(record.folder, {*now}, false);
        }
        if (auto fresh = state_.Get(record.path); fresh && *fresh) {
          FileRecord again = **fresh;
          again.reason = "changed while uploading; will be sent again";
          again.upload_url.clear();
          again.upload_offset = 0;
          again.sha256.clear();
          again.checked = false;
          again.state = FileState::kPending;
          (void)state_.Save(again);
        }
        continue;
      }
      std::lock_guard lock(mutex);
      switch (error.code) {
        case ErrorCode::kUnauthenticated:
          summary.hold = Hold::kSignedOut;
          summary.hold_detail = "the server does not accept this device's key (revoked?)";
          halt = true;
          return;
        case ErrorCode::kPhotoTooLarge:
        case ErrorCode::kPhotoTooManyPixels:
        case ErrorCode::kVideoTooLarge:
        case ErrorCode::kFileTooLarge:
        case ErrorCode::kUnsupportedMediaType:
          record.state = FileState::kSkipped;
          record.reason = "server: " + error.message;
          record.upload_url.clear();
          ++summary.skipped;
          break;
        case ErrorCode::kPayloadTooLarge:
          record.state = FileState::kFailed;
          record.attempts += 1;
          record.reason = "failed " + std::to_string(record.attempts) +
                          "x: 413 from proxy, retrying in smaller chunks (" + HumanBytes(chunk_bytes) + ")";
          record.next_try_at = NowMs() + RetryDelayMs(1);
          ++summary.failed;
          break;
        case ErrorCode::kUnavailable:
          // The connection went: keep the upload to resume, and wait for the server.
          record.state = record.upload_url.empty() ? FileState::kPending : FileState::kUploading;
          record.reason = "waiting for connection: " + error.message;
          summary.hold = Hold::kNoConnection;
          summary.hold_detail = error.message;
          halt = true;
          break;
        default:
          record.state = FileState::kFailed;
          record.attempts += 1;
          record.reason = "failed " + std::to_string(record.attempts) + "x: " +
                          std::string(ErrorCodeName(error.code)) + ": " + error.message;
          record.next_try_at = NowMs() + RetryDelayMs(record.attempts);
          ++summary.failed;
          break;
      }
      if (options.on_item && (record.state == FileState::kSkipped || record.state == FileState::kFailed)) {
        options.on_item(FileStateName(record.state), record.path, record.reason);
      }
      auto saved = state_.Save(record);
      if (!saved) {
        fatal = saved.error();
        halt = true;
        return;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < std::max(1, settings.concurrency); ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (fatal) return *fatal;
  if (summary.uploaded + summary.already_on_server > 0) {
    SHOEBOX_TRY(state_.SetValue("last_backup_at", std::to_string(NowMs())));
  }
  return {};
}

}  // namespace shoebox::agent
