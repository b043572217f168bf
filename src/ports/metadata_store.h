// The MetadataStore port: one repository per aggregate. Adapters: SQLite (embedded default);
// PostgreSQL later. Services receive only the repositories they use.
//
// Common contract for every method:
// - Thread-safe; each call is atomic (its own transaction) unless it says otherwise.
// - Failure codes: kNotFound for a missing row where noted, kUnavailable (retryable) when the
//   database is busy or unreachable, kInternal for anything else. Other codes are listed per
//   method.
// - Durable on success: a call that returned is on disk (SQLite synchronous=FULL).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "ports/model.h"

namespace shoebox {

struct UserPatch {
  std::optional<std::string> name;
  std::optional<std::string> password_hash;
  std::optional<bool> is_admin;
  std::optional<bool> disabled;
  std::optional<std::optional<std::int64_t>> quota_bytes;
};

class UserRepository {
 public:
  virtual ~UserRepository() = default;
  // kEmailTaken when the email exists; kConflict never (storage_label is made unique here).
  virtual Result<User> Create(User user) = 0;
  // Creates `user` only if there are no users at all; kAlreadySetUp otherwise.
  virtual Result<User> CreateFirst(User user) = 0;
  virtual Result<std::optional<User>> FindByEmail(const std::string& email) = 0;
  virtual Result<User> Get(const std::string& id) = 0;  // kNotFound
  virtual Result<std::vector<User>> List() = 0;
  virtual Result<User> Update(const std::string& id, const UserPatch& patch) = 0;  // kNotFound
  virtual Result<std::int64_t> Count() = 0;
};

class CredentialRepository {
 public:
  virtual ~CredentialRepository() = default;
  virtual Result<void> Create(const Credential& credential) = 0;
  // The credential with this secret hash and its user, if it exists and has not expired at `now`.
  virtual Result<std::optional<std::pair<Credential, User>>> FindBySecretHash(
      const std::string& secret_hash, UnixMillis now) = 0;
  // Records use; cheap and best effort (callers may ignore failures).
  virtual Result<void> Touch(const std::string& id, UnixMillis now) = 0;
  virtual Result<std::vector<Credential>> ListForUser(const std::string& user_id,
                                                      CredentialKind kind) = 0;
  // Deletes the credential if it belongs to `user_id`; kNotFound otherwise.
  virtual Result<void> Delete(const std::string& user_id, const std::string& id) = 0;
  virtual Result<void> DeleteAllForUser(const std::string& user_id) = 0;
};

// Failed logins, shared by every server instance so the rate limit holds behind a load balancer.
class LoginAttemptRepository {
 public:
  virtual ~LoginAttemptRepository() = default;
  virtual Result<void> RecordFailure(const std::string& key, UnixMillis now) = 0;
  virtual Result<std::int64_t> CountFailuresSince(const std::string& key, UnixMillis since) = 0;
  virtual Result<void> Clear(const std::string& key) = 0;
  virtual Result<void> DeleteOlderThan(UnixMillis before) = 0;
};

enum class AssetVisibility { kTimeline, kArchive, kTrash, kAll };

struct AssetQuery {
  std::string owner_id;
  AssetVisibility visibility = AssetVisibility::kTimeline;
  bool favorites_only = false;
  // Keyset cursor: rows strictly after (taken_at, id) in newest-first order.
  std::optional<std::pair<UnixMillis, std::string>> after;
  int limit = 100;
};

struct AssetFlagsPatch {
  std::optional<bool> is_favorite;
  std::optional<bool> is_archived;
};

struct ChecksumMatch {
  std::string sha256;
  std::string asset_id;  // empty for a tombstone
  bool deleted = false;  // the owner deleted this content for good
  UnixMillis deleted_at = 0;
};

struct StoreTotals {
  std::int64_t assets = 0;
  std::int64_t bytes = 0;
};

class AssetRepository {
 public:
  virtual ~AssetRepository() = default;
  virtual Result<Asset> Get(const std::string& id) = 0;  // kNotFound
  virtual Result<std::vector<Asset>> List(const AssetQuery& query) = 0;
  // Which of `sha256s` the owner has (as assets, trashed or not) or deleted (tombstones).
  virtual Result<std::vector<ChecksumMatch>> FindByChecksums(
      const std::string& owner_id, const std::vector<std::string>& sha256s) = 0;
  virtual Result<Asset> UpdateFlags(const std::string& id, const AssetFlagsPatch& patch) = 0;
  virtual Result<void> SetTrashed(const std::string& id, std::optional<UnixMillis> trashed_at) = 0;
  // Deletes for good the owner's assets trashed at or before `trashed_before` (all owners when
  // `owner_id` is empty): in one transaction the rows go, a tombstone per checksum is written,
  // used_bytes drops, and each blob key is queued in the pending-deletion list. Returns the
  // number of assets purged.
  virtual Result<std::int64_t> PurgeTrashed(const std::string& owner_id,
                                            UnixMillis trashed_before, UnixMillis now) = 0;
  // Blob keys whose deletion is still owed (see PurgeTrashed); idempotent to process.
  virtual Result<std::vector<std::string>> PendingBlobDeletions(int limit) = 0;
  virtual Result<void> ForgetPendingBlobDeletion(const std::string& blob_key) = 0;
  // True while `blob_key` is queued for deletion: the name must not be given to new bytes.
  virtual Result<bool> IsPendingBlobDeletion(const std::string& blob_key) = 0;
  // Calls `visit` for every asset (all owners), in no particular order, for `verify`.
  virtual Result<void> ForEach(const std::function<void(const Asset&)>& visit) = 0;
  virtual Result<StoreTotals> Totals() = 0;
};

struct UploadProgress {
  std::int64_t offset = 0;
  std::string hash_state;
  std::string mime_type;
  MediaKind kind = MediaKind::kUnknown;
  std::string final_key;
};

class UploadRepository {
 public:
  virtual ~UploadRepository() = default;
  // Inserts the upload; a non-empty `lease_holder` holds its write lease from the start.
  virtual Result<void> Create(const Upload& upload, const std::string& lease_holder = "",
                              UnixMillis lease_until = 0) = 0;
  virtual Result<Upload> Get(const std::string& id) = 0;  // kNotFound
  // Takes the write lease on an upload for `holder` until `until`. kUploadLocked when another
  // holder's lease has not expired at `now`.
  virtual Result<void> AcquireLease(const std::string& id, const std::string& holder,
                                    UnixMillis now, UnixMillis until) = 0;
  // Extends `holder`'s lease; kUploadLocked when it is no longer theirs.
  virtual Result<void> RenewLease(const std::string& id, const std::string& holder,
                                  UnixMillis until) = 0;
  virtual Result<void> ReleaseLease(const std::string& id, const std::string& holder) = 0;
  // Drops every lease. Only for a store that a single process uses (the embedded SQLite
  // store at start-up), where leases left behind belong to a process that is gone.
  virtual Result<void> ReleaseAllLeases() = 0;
  // Records durably received bytes (with what is known about them) and extends the lease.
  // kUploadLocked when `holder` no longer holds the lease (it expired and another request took
  // it): the caller must stop writing.
  virtual Result<void> SaveProgress(const std::string& id, const std::string& holder,
                                    const UploadProgress& progress, UnixMillis now,
                                    UnixMillis expires_at, UnixMillis lease_until) = 0;
  // Completes the upload into an asset, in one transaction, if `holder` still holds its lease
  // (kUploadLocked otherwise, and nothing changes): if the owner already has an asset
  // with `asset.sha256`, the upload completes as a duplicate of it and nothing else changes;
  // otherwise `asset` is inserted, the owner's used_bytes grows (kQuotaExceeded if that would
  // pass the quota), and a tombstone for the checksum is removed. Returns the completed upload.
  virtual Result<Upload> Complete(const std::string& id, const std::string& holder,
                                  const Asset& asset, UnixMillis now,
                                  UnixMillis expires_at) = 0;
  virtual Result<void> Delete(const std::string& id) = 0;
  virtual Result<std::vector<Upload>> ListExpired(UnixMillis now, int limit) = 0;
  // Final names reserved by uploads still receiving (their bytes may already be there).
  virtual Result<std::vector<std::string>> ReservedKeys() = 0;
  // Uploads still receiving whose offset reached their length (completion was cut off).
  virtual Result<std::vector<Upload>> ListFullyReceived(int limit) = 0;
  virtual Result<std::int64_t> CountReceiving() = 0;
};

// The store as a whole, owned by the composition root.
class MetadataStore {
 public:
  virtual ~MetadataStore() = default;
  virtual UserRepository& Users() = 0;
  virtual CredentialRepository& Credentials() = 0;
  virtual LoginAttemptRepository& LoginAttempts() = 0;
  virtual AssetRepository& Assets() = 0;
  virtual UploadRepository& Uploads() = 0;
  // Succeeds when the database answers a trivial query.
  virtual Result<void> Ping() = 0;
};

}  // namespace shoebox
