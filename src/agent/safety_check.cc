#include "agent/safety_check.h"

#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>

#include "agent/scanner.h"
#include "client/http_client.h"
#include "client/tus_uploader.h"

namespace shoebox::agent {
namespace {

using Json = nlohmann::json;

struct ServerCopy {
  bool present = false;
  bool original = false;
  bool in_trash = false;
  bool deleted = false;
};

// Asks the server about these checksums (at most 1000).
Result<std::map<std::string, ServerCopy>> Ask(client::HttpClient& http, const Credentials& c,
                                              const std::vector<FileRecord>& records) {
  Json request = {{"checksums", Json::array()}};
  for (const auto& r : records) request["checksums"].push_back(r.sha256);
  auto reply = http.Send("POST", "/api/v1/assets/exist", {{"Authorization", "Bearer " + c.token}},
                         request.dump());
  if (!reply) return reply.error();
  if (reply->status != 200) return client::ErrorFromReply(*reply);
  auto body = Json::parse(reply->body, nullptr, false);
  if (body.is_discarded()) return MakeError(ErrorCode::kInternal, "malformed answer from assets/exist");
  std::map<std::string, ServerCopy> out;
  for (const auto& item : body.value("existing", Json::array())) {
    ServerCopy& copy = out[item.value("sha256", "")];
    copy.present = true;
    copy.original = item.value("quality", "original") == "original";
    copy.in_trash = item.value("in_trash", false);
  }
  for (const auto& item : body.value("deleted", Json::array())) out[item.value("sha256", "")].deleted = true;
  return out;
}

// Pages through the files the local state says are uploaded, 1000 at a time.
Result<void> ForEachUploadedBatch(LocalState& state,
                                  const std::function<Result<void>(std::vector<FileRecord>&)>& visit) {
  std::string after;
  while (true) {
    SHOEBOX_ASSIGN(auto batch, state.UploadedWithChecksums(1000, after));
    if (batch.empty()) return {};
    after = batch.back().path;
    SHOEBOX_TRY(visit(batch));
  }
}

bool Unchanged(const FileRecord& r) {
  auto now = StatFile(r.path);
  return now && now->size == r.size && now->mtime_ns == r.mtime_ns && now->inode == r.inode;
}

}  // namespace

Result<VerifyReport> VerifyWithServer(LocalState& state, const Credentials& credentials) {
  SHOEBOX_ASSIGN(auto address, client::ServerAddress::Parse(credentials.server));
  client::HttpClient http(address, 60);
  VerifyReport report;
  SHOEBOX_TRY(ForEachUploadedBatch(state, [&](std::vector<FileRecord>& batch) -> Result<void> {
    SHOEBOX_ASSIGN(auto copies, Ask(http, credentials, batch));
    for (FileRecord& r : batch) {
      const ServerCopy& copy = copies[r.sha256];
      if (!copy.present) {
        report.not_safe.emplace_back(r.path, copy.deleted ? "deleted on the server" : "missing on the server; queued again");
        if (!copy.deleted) {
          r.state = FileState::kPending;
          r.asset_id.clear();
          r.checked = false;
          r.reason = "missing on the server (found by verify)";
          SHOEBOX_TRY(state.Save(r));
        }
      } else if (copy.in_trash) {
        report.not_safe.emplace_back(r.path, "in the server's trash");
      } else if (!copy.original) {
        ++report.saver;
      } else {
        ++report.safe;
      }
    }
    return {};
  }));
  for (FileState s : {FileState::kPending, FileState::kUploading, FileState::kFailed, FileState::kSkipped}) {
    SHOEBOX_ASSIGN(auto records, state.List(s, 1'000'000));
    for (const auto& r : records) {
      std::string why = FileStateName(s) == "pending" || FileStateName(s) == "uploading"
                            ? "not backed up yet"
                            : FileStateName(s) + ": " + r.reason;
      report.not_safe.emplace_back(r.path, why);
    }
  }
  return report;
}

Result<FreedSpace> FreeUpSpace(LocalState& state, const Credentials& credentials, bool dry_run,
                               const std::function<void(const std::string&)>& log) {
  SHOEBOX_ASSIGN(auto address, client::ServerAddress::Parse(credentials.server));
  client::HttpClient http(address, 60);
  FreedSpace freed;
  std::vector<std::string> removed;
  SHOEBOX_TRY(ForEachUploadedBatch(state, [&](std::vector<FileRecord>& batch) -> Result<void> {
    SHOEBOX_ASSIGN(auto copies, Ask(http, credentials, batch));
    for (const FileRecord& r : batch) {
      const ServerCopy& copy = copies[r.sha256];
      std::string keep;
      if (!copy.present) {
        keep = "not on the server";
      } else if (copy.in_trash) {
        keep = "in the server's trash";
      } else if (!copy.original) {
        keep = "the server has only a Storage saver copy";
      } else if (!Unchanged(r)) {
        keep = "changed since it was backed up";
      } else {
        // The bytes about to go must be the bytes the server has, whatever the local state says.
        auto sha256 = client::HashFile(r.path);
        if (!sha256 || *sha256 != r.sha256) keep = "its content no longer matches the backup";
      }
      if (!keep.empty()) {
        freed.kept.emplace_back(r.path, keep);
        continue;
      }
      if (!dry_run) {
        if (::unlink(r.path.c_str()) != 0) {
          freed.kept.emplace_back(r.path, std::string("cannot delete: ") + std::strerror(errno));
          continue;
        }
        removed.push_back(r.path);
      }
      ++freed.files;
      freed.bytes += r.size;
      log((dry_run ? "would delete " : "deleted ") + r.path);
    }
    return {};
  }));
  for (const auto& path : removed) SHOEBOX_TRY(state.Forget(path));
  return freed;
}

}  // namespace shoebox::agent
