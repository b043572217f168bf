#include "agent/sync_down.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "client/http_client.h"
#include "client/tus_uploader.h"
#include "core/durable_file.h"
#include "core/ids.h"
#include "core/text.h"

namespace shoebox::agent {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr std::int64_t kRangeBytes = 32 << 20;

// What to fetch for an asset and under which version; empty url: nothing (yet).
struct Wanted {
  std::string url;
  std::string version;
  std::string extension;  // for previews, which change the format
};

Wanted Choose(const Json& asset, bool originals) {
  std::string kind = asset.value("kind", "");
  std::string id = asset.value("id", "");
  if (originals) {
    return {"/api/v1/assets/" + id + "/original",
            "original:" + asset.value("sha256", "") + ":" + asset.value("quality", ""), ""};
  }
  std::string key = kind == "video" ? "playback_url" : "preview_url";
  if (!asset.contains(key) || !asset[key].is_string()) return {};
  std::string url = asset[key].get<std::string>();
  return {url, url, kind == "video" ? ".mp4" : ".jpg"};
}

// A file name that cannot leave the folder or hide itself.
std::string SafeName(const std::string& name) {
  std::string out;
  for (char c : name) out += (c == '/' || c == '\0') ? '_' : c;
  while (!out.empty() && out[0] == '.') out.erase(0, 1);
  return out.empty() ? "unnamed" : out;
}

Result<fs::path> Destination(LocalState& state, const std::string& folder, const Json& asset,
                             const Wanted& wanted) {
  std::string taken = asset.value("taken_at_local", asset.value("taken_at", ""));
  std::string year = taken.size() >= 7 ? taken.substr(0, 4) : "unknown";
  std::string month = taken.size() >= 7 ? taken.substr(5, 2) : "00";
  fs::path name = SafeName(asset.value("original_name", "unnamed"));
  std::string stem = name.stem().string();
  std::string extension = wanted.extension.empty() ? name.extension().string() : wanted.extension;
  fs::path dir = fs::path(folder) / year / month;
  std::string id = asset.value("id", "");
  for (int n = 0;; ++n) {
    fs::path candidate = dir / (stem + (n ? " (" + std::to_string(n) + ")" : "") + extension);
    SHOEBOX_ASSIGN(bool taken_by_other, state.SyncedPathTaken(candidate.string(), id));
    std::error_code ec;
    if (!taken_by_other && !fs::exists(candidate, ec)) return candidate;
    if (!taken_by_other) {
      auto mine = state.Synced(id);
      if (mine && *mine && (*mine)->path == candidate.string()) return candidate;
    }
    if (n > 1000) return MakeError(ErrorCode::kConflict, "no free name for " + name.string());
  }
}

// Downloads `url` into `target` through a temporary file, in Range requests (large videos are
// never held in memory); kMediaNotReady when the server has not made the file yet.
Result<std::int64_t> Download(client::HttpClient& http, const Credentials& c, const std::string& url,
                              const fs::path& target) {
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  fs::path temp = target.parent_path() / ("." + target.filename().string() + ".part-" + RandomToken(4));
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrorFromErrno(errno, "create " + temp.string());
  struct Cleanup {
    int fd;
    fs::path temp;
    bool keep = false;
    ~Cleanup() {
      if (fd >= 0) ::close(fd);
      std::error_code ignored;
      if (!keep) fs::remove(temp, ignored);
    }
  } cleanup{fd, temp};
  std::int64_t offset = 0, total = -1;
  while (total < 0 || offset < total) {
    auto reply = http.Send("GET", url,
                           {{"Authorization", "Bearer " + c.token},
                            {"Range", "bytes=" + std::to_string(offset) + "-" +
                                          std::to_string(offset + kRangeBytes - 1)}});
    if (!reply) return reply.error();
    if (reply->status == 416 && offset == 0) {
      total = 0;  // an empty file
      break;
    }
    if (reply->status != 206 && reply->status != 200) return client::ErrorFromReply(*reply);
    if (reply->status == 200) {
      total = static_cast<std::int64_t>(reply->body.size());
      offset = 0;
      if (::ftruncate(fd, 0) != 0) return ErrorFromErrno(errno, "truncate");
    } else {
      std::string range = reply->Header("content-range");  // bytes a-b/total
      auto slash = range.rfind('/');
      total = slash == std::string::npos ? -1 : ParseNonNegativeInt(range.substr(slash + 1)).value_or(-1);
      if (total < 0) return MakeError(ErrorCode::kInternal, "no total in Content-Range");
    }
    if (::pwrite(fd, reply->body.data(), reply->body.size(), offset) !=
        static_cast<ssize_t>(reply->body.size())) {
      return ErrorFromErrno(errno, "write " + temp.string());
    }
    offset += static_cast<std::int64_t>(reply->body.size());
    if (reply->body.empty()) break;
  }
  if (::fsync(fd) != 0) return ErrorFromErrno(errno, "fsync " + temp.string());
  ::close(cleanup.fd);
  cleanup.fd = -1;
  fs::rename(temp, target, ec);
  if (ec) return MakeError(ErrorCode::kInternal, "rename to " + target.string() + ": " + ec.message());
  cleanup.keep = true;
  return offset;
}

void SetMtime(const fs::path& file, const std::string& rfc3339) {
  auto millis = ParseRfc3339(rfc3339);
  if (!millis) return;
  timespec times[2];
  times[0].tv_sec = *millis / 1000;
  times[0].tv_nsec = (*millis % 1000) * 1'000'000;
  times[1] = times[0];
  ::utimensat(AT_FDCWD, file.c_str(), times, 0);
}

}  // namespace

