// The BlobStore port: a key -> bytes store for originals and derived files, plus a staging area
// for uploads in progress. Adapters: local folder (default); S3-compatible later.
//
// Keys are '/'-separated relative paths ("library/alice/2023/01/IMG_0001.jpg"); every component
// is non-empty, not "." or "..", without NUL. A key that breaks these rules gets kBadRequest.
//
// Failure codes: kNotFound for a missing key or staging area, kInsufficientStorage when the
// backing storage is full (permanent until space is freed), kUnavailable when the store is
// unreachable (retryable), kInternal otherwise. All methods are thread-safe; two writers of one
// staging area are the caller's bug (the upload lease prevents it).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "core/error.h"

namespace shoebox {

// Sequential reader of a byte range. Not thread-safe.
class BlobReader {
 public:
  virtual ~BlobReader() = default;
  // Reads up to buffer.size() bytes; 0 means the range is exhausted.
  virtual Result<std::size_t> Read(std::span<char> buffer) = 0;
};

// Appends to one upload's staging area. Write() calls must not overlap each other, but Sync()
// may run on another thread while Write() goes on; it covers at least the bytes whose Write()
// returned before Sync() was called.
class StagingWriter {
 public:
  virtual ~StagingWriter() = default;
  virtual Result<void> Write(std::span<const char> bytes) = 0;
  // Makes everything written so far durable. Callers record the new offset only after this.
  virtual Result<void> Sync() = 0;
};

struct BlobInfo {
  std::int64_t size = 0;
};

// Whether `key` follows the rules above.
inline bool IsValidBlobKey(const std::string& key) {
  if (key.empty() || key.front() == '/' || key.find('\0') != std::string::npos) return false;
  std::size_t start = 0;
  while (start <= key.size()) {
    std::size_t end = key.find('/', start);
    if (end == std::string::npos) end = key.size();
    std::string_view part(key.data() + start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

inline Error InvalidBlobKey(const std::string& key) {
  return MakeError(ErrorCode::kBadRequest, "invalid blob key '" + key + "'");
}

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // --- Staging: the bytes of an unfinished upload, reachable by every server instance.
  // Opens the staging area of `upload_id` for appending at `offset`, creating it when `offset`
  // is 0. Bytes beyond `offset` (written but never recorded) are discarded.
  // kConflict when the staging area holds fewer than `offset` bytes (they were lost).
  virtual Result<std::unique_ptr<StagingWriter>> OpenStaging(const std::string& upload_id,
                                                             std::int64_t offset) = 0;
  virtual Result<std::unique_ptr<BlobReader>> ReadStaging(const std::string& upload_id,
                                                          std::int64_t offset,
                                                          std::int64_t length) = 0;
  // Idempotent. Not necessarily durable: a staging area that reappears after a crash has no
  // upload left and is swept as an orphan.
  virtual Result<void> RemoveStaging(const std::string& upload_id) = 0;
  // Calls `visit(upload_id, modified_at_millis)` for every staging area.
  virtual Result<void> ForEachStaging(
      const std::function<void(const std::string&, std::int64_t)>& visit) = 0;

  // --- Stored blobs.
  // A key that does not exist yet and that `unavailable` does not reject, made from `wanted` by
  // adding " (1)", " (2)"... before the extension when needed. Another writer may take it
  // first; CommitStaging then says kConflict.
  virtual Result<std::string> FreeKey(const std::string& wanted,
                                      const std::function<bool(const std::string&)>& unavailable) = 0;
  // Makes the complete staging area of `upload_id` durable under `key` (the staging area
  // remains until RemoveStaging). Idempotent: succeeds if `key` already holds exactly these
  // bytes from an earlier call. kConflict if `key` holds something else.
  virtual Result<void> CommitStaging(const std::string& upload_id, const std::string& key) = 0;
  virtual Result<std::unique_ptr<BlobReader>> Read(const std::string& key, std::int64_t offset,
                                                   std::int64_t length) = 0;
  // Stores the local file `file` (of the process's work folder) durably as the new key `key`,
  // consuming the file. kConflict if `key` exists. For derived and converted files.
  virtual Result<void> PutFile(const std::string& key, const std::string& file) = 0;
  // A local path where `key`'s bytes can be read in place, when the store keeps files locally
  // (decoders read it directly; other stores are copied to the work folder first).
  virtual std::optional<std::string> LocalPath(const std::string& key) = 0;
  virtual Result<BlobInfo> Stat(const std::string& key) = 0;
  // Idempotent: removing a missing key succeeds.
  virtual Result<void> Remove(const std::string& key) = 0;
  // Removes `key` only if it holds the bytes CommitStaging placed there from `upload_id`'s
  // staging area (which must still exist); otherwise leaves it alone. For cleaning up after an
  // upload that will not become an asset without ever touching another upload's file.
  virtual Result<void> RemoveCommitted(const std::string& upload_id, const std::string& key) = 0;
  // Calls `visit(key, size)` for every stored blob under `prefix` ("library/").
  virtual Result<void> ForEach(const std::string& prefix,
                               const std::function<void(const std::string&, std::int64_t)>& visit) = 0;
  // Bytes free in the backing storage, when the store can tell.
  virtual Result<std::int64_t> FreeBytes() = 0;
};

}  // namespace shoebox
