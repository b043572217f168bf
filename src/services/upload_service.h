// Resumable uploads (the rules behind the tus endpoint). Bytes are hashed as they arrive, made
// durable before their offset is recorded, and become an asset only on the request that
// completes them, after the whole-file SHA-256 matched. Any instance can continue an upload:
// its state lives in the metadata store and its bytes in the blob store; a lease in the store
// keeps two requests from writing one upload at once.
#pragma once

#include <atomic>
#include <optional>
#include <string>

#include "core/byte_source.h"
#include "core/clock.h"
#include "core/hashing.h"
#include "ports/blob_store.h"
#include "ports/media_inspector.h"
#include "ports/metadata_store.h"
#include "services/access_policy.h"
#include "services/caller.h"
#include "services/media_limits.h"

namespace shoebox {

struct UploadSettings {
  MediaLimits limits;
  std::int64_t max_patch_bytes = 10'000'000'000;
  std::int64_t expire_after_ms = 24 * 3600 * 1000LL;
  // Received bytes are made durable and recorded at least this often within one request, so a
  // crash loses little and a long request keeps its lease.
  std::int64_t checkpoint_bytes = 64 * 1024 * 1024;
  std::int64_t checkpoint_ms = 10'000;
  // Longer than checkpoint_ms plus the server's body read timeout, so a live request always
  // renews its lease before it lapses.
  std::int64_t lease_ms = 60'000;
};

// The per-request checksum of the tus checksum extension.
struct RequestChecksum {
  std::string algorithm;  // "sha1", "sha256", "md5"
  std::string digest;     // raw bytes
};

struct UploadStatus {
  Upload upload;  // offset, length, metadata, expiry
  // Set once the upload completed: the asset it became and whether that asset already existed.
  std::optional<std::string> asset_id;
  bool duplicate = false;
};

struct CompletionPlan {
  bool already_stored = false;  // the owner has this content: complete as a duplicate
  bool key_changed = false;     // a final name was chosen now and must be recorded first
};

class UploadService {
 public:
  UploadService(UploadRepository& uploads, AssetRepository& assets, UserRepository& users,
                BlobStore& blobs, MediaInspector& inspector, AccessPolicy& policy,
                const Clock& clock, UploadSettings settings, std::string instance_id)
      : uploads_(uploads), assets_(assets), users_(users), blobs_(blobs), inspector_(inspector),
        policy_(policy), clock_(clock), settings_(settings), instance_id_(std::move(instance_id)) {}

  // Starts an upload of `length` bytes. kBadRequest for bad metadata, kFileTooLarge /
  // kPhotoTooLarge / kVideoTooLarge, kQuotaExceeded, kInsufficientStorage.
  Result<Upload> Create(const Caller& caller, std::int64_t length, const UploadMetadata& metadata);

  // tus creation-with-upload: Create, then Append the request's body at offset 0 under the
  // lease the creation took. If the body fails for another reason than the client going away,
  // the upload is removed (the client never learned its URL).
  Result<UploadStatus> CreateAndAppend(const Caller& caller, std::int64_t length,
                                       const UploadMetadata& metadata,
                                       std::optional<std::int64_t> declared_length,
                                       const std::optional<RequestChecksum>& checksum,
                                       ByteSource& body);

  // Where an upload stands. Completes an upload whose bytes all arrived but whose completion
  // was cut off (a crash), so asking is enough to recover it.
  Result<UploadStatus> Status(const Caller& caller, const std::string& upload_id);

  // Appends `body` at `offset`. `declared_length` is the request's Content-Length when known.
  // Errors: kNotFound, kOffsetMismatch, kUploadLocked, kUploadExpired, kUploadComplete,
  // kUploadLengthExceeded, kPayloadTooLarge, kChecksumMismatch, kSha256Mismatch,
  // kUnsupportedMediaType and the media limits (the upload is then deleted), kQuotaExceeded,
  // kInsufficientStorage, kUnavailable (client went away; received bytes are kept).
  Result<UploadStatus> Append(const Caller& caller, const std::string& upload_id,
                              std::int64_t offset, std::optional<std::int64_t> declared_length,
                              const std::optional<RequestChecksum>& checksum, ByteSource& body);

  // tus termination: forgets an upload and its bytes (an asset it completed into stays).
  Result<void> Terminate(const Caller& caller, const std::string& upload_id);

  // Removes expired uploads and staging areas no upload refers to. Returns how many went.
  Result<std::int64_t> RemoveExpired();
  // Completes uploads whose bytes all arrived but whose completion a crash cut off, so their
  // assets appear even if the client never asks again. Returns how many completed.
  Result<std::int64_t> CompleteStalled();

  std::int64_t InFlight() const { return in_flight_.load(); }
  const UploadSettings& settings() const { return settings_; }

 private:
  Result<Upload> CreateHeld(const Caller& caller, std::int64_t length,
                            const UploadMetadata& metadata, const std::string& holder);
  Result<UploadStatus> Receive(Upload upload, std::int64_t offset,
                               const std::optional<RequestChecksum>& checksum, ByteSource& body,
                               const std::string& holder);
  // Checks the whole-file SHA-256, looks for the same content, and picks the final name.
  Result<CompletionPlan> PlanCompletion(Upload& upload, const std::string& sha256);
  Result<std::string> FreeFinalKey(const User& owner, const Upload& upload);
  // Moves the bytes under their final name and makes the asset, in that order.
  Result<UploadStatus> Finalize(Upload upload, const std::string& sha256, CompletionPlan plan,
                                const std::string& holder);
  // Sniffs the upload's first bytes. Those before `fresh_offset` are read from the staging
  // area; `fresh` holds this request's bytes from `fresh_offset` on, which a store may not show
  // yet (an S3 writer keeps them until its next Sync).
  Result<void> Probe(Upload& upload, std::string_view fresh = {}, std::int64_t fresh_offset = -1);
  // The SHA-256 state after the first `offset` bytes: the saved one, or hashed again from disk.
  Result<Sha256Stream> HashUpTo(const Upload& upload, std::int64_t offset);
  void Discard(const Upload& upload);
  // Discards the upload unless a request holds its lease; true when it went.
  bool DiscardIfIdle(const Upload& upload);
  std::string NewHolder() const;

  UploadRepository& uploads_;
  AssetRepository& assets_;
  UserRepository& users_;
  BlobStore& blobs_;
  MediaInspector& inspector_;
  AccessPolicy& policy_;
  const Clock& clock_;
  UploadSettings settings_;
  std::string instance_id_;
  std::atomic<std::int64_t> in_flight_{0};
};

// Parses tus Upload-Metadata ("key base64,key base64"). Recognised keys: filename (or name),
// sha256 (hex), mtime (Unix seconds, fractions allowed, or RFC 3339), device_id,
// device_asset_id; others are ignored. kBadRequest on malformed input.
Result<UploadMetadata> ParseUploadMetadata(std::string_view header);

}  // namespace shoebox
