#include "services/upload_service.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <future>
#include <vector>

#include "core/hashing.h"
#include "core/ids.h"
#include "core/text.h"
#include "services/blob_hashing.h"

namespace shoebox {
namespace {

// How long a completed upload is remembered, so a client that lost the completing response
// can still ask (HEAD) what its upload became.
constexpr std::int64_t kCompletedRetentionMs = 24 * 3600 * 1000LL;
// Staging areas with no upload row (a crash between the two) are removed after this.
constexpr std::int64_t kOrphanStagingAgeMs = 3600 * 1000LL;

struct InFlightGuard {
  std::atomic<std::int64_t>& counter;
  explicit InFlightGuard(std::atomic<std::int64_t>& c) : counter(c) { ++counter; }
  ~InFlightGuard() { --counter; }
};

std::optional<UnixMillis> ParseMtime(std::string_view text) {
  if (auto rfc = ParseRfc3339(text)) return rfc;
  // Unix seconds with an optional fraction.
  auto dot = text.find('.');
  auto whole = ParseNonNegativeInt(text.substr(0, dot));
  if (!whole || *whole > 253402300799LL) return std::nullopt;
  UnixMillis millis = *whole * 1000;
  if (dot != std::string_view::npos) {
    std::string_view fraction = text.substr(dot + 1);
    if (fraction.empty() || !ParseNonNegativeInt(fraction)) return std::nullopt;
    std::string digits(fraction.substr(0, 3));
    while (digits.size() < 3) digits.push_back('0');
    millis += *ParseNonNegativeInt(digits);
  }
  return millis;
}

// Errors that say the file itself is unacceptable (as opposed to a passing failure).
bool IsMediaVerdict(const Error& error) {
  switch (error.code) {
    case ErrorCode::kUnsupportedMediaType:
    case ErrorCode::kPhotoTooLarge:
    case ErrorCode::kPhotoTooManyPixels:
    case ErrorCode::kVideoTooLarge:
    case ErrorCode::kFileTooLarge:
      return true;
    default:
      return false;
  }
}

// Capture time until metadata extraction knows better: the file's mtime, else the upload time.
UnixMillis TakenAt(const Upload& upload) {
  return upload.metadata.mtime.value_or(upload.created_at);
}

std::string LibraryKey(const std::string& storage_label, UnixMillis taken_at,
                       const std::string& filename) {
  std::time_t seconds = taken_at / 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char folder[32];
  std::snprintf(folder, sizeof folder, "%04d/%02d", tm.tm_year + 1900, tm.tm_mon + 1);
  return "library/" + storage_label + "/" + folder + "/" + SafeFileName(filename);
}

}  // namespace

Result<UploadMetadata> ParseUploadMetadata(std::string_view header) {
  UploadMetadata metadata;
  if (TrimSpaces(header).empty()) return metadata;
  for (std::string_view pair : SplitAndTrim(header, ',')) {
    auto space = pair.find(' ');
    std::string_view key = pair.substr(0, space);
    std::string value;
    if (space != std::string_view::npos) {
      auto decoded = Base64Decode(TrimSpaces(pair.substr(space + 1)));
      if (!decoded) {
        return MakeError(ErrorCode::kBadRequest,
                         "Upload-Metadata: value of '" + std::string(key) + "' is not base64");
      }
      value = std::move(*decoded);
    }
    if (key.empty()) return MakeError(ErrorCode::kBadRequest, "Upload-Metadata: empty key");
    if (key == "filename" || (key == "name" && metadata.filename.empty())) {
      metadata.filename = value;
    } else if (key == "sha256") {
      std::string hex = AsciiLower(value);
      if (!IsSha256Hex(hex)) {
        return MakeError(ErrorCode::kBadRequest, "Upload-Metadata: sha256 must be 64 hex digits");
      }
      metadata.sha256 = hex;
    } else if (key == "mtime") {
      metadata.mtime = ParseMtime(value);
      if (!metadata.mtime) {
        return MakeError(ErrorCode::kBadRequest,
                         "Upload-Metadata: mtime must be Unix seconds or an RFC 3339 time");
      }
    } else if (key == "quality") {
      if (value == "original") {
        metadata.quality = Quality::kOriginal;
      } else if (value == "storage-saver" || value == "storage_saver") {
        metadata.quality = Quality::kStorageSaver;
      } else {
        return MakeError(ErrorCode::kBadRequest,
                         "Upload-Metadata: quality must be original or storage-saver");
      }
    } else if (key == "device_id" || key == "device_asset_id") {
      if (value.size() > 512 || !IsCleanUtf8(value)) {
        return MakeError(ErrorCode::kBadRequest,
                         "Upload-Metadata: " + std::string(key) + " must be printable, <= 512 bytes");
      }
      (key == "device_id" ? metadata.device_id : metadata.device_asset_id) = value;
    }
  }
  return metadata;
}

std::string UploadService::NewHolder() const { return instance_id_ + "/" + RandomToken(9); }

Result<Upload> UploadService::Create(const Caller& caller, std::int64_t length,
                                     const UploadMetadata& metadata) {
  return CreateHeld(caller, length, metadata, "");
}

Result<Upload> UploadService::CreateHeld(const Caller& caller, std::int64_t length,
                                         const UploadMetadata& metadata,
                                         const std::string& holder) {
  if (length == 0) {
    return MakeError(ErrorCode::kUnsupportedMediaType, "an empty file is not a photo or video");
  }
  SHOEBOX_TRY(CheckDeclaredLength(settings_.limits, metadata.filename, length));
  SHOEBOX_ASSIGN(User owner, users_.Get(caller.user.id));
  // Content the user already has costs no space, so the quota does not stop it.
  bool known_duplicate = false;
  if (!metadata.sha256.empty()) {
    SHOEBOX_ASSIGN(auto matches, assets_.FindByChecksums(owner.id, {metadata.sha256}));
    known_duplicate = std::any_of(matches.begin(), matches.end(),
                                  [](const ChecksumMatch& m) { return !m.deleted; });
  }
  if (!known_duplicate && owner.quota_bytes && owner.used_bytes + length > *owner.quota_bytes) {
    return MakeError(ErrorCode::kQuotaExceeded,
                     "this upload (" + FormatBytes(length) + ") would exceed your storage quota (" +
                         FormatBytes(owner.used_bytes) + " of " + FormatBytes(*owner.quota_bytes) +
                         " used)");
  }
  if (auto free = blobs_.FreeBytes(); free && *free < length) {
    return MakeError(ErrorCode::kInsufficientStorage,
                     "the server has " + FormatBytes(*free) + " free, not enough for " +
                         FormatBytes(length));
  }
  UnixMillis now = clock_.Now();
  Upload upload;
  upload.id = NewId(now);
  upload.owner_id = caller.user.id;
  upload.length = length;
  upload.hash_state = Sha256Stream().SaveState();
  upload.metadata = metadata;
  if (upload.metadata.filename.empty()) upload.metadata.filename = "upload";
  upload.created_at = upload.updated_at = now;
  upload.expires_at = now + settings_.expire_after_ms;
  // The final name is chosen and recorded now, with the row, so completing costs no extra
  // durable write: a completion cut off by a crash finds its name here.
  SHOEBOX_ASSIGN(upload.final_key, FreeFinalKey(owner, upload));
  SHOEBOX_TRY(uploads_.Create(upload, holder, holder.empty() ? 0 : now + settings_.lease_ms));
  auto staging = blobs_.OpenStaging(upload.id, 0);
  if (!staging) {
    (void)uploads_.Delete(upload.id);
    return staging.error();
  }
  return upload;
}

Result<UploadStatus> UploadService::Status(const Caller& caller, const std::string& upload_id) {
  SHOEBOX_ASSIGN(Upload upload, policy_.OwnedUpload(caller, upload_id));
  if (upload.state == UploadState::kCompleted) {
    return UploadStatus{upload, upload.asset_id, upload.duplicate};
  }
  if (upload.expires_at <= clock_.Now()) {
    DiscardIfIdle(upload);
    return MakeError(ErrorCode::kUploadExpired, "this upload expired; start it again");
  }
  if (upload.offset == upload.length) {
    // Every byte arrived but the completion was cut off: finish it now.
    std::string holder = NewHolder();
    UnixMillis now = clock_.Now();
    SHOEBOX_TRY(uploads_.AcquireLease(upload.id, holder, now, now + settings_.lease_ms));
    auto status = [&]() -> Result<UploadStatus> {
      SHOEBOX_ASSIGN(Upload fresh, uploads_.Get(upload.id));
      if (fresh.state == UploadState::kCompleted) {
        return UploadStatus{fresh, fresh.asset_id, fresh.duplicate};
      }
      SHOEBOX_ASSIGN(Sha256Stream hash, HashUpTo(fresh, fresh.offset));
      std::string sha = hash.FinishHex();
      if (fresh.kind == MediaKind::kUnknown) {
        if (auto probed = Probe(fresh); !probed) {
          if (IsMediaVerdict(probed.error())) Discard(fresh);
          return probed.error();
        }
      }
      SHOEBOX_ASSIGN(CompletionPlan plan, PlanCompletion(fresh, sha));
      return Finalize(fresh, sha, plan, holder);
    }();
    (void)uploads_.ReleaseLease(upload.id, holder);
    return status;
  }
  return UploadStatus{upload, std::nullopt, false};
}

Result<UploadStatus> UploadService::Append(const Caller& caller, const std::string& upload_id,
                                           std::int64_t offset,
                                           std::optional<std::int64_t> declared_length,
                                           const std::optional<RequestChecksum>& checksum,
                                           ByteSource& body) {
  InFlightGuard in_flight(in_flight_);
  SHOEBOX_ASSIGN(Upload upload, policy_.OwnedUpload(caller, upload_id));
  if (upload.state == UploadState::kCompleted) {
    return MakeError(ErrorCode::kUploadComplete, "this upload is already complete");
  }
  UnixMillis now = clock_.Now();
  if (upload.expires_at <= now) {
    DiscardIfIdle(upload);
    return MakeError(ErrorCode::kUploadExpired, "this upload expired; start it again");
  }
  if (offset != upload.offset) {
    return MakeError(ErrorCode::kOffsetMismatch,
                     "Upload-Offset " + std::to_string(offset) + " does not match the " +
                         std::to_string(upload.offset) + " bytes received; ask HEAD and resume");
  }
  if (declared_length) {
    if (*declared_length > settings_.max_patch_bytes) {
      return MakeError(ErrorCode::kPayloadTooLarge,
                       "one request may carry at most " + std::to_string(settings_.max_patch_bytes) +
                           " bytes; send smaller chunks");
    }
    if (offset + *declared_length > upload.length) {
      return MakeError(ErrorCode::kUploadLengthExceeded,
                       "the body would go past Upload-Length " + std::to_string(upload.length));
    }
  }
  std::string holder = NewHolder();
  SHOEBOX_TRY(uploads_.AcquireLease(upload.id, holder, now, now + settings_.lease_ms));
  auto result = Receive(std::move(upload), offset, checksum, body, holder);
  if (!result || !result->asset_id) (void)uploads_.ReleaseLease(upload_id, holder);
  return result;  // completing released the lease already
}

Result<UploadStatus> UploadService::CreateAndAppend(const Caller& caller, std::int64_t length,
                                                    const UploadMetadata& metadata,
                                                    std::optional<std::int64_t> declared_length,
                                                    const std::optional<RequestChecksum>& checksum,
                                                    ByteSource& body) {
  InFlightGuard in_flight(in_flight_);
  if (declared_length && *declared_length > length) {
    return MakeError(ErrorCode::kUploadLengthExceeded,
                     "the body would go past Upload-Length " + std::to_string(length));
  }
  std::string holder = NewHolder();
  SHOEBOX_ASSIGN(Upload upload, CreateHeld(caller, length, metadata, holder));
  std::string id = upload.id;
  auto result = Receive(std::move(upload), 0, checksum, body, holder);
  if (!result) {
    if (result.error().code == ErrorCode::kUnavailable) {
      // The client went away; it may still learn the URL (the response may get through) and
      // resume, or the upload expires.
      (void)uploads_.ReleaseLease(id, holder);
      auto status = Status(caller, id);
      if (status) return status;
    } else {
      // The client cannot resume an upload whose creation failed: it never learns the URL.
      auto upload_now = uploads_.Get(id);
      if (upload_now) Discard(*upload_now);
    }
    return result.error();
  }
  if (!result->asset_id) (void)uploads_.ReleaseLease(id, holder);
  return result;
}

Result<UploadStatus> UploadService::Receive(Upload upload, std::int64_t offset,
                                            const std::optional<RequestChecksum>& checksum,
                                            ByteSource& body, const std::string& holder) {
  SHOEBOX_ASSIGN(Sha256Stream hash, HashUpTo(upload, offset));
  std::optional<RequestDigest> digest;
  if (checksum) {
    digest = RequestDigest::Create(checksum->algorithm);
    if (!digest) {
      return MakeError(ErrorCode::kChecksumAlgorithmUnsupported,
                       "checksum algorithm must be sha1, sha256 or md5");
    }
  }
  SHOEBOX_ASSIGN(auto writer, blobs_.OpenStaging(upload.id, offset));

  std::int64_t saved = offset;  // recorded in the store
  std::int64_t position = offset;
  UnixMillis last_checkpoint = clock_.Now();
  // A checkpoint in the middle of a body runs in the background: the disk flushes what came
  // so far while the next bytes arrive. At most one runs at a time; `saved` moves when it ends.
  std::future<Result<void>> background;
  std::int64_t background_offset = 0;
  std::int64_t checkpointed = offset;  // where the latest checkpoint, finished or not, stands
  // Once another request owns the upload, this one must not touch its bytes again.
  bool lease_lost = false;
  auto watch = [&](Result<void> result) -> Result<void> {
    if (!result && result.error().code == ErrorCode::kUploadLocked) lease_lost = true;
    return result;
  };
  auto await_background = [&]() -> Result<void> {
    if (!background.valid()) return {};
    Result<void> done = watch(background.get());
    if (done) {
      saved = background_offset;
      upload.offset = saved;
    }
    return done;
  };
  auto checkpoint_in_background = [&]() -> Result<void> {
    SHOEBOX_TRY(await_background());
    UploadProgress snapshot{position, hash.SaveState(), upload.mime_type, upload.kind,
                            upload.final_key};
    background_offset = position;
    checkpointed = position;
    last_checkpoint = clock_.Now();
    background = std::async(std::launch::async, [this, &writer, id = upload.id, holder,
                                                 snapshot = std::move(snapshot)]() -> Result<void> {
      SHOEBOX_TRY(writer->Sync());
      UnixMillis now = clock_.Now();
      return uploads_.SaveProgress(id, holder, snapshot, now, now + settings_.expire_after_ms,
                                   now + settings_.lease_ms);
    });
    return {};
  };
  auto checkpoint = [&]() -> Result<void> {
    SHOEBOX_TRY(await_background());
    SHOEBOX_TRY(writer->Sync());
    UnixMillis now = clock_.Now();
    SHOEBOX_TRY(watch(uploads_.SaveProgress(
        upload.id, holder,
        UploadProgress{position, hash.SaveState(), upload.mime_type, upload.kind,
                       upload.final_key},
        now, now + settings_.expire_after_ms, now + settings_.lease_ms)));
    saved = position;
    checkpointed = position;
    upload.offset = position;
    last_checkpoint = now;
    return {};
  };
  // Drops bytes written after the last checkpoint, so disk space and state agree again.
  auto roll_back = [&]() {
    (void)await_background();
    if (!lease_lost) (void)blobs_.OpenStaging(upload.id, saved);
  };

  std::optional<Error> failure;
  std::string fresh_head;  // this request's bytes among the first HeadBytes(), for Probe
  while (true) {
    auto chunk = body.Next();
    if (!chunk) {
      failure = chunk.error();
      break;
    }
    if (chunk->empty()) break;
    if (position + static_cast<std::int64_t>(chunk->size()) > upload.length) {
      failure = MakeError(ErrorCode::kUploadLengthExceeded,
                          "the body goes past Upload-Length " + std::to_string(upload.length));
      break;
    }
    if (position - offset + static_cast<std::int64_t>(chunk->size()) > settings_.max_patch_bytes) {
      failure = MakeError(ErrorCode::kPayloadTooLarge, "one request may carry at most " +
                                                           std::to_string(settings_.max_patch_bytes) +
                                                           " bytes; send smaller chunks");
      break;
    }
    // The lease must still be ours before these bytes touch the file. Checkpoints renew it; a
    // request with a per-request checksum (no checkpoints) or one that stalled renews it here.
    if (UnixMillis now = clock_.Now();
        now - last_checkpoint >= (digest ? settings_.checkpoint_ms : settings_.lease_ms / 2)) {
      if (auto renewed = watch(uploads_.RenewLease(upload.id, holder, now + settings_.lease_ms));
          !renewed) {
        failure = renewed.error();
        break;
      }
      last_checkpoint = now;
    }
    if (auto written = writer->Write(*chunk); !written) {
      failure = written.error();
      break;
    }
    hash.Update(*chunk);
    if (digest) digest->Update(*chunk);
    std::int64_t head = static_cast<std::int64_t>(inspector_.HeadBytes());
    if (upload.kind == MediaKind::kUnknown && position < head) {
      fresh_head.append(chunk->data(),
                        std::min(chunk->size(), static_cast<std::size_t>(head - position)));
    }
    position += static_cast<std::int64_t>(chunk->size());
    // Sniff the content as soon as its head is here, so a non-media or oversized file is
    // refused before the rest of it is sent.
    if (upload.kind == MediaKind::kUnknown && position >= std::min(head, upload.length)) {
      if (auto probed = Probe(upload, fresh_head, offset); !probed) {
        if (IsMediaVerdict(probed.error())) Discard(upload);
        else roll_back();
        return probed.error();
      }
    }
    if (!digest && (position - checkpointed >= settings_.checkpoint_bytes ||
                    clock_.Now() - last_checkpoint >= settings_.checkpoint_ms)) {
      if (auto started = checkpoint_in_background(); !started) {
        failure = started.error();
        break;
      }
    }
  }

  if (failure) {
    // A client that went away keeps what it sent; anything else keeps only what was recorded.
    bool keep = failure->code == ErrorCode::kUnavailable && !digest;
    if (keep) {
      if (auto done = checkpoint(); !done) roll_back();
    } else {
      roll_back();
    }
    return *failure;
  }
  if (digest) {
    if (digest->FinishRaw() != checksum->digest) {
      roll_back();
      return MakeError(ErrorCode::kChecksumMismatch,
                       "Upload-Checksum does not match the bytes received; send them again");
    }
  }
  if (position < upload.length) {
    if (auto done = checkpoint(); !done) {
      roll_back();
      return done.error();
    }
    return UploadStatus{upload, std::nullopt, false};
  }
  // Every byte is here. Decide everything the completion needs before the last checkpoint, so
  // one durable write records it all and a crash after it can be finished from the record.
  if (upload.kind == MediaKind::kUnknown) {
    if (auto probed = Probe(upload, fresh_head, offset); !probed) {
      if (IsMediaVerdict(probed.error())) Discard(upload);
      else roll_back();
      return probed.error();
    }
  }
  std::string sha256 = Sha256Stream(hash).FinishHex();
  auto plan = PlanCompletion(upload, sha256);
  if (!plan) {
    if (plan.error().code != ErrorCode::kSha256Mismatch && !IsMediaVerdict(plan.error())) {
      roll_back();  // otherwise the upload is gone already
    }
    return plan.error();
  }
  // The bytes must be durable before they get their final name; the completion itself is the
  // record that they all arrived (a crash before it resumes from the last checkpoint).
  if (auto synced = await_background(); !synced) {
    roll_back();
    return synced.error();
  }
  if (auto synced = writer->Sync(); !synced) {
    roll_back();
    return synced.error();
  }
  writer.reset();
  upload.offset = position;
  upload.hash_state = hash.SaveState();
  return Finalize(std::move(upload), sha256, *plan, holder);
}

Result<void> UploadService::Probe(Upload& upload, std::string_view fresh,
                                  std::int64_t fresh_offset) {
  std::int64_t head = std::min<std::int64_t>(static_cast<std::int64_t>(inspector_.HeadBytes()),
                                             upload.length);
  std::int64_t stored = fresh_offset < 0 ? head : std::min(head, fresh_offset);
  std::vector<char> buffer(static_cast<std::size_t>(head));
  std::size_t filled = 0;
  if (stored > 0) {
    SHOEBOX_ASSIGN(auto reader, blobs_.ReadStaging(upload.id, 0, stored));
    while (filled < static_cast<std::size_t>(stored)) {
      SHOEBOX_ASSIGN(std::size_t n, reader->Read(std::span<char>(buffer).subspan(filled, stored - filled)));
      if (n == 0) break;
      filled += n;
    }
  }
  if (fresh_offset >= 0 && filled == static_cast<std::size_t>(stored)) {
    std::size_t take = std::min(fresh.size(), buffer.size() - filled);
    std::copy_n(fresh.data(), take, buffer.data() + filled);
    filled += take;
  }
  SHOEBOX_ASSIGN(MediaProbe probe, inspector_.ProbeHead(std::span<const char>(buffer.data(), filled)));
  SHOEBOX_TRY(CheckMediaLimits(settings_.limits, probe, upload.length));
  upload.mime_type = probe.mime_type;
  upload.kind = probe.kind;
  return {};  // recorded with the next checkpoint
}

Result<Sha256Stream> UploadService::HashUpTo(const Upload& upload, std::int64_t offset) {
  if (auto saved = Sha256Stream::RestoreState(upload.hash_state)) return *saved;
  // Saved by another build: hash again what is on disk.
  Sha256Stream hash;
  SHOEBOX_ASSIGN(auto reader, blobs_.ReadStaging(upload.id, 0, offset));
  SHOEBOX_TRY(HashInto(*reader, hash));
  return hash;
}

Result<std::string> UploadService::FreeFinalKey(const User& owner, const Upload& upload) {
  // A name still owed a deletion would be deleted under the new bytes, so it is skipped.
  return blobs_.FreeKey(LibraryKey(owner.storage_label, TakenAt(upload), upload.metadata.filename),
                        [this](const std::string& key) {
                          auto pending = assets_.IsPendingBlobDeletion(key);
                          return !pending || *pending;  // when unsure, keep away
                        });
}

Result<CompletionPlan> UploadService::PlanCompletion(Upload& upload, const std::string& sha256) {
  if (!upload.metadata.sha256.empty() && upload.metadata.sha256 != sha256) {
    Discard(upload);
    return MakeError(ErrorCode::kSha256Mismatch,
                     "the file's SHA-256 is " + sha256 + ", not " + upload.metadata.sha256 +
                         " as announced; the upload was discarded");
  }
  // The limits again, as they stand now (they may have changed since the content was sniffed).
  MediaProbe sniffed;
  sniffed.mime_type = upload.mime_type;
  sniffed.kind = upload.kind;
  if (auto allowed = CheckMediaLimits(settings_.limits, sniffed, upload.length); !allowed) {
    Discard(upload);
    return allowed.error();
  }
  SHOEBOX_ASSIGN(auto existing, assets_.FindByChecksums(upload.owner_id, {sha256}));
  CompletionPlan plan;
  plan.already_stored = std::any_of(existing.begin(), existing.end(),
                                    [](const ChecksumMatch& m) { return !m.deleted; });
  if (plan.already_stored) {
    if (!upload.final_key.empty()) {
      // An earlier, crashed completion may have placed the bytes under their own name.
      (void)blobs_.RemoveCommitted(upload.id, upload.final_key);
      upload.final_key.clear();
    }
  } else if (upload.final_key.empty()) {
    plan.key_changed = true;
    // The name is chosen, and recorded with the last checkpoint, before the bytes move there,
    // so a retry after a crash reuses it instead of leaving a second copy under another name.
    SHOEBOX_ASSIGN(User owner, users_.Get(upload.owner_id));
    SHOEBOX_ASSIGN(upload.final_key,
                   FreeFinalKey(owner, upload));
  }
  return plan;
}

Result<UploadStatus> UploadService::Finalize(Upload upload, const std::string& sha256,
                                             CompletionPlan plan, const std::string& holder) {
  UnixMillis now = clock_.Now();
  auto record_key = [&]() {
    return uploads_.SaveProgress(upload.id, holder,
                                 UploadProgress{upload.offset, upload.hash_state, upload.mime_type,
                                                upload.kind, upload.final_key},
                                 now, now + settings_.expire_after_ms, now + settings_.lease_ms);
  };
  auto choose_key = [&]() -> Result<void> {
    SHOEBOX_ASSIGN(User owner, users_.Get(upload.owner_id));
    SHOEBOX_ASSIGN(upload.final_key, FreeFinalKey(owner, upload));
    return record_key();
  };
  for (int pass = 0;; ++pass) {
    if (!plan.already_stored) {
      if (upload.final_key.empty()) {
        SHOEBOX_TRY(choose_key());
      } else if (plan.key_changed) {
        SHOEBOX_TRY(record_key());
      }
      for (int attempt = 0;; ++attempt) {
        auto committed = blobs_.CommitStaging(upload.id, upload.final_key);
        if (committed) break;
        if (committed.error().code != ErrorCode::kConflict || attempt >= 5) return committed.error();
        SHOEBOX_TRY(choose_key());  // another upload took the name meanwhile
      }
    }
    Asset asset;
    asset.id = NewId(now);
    asset.owner_id = upload.owner_id;
    asset.sha256 = sha256;
    asset.blob_key = plan.already_stored ? "" : upload.final_key;
    asset.original_name = DisplayFileName(upload.metadata.filename);
    asset.mime_type = upload.mime_type;
    asset.kind = upload.kind;
    asset.size_bytes = upload.length;
    asset.file_mtime = upload.metadata.mtime;
    asset.taken_at = TakenAt(upload);
    asset.media.taken_source = upload.metadata.mtime ? "mtime" : "upload";
    asset.uploaded_at = now;
    if (upload.metadata.quality) {
      asset.quality = *upload.metadata.quality;
    } else {
      SHOEBOX_ASSIGN(User owner, users_.Get(upload.owner_id));
      asset.quality = owner.default_quality;
    }
    asset.device_id = upload.metadata.device_id;
    asset.device_asset_id = upload.metadata.device_asset_id;
    auto completed = uploads_.Complete(upload.id, holder, asset, now, now + kCompletedRetentionMs);
    if (!completed && completed.error().code == ErrorCode::kConflict && plan.already_stored &&
        pass == 0) {
      plan.already_stored = false;  // the twin was deleted meanwhile: keep these bytes after all
      continue;
    }
    if (!completed) {
      if (completed.error().code == ErrorCode::kQuotaExceeded) Discard(upload);
      return completed.error();
    }
    if (completed->duplicate && !plan.already_stored) {
      (void)blobs_.RemoveCommitted(upload.id, upload.final_key);  // lost a race with a twin
    }
    (void)blobs_.RemoveStaging(upload.id);
    return UploadStatus{*completed, completed->asset_id, completed->duplicate};
  }
}

Result<void> UploadService::Terminate(const Caller& caller, const std::string& upload_id) {
  SHOEBOX_ASSIGN(Upload upload, policy_.OwnedUpload(caller, upload_id));
  std::string holder = NewHolder();
  UnixMillis now = clock_.Now();
  if (upload.state == UploadState::kReceiving) {
    SHOEBOX_TRY(uploads_.AcquireLease(upload.id, holder, now, now + settings_.lease_ms));
  }
  Discard(upload);
  return {};
}

bool UploadService::DiscardIfIdle(const Upload& upload) {
  // A request still writing holds the lease; it is not pulled from under it.
  std::string holder = NewHolder();
  UnixMillis now = clock_.Now();
  if (!uploads_.AcquireLease(upload.id, holder, now, now + settings_.lease_ms)) return false;
  Discard(upload);
  return true;
}

void UploadService::Discard(const Upload& upload) {
  // Before completion, bytes under the final name (if this upload put them there) are the
  // leftovers of a completion cut off by a crash; the name may as well be another upload's.
  if (upload.state == UploadState::kReceiving && !upload.final_key.empty()) {
    (void)blobs_.RemoveCommitted(upload.id, upload.final_key);
  }
  (void)uploads_.Delete(upload.id);
  (void)blobs_.RemoveStaging(upload.id);
}

Result<std::int64_t> UploadService::CompleteStalled() {
  SHOEBOX_ASSIGN(auto stalled, uploads_.ListFullyReceived(500));
  std::int64_t completed = 0;
  for (const Upload& upload : stalled) {
    Caller owner;
    owner.user.id = upload.owner_id;
    auto status = Status(owner, upload.id);  // finishes it under a lease
    if (status && status->asset_id) ++completed;
  }
  return completed;
}

Result<std::int64_t> UploadService::RemoveExpired() {
  std::int64_t removed = 0;
  UnixMillis now = clock_.Now();
  while (true) {
    SHOEBOX_ASSIGN(auto expired, uploads_.ListExpired(now, 500));
    std::int64_t removed_now = 0;
    for (const Upload& upload : expired) {
      // A request still writing holds the lease (and keeps extending the expiry): skipped.
      if (DiscardIfIdle(upload)) ++removed_now;
    }
    removed += removed_now;
    if (expired.size() < 500 || removed_now == 0) break;
  }
  std::vector<std::string> orphans;
  SHOEBOX_TRY(blobs_.ForEachStaging([&](const std::string& id, std::int64_t modified_at) {
    if (now - modified_at >= kOrphanStagingAgeMs) orphans.push_back(id);
  }));
  for (const std::string& id : orphans) {
    auto upload = uploads_.Get(id);
    if (!upload && upload.error().code == ErrorCode::kNotFound) {
      (void)blobs_.RemoveStaging(id);
      ++removed;
    }
  }
  return removed;
}

}  // namespace shoebox