Result<SyncSummary> SyncDown(LocalState& state, const Credentials& credentials,
                             const std::string& folder, bool originals,
                             const std::function<void(const std::string&)>* log) {
  SHOEBOX_ASSIGN(auto address, client::ServerAddress::Parse(credentials.server));
  client::HttpClient http(address, 120);
  SyncSummary summary;
  std::string cursor_key = "sync_cursor:" + folder + (originals ? ":originals" : ":previews");
  SHOEBOX_ASSIGN(auto saved, state.GetValue(cursor_key));
  std::string cursor = saved.value_or("");
  while (true) {
    auto reply = http.Send("GET", "/api/v1/sync/changes?limit=200&since=" + cursor,
                           {{"Authorization", "Bearer " + credentials.token}});
    if (!reply) return reply.error();
    if (reply->status != 200) return client::ErrorFromReply(*reply);
    auto page = Json::parse(reply->body, nullptr, false);
    if (page.is_discarded()) return MakeError(ErrorCode::kInternal, "malformed change feed");
    for (const Json& change : page.value("changes", Json::array())) {
      std::string id = change.value("asset_id", "");
      SHOEBOX_ASSIGN(auto mine, state.Synced(id));
      if (change.value("deleted", false)) {
        if (mine) {
          std::error_code ec;
          fs::remove(mine->path, ec);
          SHOEBOX_TRY(state.ForgetSynced(id));
          ++summary.removed;
          if (log) (*log)("removed " + mine->path);
        }
        continue;
      }
      const Json& asset = change["asset"];
      SHOEBOX_ASSIGN(bool uploaded_here, state.UploadedAsset(id));
      if (uploaded_here ||
          (!credentials.device_id.empty() && asset.value("device_id", "") == credentials.device_id)) {
        ++summary.own;
        continue;
      }
      if (asset.value("is_live_motion", false) && !originals) continue;  // its photo stands for it
      Wanted wanted = Choose(asset, originals);
      if (wanted.url.empty()) {
        ++summary.not_ready;
        continue;
      }
      if (mine && mine->version == wanted.version) {
        std::error_code ec;
        if (fs::exists(mine->path, ec)) continue;  // unchanged (a flag changed, say)
      }
      SHOEBOX_ASSIGN(fs::path target, Destination(state, folder, asset, wanted));
      auto bytes = Download(http, credentials, wanted.url, target);
      if (!bytes) {
        if (bytes.error().code == ErrorCode::kMediaNotReady || bytes.error().code == ErrorCode::kNotFound) {
          ++summary.not_ready;  // made later; its change comes again then
          continue;
        }
        return bytes.error();
      }
      if (mine && mine->path != target.string()) {
        std::error_code ec;
        fs::remove(mine->path, ec);
      }
      SetMtime(target, asset.value("taken_at", ""));
      SHOEBOX_TRY(state.SetSynced(id, SyncedFile{target.string(), wanted.version}));
      ++summary.downloaded;
      summary.bytes += *bytes;
      if (log) (*log)("downloaded " + target.string());
    }
    cursor = page.value("cursor", cursor);
    SHOEBOX_TRY(state.SetValue(cursor_key, cursor));
    if (!page.value("has_more", false)) return summary;
  }
}

}  // namespace shoebox::agent
