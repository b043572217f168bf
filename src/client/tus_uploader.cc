#include "client/tus_uploader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>
#include <vector>

#include "core/durable_file.h"
#include "core/hashing.h"
#include "core/text.h"

namespace shoebox::client {
namespace {

struct FileHandle {
  int fd = -1;
  ~FileHandle() {
    if (fd >= 0) ::close(fd);
  }
};

std::optional<ErrorCode> CodeFromName(const std::string& name) {
  for (int i = 0; i <= static_cast<int>(kLastErrorCode); ++i) {
    auto code = static_cast<ErrorCode>(i);
    if (ErrorCodeName(code) == name) return code;
  }
  return std::nullopt;
}

bool Retryable(const Error& error) {
  return error.code == ErrorCode::kUnavailable || error.code == ErrorCode::kUploadLocked ||
         error.code == ErrorCode::kOffsetMismatch || error.code == ErrorCode::kTooManyRequests ||
         error.code == ErrorCode::kInternal;
}

void Backoff(int attempt) {
  static thread_local std::mt19937 random{std::random_device{}()};
  int base = std::min(30000, 250 << std::min(attempt, 7));
  std::uniform_int_distribution<int> jitter(0, base / 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(base / 2 + jitter(random)));
}

// The body of one request: the file's bytes from `offset`, each block shown to on_read, which
// may stop the request (then `stopped` is set).
BodyProducer ReadFrom(int fd, const std::filesystem::path& file, std::int64_t offset,
                      const UploadOptions& options, bool& stopped) {
  return [fd, &file, position = offset, &options, &stopped](std::span<char> buffer) mutable
         -> Result<std::size_t> {
    ssize_t n = ::pread(fd, buffer.data(), buffer.size(), position);
    if (n < 0) return ErrorFromErrno(errno, "read " + file.string());
    position += n;
    if (options.on_read) {
      auto go_on = options.on_read(static_cast<std::size_t>(n));
      if (!go_on) {
        stopped = true;
        return go_on.error();
      }
    }
    return static_cast<std::size_t>(n);
  };
}

}  // namespace

Error ErrorFromReply(const HttpReply& reply) {
  auto body = nlohmann::json::parse(reply.body, nullptr, false);
  if (!body.is_discarded() && body.contains("error") && body["error"].is_object()) {
    auto code = CodeFromName(body["error"].value("code", ""));
    return MakeError(code.value_or(ErrorCode::kInternal), body["error"].value("message", ""));
  }
  if (reply.status == 409) return MakeError(ErrorCode::kOffsetMismatch, "offset mismatch");
  if (reply.status == 423) return MakeError(ErrorCode::kUploadLocked, "upload locked");
  if (reply.status == 413) return MakeError(ErrorCode::kPayloadTooLarge, "413 from a proxy: request too large");
  if (reply.status == 401) return MakeError(ErrorCode::kUnauthenticated, "the server refused the credentials");
  if (reply.status >= 500) return MakeError(ErrorCode::kUnavailable, "server error " + std::to_string(reply.status));
  return MakeError(ErrorCode::kInternal, "unexpected status " + std::to_string(reply.status));
}

Result<std::string> HashFile(const std::filesystem::path& file) {
  FileHandle handle{::open(file.c_str(), O_RDONLY | O_CLOEXEC)};
  if (handle.fd < 0) return ErrorFromErrno(errno, "open " + file.string());
  Sha256Stream hash;
  std::vector<char> buffer(1 << 20);
  while (true) {
    ssize_t n = ::read(handle.fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrorFromErrno(errno, "read " + file.string());
    if (n == 0) break;
    hash.Update(std::span<const char>(buffer.data(), static_cast<std::size_t>(n)));
  }
  return hash.FinishHex();
}

Result<UploadOutcome> UploadFile(HttpClient& http, const std::filesystem::path& file,
                                 const UploadOptions& options) {
  FileHandle handle{::open(file.c_str(), O_RDONLY | O_CLOEXEC)};
  if (handle.fd < 0) return ErrorFromErrno(errno, "open " + file.string());
  struct stat st {};
  ::fstat(handle.fd, &st);
  std::int64_t length = st.st_size;
  std::string sha256 = options.sha256;
  if (sha256.empty()) {
    SHOEBOX_ASSIGN(sha256, HashFile(file));
  }

  std::map<std::string, std::string> auth = {{"Authorization", "Bearer " + options.token},
                                             {"Tus-Resumable", "1.0.0"}};
  UploadOutcome outcome;
  outcome.upload_url = options.resume_url;
  std::optional<std::int64_t> offset;
  Error last = MakeError(ErrorCode::kUnavailable, "no attempt made");
  for (int attempt = 0; attempt < options.max_attempts; ++attempt) {
    if (attempt > 0) Backoff(attempt);
    if (options.before_chunk) SHOEBOX_TRY(options.before_chunk(offset.value_or(0)));
    if (outcome.upload_url.empty()) {
      auto headers = auth;
      headers["Upload-Length"] = std::to_string(length);
      std::string metadata = "filename " + Base64Encode(file.filename().string()) + ",sha256 " +
                             Base64Encode(sha256) + ",mtime " +
                             Base64Encode(std::to_string(st.st_mtim.tv_sec));
      if (!options.device_id.empty()) metadata += ",device_id " + Base64Encode(options.device_id);
      if (!options.device_asset_id.empty()) {
        metadata += ",device_asset_id " + Base64Encode(options.device_asset_id);
      }
      if (!options.quality.empty()) metadata += ",quality " + Base64Encode(options.quality);
      headers["Upload-Metadata"] = metadata;
      // creation-with-upload: a file that fits in one request goes with its creation (one round
      // trip instead of two: most photos).
      bool whole = length > 0 && length <= options.chunk_bytes;
      Result<HttpReply> reply = MakeError(ErrorCode::kInternal, "not sent");
      if (whole) {
        headers["Content-Type"] = "application/offset+octet-stream";
        bool stopped = false;
        reply = http.SendStreaming("POST", "/api/v1/uploads", headers, length,
                                   ReadFrom(handle.fd, file, 0, options, stopped));
        if (!reply && stopped) return reply.error();
      } else {
        reply = http.Send("POST", "/api/v1/uploads", headers);
      }
      if (!reply) {
        last = reply.error();
        continue;
      }
      if (reply->status != 201) {
        last = ErrorFromReply(*reply);
        if (!Retryable(last)) return last;
        continue;
      }
      outcome.upload_url = reply->Header("location");
      if (!reply->Header("shoebox-asset-id").empty()) {
        outcome.asset_id = reply->Header("shoebox-asset-id");
        outcome.duplicate = reply->Header("shoebox-duplicate") == "true";
        return outcome;
      }
      offset = ParseNonNegativeInt(reply->Header("upload-offset")).value_or(0);
      if (options.on_progress) options.on_progress(outcome.upload_url, *offset);
      if (*offset >= length && length > 0) offset.reset();  // all there but no asset: HEAD tells
    }
    if (!offset) {
      auto reply = http.Send("HEAD", outcome.upload_url, auth);
      if (!reply) {
        last = reply.error();
        continue;
      }
      if (reply->status == 404 || reply->status == 410) {
        outcome.upload_url.clear();  // gone: start over
        continue;
      }
      if (reply->status != 200) {
        last = ErrorFromReply(*reply);
        if (!Retryable(last)) return last;
        continue;
      }
      if (!reply->Header("shoebox-asset-id").empty()) {
        outcome.asset_id = reply->Header("shoebox-asset-id");
        outcome.duplicate = reply->Header("shoebox-duplicate") == "true";
        return outcome;
      }
      offset = ParseNonNegativeInt(reply->Header("upload-offset")).value_or(0);
    }
    bool failed = false;
    bool stopped_by_caller = false;
    while (!failed) {
      if (options.before_chunk) SHOEBOX_TRY(options.before_chunk(*offset));
      std::int64_t chunk = std::min(options.chunk_bytes, length - *offset);
      auto headers = auth;
      headers["Upload-Offset"] = std::to_string(*offset);
      headers["Content-Type"] = "application/offset+octet-stream";
      auto reply = http.SendStreaming("PATCH", outcome.upload_url, headers, chunk,
                                      ReadFrom(handle.fd, file, *offset, options, stopped_by_caller));
      if (!reply || reply->status != 204) {
        last = reply ? ErrorFromReply(*reply) : reply.error();
        if (!reply && stopped_by_caller) return last;
        if (!Retryable(last)) return last;
        offset.reset();  // ask the server where to continue
        failed = true;
        break;
      }
      if (!reply->Header("shoebox-asset-id").empty()) {
        outcome.asset_id = reply->Header("shoebox-asset-id");
        outcome.duplicate = reply->Header("shoebox-duplicate") == "true";
        return outcome;
      }
      offset = ParseNonNegativeInt(reply->Header("upload-offset")).value_or(*offset + chunk);
      if (options.on_progress) options.on_progress(outcome.upload_url, *offset);
      if (*offset >= length) {
        offset.reset();  // complete but no asset id: HEAD will tell
        failed = true;
      }
    }
  }
  return last;
}

}  // namespace shoebox::client
