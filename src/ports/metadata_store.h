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
#include <string_view>
#include <vector>

#include "core/error.h"
#include "ports/library_tables.h"
#include "ports/model.h"

namespace shoebox {

struct UserPatch {
  std::optional<std::string> name;
  std::optional<std::string> password_hash;
  std::optional<bool> is_admin;
  std::optional<bool> disabled;
  std::optional<std::optional<std::int64_t>> quota_bytes;
  std::optional<Quality> default_quality;
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

// kLibrary: everything not in the trash (the timeline and the archive), what search looks in.
enum class AssetVisibility { kTimeline, kArchive, kTrash, kAll, kLibrary };

// Search filters; empty ones match everything.
struct AssetFilter {
  std::optional<UnixMillis> taken_from;    // inclusive
  std::optional<UnixMillis> taken_before;  // exclusive
  std::string camera;                      // part of the make or the model, any case
  std::string name;                        // part of the file name, any case
  std::optional<MediaKind> kind;
  // A box around a place: latitude and longitude ranges in degrees.
  std::optional<std::pair<double, double>> latitude_range;
  std::optional<std::pair<double, double>> longitude_range;
};

struct AssetQuery {
  std::string owner_id;
  AssetVisibility visibility = AssetVisibility::kTimeline;
  bool favorites_only = false;
  AssetFilter filter;
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
  // For a stored asset: its quality and whether it is in the trash. A device frees local space
  // only for an Original-quality asset outside the trash.
  Quality quality = Quality::kOriginal;
  bool in_trash = false;
};

// One entry of an owner's change feed: the asset changed (or was deleted for good) at `seq`.
// Every insert, update and delete of an asset moves it to the end of the feed.
struct AssetChange {
  std::int64_t seq = 0;
  std::string asset_id;
  std::optional<Asset> asset;  // nullopt: deleted for good
};

// Changes the media pipeline makes to an asset; unset fields stay as they are.
struct MediaPatch {
  std::optional<std::pair<UnixMillis, MediaInfo>> taken_at_and_info;
  std::optional<MediaState> state;
  std::optional<std::string> error;
  std::optional<std::string> thumbnail_key;
  std::optional<std::string> preview_key;
  std::optional<std::string> playback_key;
  std::optional<std::string> live_pair_id;
  std::optional<bool> is_live_motion;
  std::optional<std::string> location_free_key;
};

// Storage saver's replacement of an asset's stored bytes.
struct Conversion {
  std::string key;  // where the converted bytes are stored
  std::int64_t size_bytes = 0;
  std::string content_sha256;
  UnixMillis keep_source_until = 0;
};

struct MonthBucket {
  std::string month;  // "YYYY-MM" of the local capture time
  std::int64_t count = 0;
};

struct StoreTotals {
  std::int64_t assets = 0;
  std::int64_t bytes = 0;
};

// One owner's stored originals split the way the account page draws them.
struct UsageSplit {
  StoreTotals photos;
  StoreTotals videos;
  StoreTotals trash;  // either kind, waiting to be purged
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
  // `owner_id` is empty): in one transaction the rows and their jobs go, a tombstone per
  // checksum is written, used_bytes drops, and every blob key of the asset (original, kept
  // source, derived files) is queued in the pending-deletion list. Returns the number of
  // assets purged.
  virtual Result<std::int64_t> PurgeTrashed(const std::string& owner_id,
                                            UnixMillis trashed_before, UnixMillis now) = 0;
  // Blob keys whose deletion is still owed (see PurgeTrashed); idempotent to process.
  virtual Result<std::vector<std::string>> PendingBlobDeletions(int limit) = 0;
  virtual Result<void> ForgetPendingBlobDeletion(const std::string& blob_key) = 0;
  // True while `blob_key` is queued for deletion: the name must not be given to new bytes.
  virtual Result<bool> IsPendingBlobDeletion(const std::string& blob_key) = 0;
  // The owner's assets whose original name, without extension, is `stem` (case-insensitive).
  virtual Result<std::vector<Asset>> FindByNameStem(const std::string& owner_id,
                                                    const std::string& stem) = 0;
  // Asset counts per month of local capture time, newest first, over the same rows as List.
  virtual Result<std::vector<MonthBucket>> MonthBuckets(const std::string& owner_id,
                                                        AssetVisibility visibility) = 0;
  virtual Result<Asset> UpdateMedia(const std::string& id, const MediaPatch& patch) = 0;
  // Storage saver: in one transaction the asset's bytes become `conversion.key`, the old key
  // is kept as its source until `keep_source_until`, and used_bytes follows the new size.
  // kConflict if the asset is already converted.
  virtual Result<Asset> ApplyConversion(const std::string& id, const Conversion& conversion) = 0;
  // Undoes a conversion while the source is kept: the source becomes the stored bytes again
  // and the converted key is owed a deletion. kConflict when there is no source any more.
  virtual Result<Asset> RevertConversion(const std::string& id) = 0;
  // Lets the kept source of a converted asset go (owed a deletion). Idempotent.
  virtual Result<void> DropSource(const std::string& id) = 0;
  // Calls `visit` for every asset (all owners), in no particular order, for `verify`.
  virtual Result<void> ForEach(const std::function<void(const Asset&)>& visit) = 0;
  // The owner's assets changed after `after_seq`, oldest change first.
  virtual Result<std::vector<AssetChange>> ChangesSince(const std::string& owner_id,
                                                        std::int64_t after_seq, int limit) = 0;
  virtual Result<StoreTotals> Totals() = 0;
  virtual Result<UsageSplit> Usage(const std::string& owner_id) = 0;
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
  // pass the quota), a tombstone for the checksum is removed, and the asset's metadata job is
  // queued. Returns the completed upload.
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

// Background work on assets. A job is claimed with a lease; a lease that lapses (its worker
// died) makes the job claimable again. At most one job per (kind, asset) exists.
enum class JobKind { kMetadata, kThumbnails, kPlayback, kStorageSaver, kPurgeSource };
inline constexpr JobKind kAllJobKinds[] = {JobKind::kMetadata, JobKind::kThumbnails,
                                           JobKind::kPlayback, JobKind::kStorageSaver,
                                           JobKind::kPurgeSource};
enum class JobState { kQueued, kRunning, kFailed };

struct Job {
  std::int64_t id = 0;
  JobKind kind = JobKind::kMetadata;
  std::string asset_id;
  JobState state = JobState::kQueued;
  int attempts = 0;  // claims so far, this one included
  UnixMillis run_after = 0;
  std::string last_error;
  UnixMillis updated_at = 0;
};

struct JobRequest {
  JobKind kind = JobKind::kMetadata;
  std::string asset_id;
  UnixMillis run_after = 0;
};

struct JobCounts {
  JobKind kind = JobKind::kMetadata;
  std::int64_t queued = 0;  // including those waiting for a retry
  std::int64_t running = 0;
  std::int64_t failed = 0;  // gave up
};

class JobRepository {
 public:
  virtual ~JobRepository() = default;
  // Queues each job. One that exists already is queued again from scratch (attempts reset);
  // one that is running now runs once more after it finishes.
  virtual Result<void> Enqueue(const std::vector<JobRequest>& jobs, UnixMillis now) = 0;
  // Queues `kind` for every asset not in the trash (only of `only` kind when given). Returns
  // how many.
  virtual Result<std::int64_t> EnqueueForAll(JobKind kind, std::optional<MediaKind> only,
                                             UnixMillis now) = 0;
  // Atomically takes up to `limit` jobs that are due (queued with run_after <= now, or running
  // under a lapsed lease) for `holder` until `lease_until`; each claim counts as an attempt.
  // Two concurrent claimers never get the same job.
  virtual Result<std::vector<Job>> Claim(const std::string& holder, UnixMillis now,
                                         UnixMillis lease_until, int limit) = 0;
  // The following change nothing when `holder` lost the lease (another claimer owns the job
  // now); they return whether `holder` still held it.
  virtual Result<bool> RenewLease(std::int64_t id, const std::string& holder,
                                  UnixMillis lease_until) = 0;
  virtual Result<bool> Finish(std::int64_t id, const std::string& holder, UnixMillis now) = 0;
  virtual Result<bool> Retry(std::int64_t id, const std::string& holder,
                             const std::string& error, UnixMillis run_after, UnixMillis now) = 0;
  // Stops retrying; the asset's media state becomes failed with `error`.
  virtual Result<bool> GiveUp(std::int64_t id, const std::string& holder,
                              const std::string& error, UnixMillis now) = 0;
  // Puts every running job back in the queue. Only for a store that a single process uses (the
  // embedded SQLite store at start-up): their worker is gone.
  virtual Result<void> ReleaseAllLeases() = 0;
  virtual Result<std::vector<JobCounts>> Counts() = 0;
  virtual Result<std::vector<Job>> ListFailed(int limit) = 0;
  // Earliest run_after of a queued job, for a worker deciding how long to sleep.
  virtual Result<std::optional<UnixMillis>> NextDue() = 0;
};

inline std::string_view JobKindName(JobKind kind) {
  switch (kind) {
    case JobKind::kMetadata: return "metadata";
    case JobKind::kThumbnails: return "thumbnails";
    case JobKind::kPlayback: return "playback";
    case JobKind::kStorageSaver: return "storage_saver";
    case JobKind::kPurgeSource: return "purge_source";
  }
  return "metadata";
}

inline std::optional<JobKind> ParseJobKind(std::string_view name) {
  for (JobKind kind : kAllJobKinds) {
    if (JobKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

// What a device's backup agent last reported (stored as it came, validated by the service).
// Devices are the owner's API keys: deleting the key forgets the device and its status.
struct DeviceStatus {
  std::string device_id;  // the API key's credential id
  std::string status_json;
  UnixMillis reported_at = 0;
};

class DeviceRepository {
 public:
  virtual ~DeviceRepository() = default;
  virtual Result<void> PutStatus(const DeviceStatus& status) = 0;
  virtual Result<std::vector<DeviceStatus>> ListStatus(const std::string& user_id) = 0;
};

struct AlbumPatch {
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<std::string> cover_asset_id;  // "" goes back to the first item
};

// One item of an album, at its place in the album's order.
struct AlbumItem {
  Asset asset;
  std::int64_t position = 0;
  std::string added_by;  // user id
};

class AlbumRepository {
 public:
  virtual ~AlbumRepository() = default;
  virtual Result<Album> Create(const Album& album) = 0;
  virtual Result<Album> Get(const std::string& id) = 0;  // kNotFound
  // The albums `user_id` owns or is a member of, with the user's role, last changed first.
  virtual Result<std::vector<std::pair<Album, AlbumRole>>> ListForUser(
      const std::string& user_id) = 0;
  virtual Result<Album> Update(const std::string& id, const AlbumPatch& patch,
                               UnixMillis now) = 0;  // kNotFound
  // The album, its items, members and links go; the assets stay.
  virtual Result<void> Delete(const std::string& id) = 0;

  // The role of `user_id` in the album: kOwner for its owner; nullopt for anyone else.
  virtual Result<std::optional<AlbumRole>> RoleOf(const std::string& album_id,
                                                  const std::string& user_id) = 0;
  virtual Result<void> PutMember(const std::string& album_id, const std::string& user_id,
                                 AlbumRole role, UnixMillis now) = 0;
  virtual Result<void> RemoveMember(const std::string& album_id,
                                    const std::string& user_id) = 0;  // kNotFound
  virtual Result<std::vector<AlbumMember>> Members(const std::string& album_id) = 0;

  // Appends those of `asset_ids` not in the album yet, in capture-time order. The caller
  // checked that `added_by` may add each. Returns how many were added.
  virtual Result<std::int64_t> AddAssets(const std::string& album_id,
                                         const std::vector<std::string>& asset_ids,
                                         const std::string& added_by, UnixMillis now) = 0;
  // Removes those of `asset_ids` in the album (only the ones `added_by` added, unless empty).
  virtual Result<std::int64_t> RemoveAssets(const std::string& album_id,
                                            const std::vector<std::string>& asset_ids,
                                            const std::string& added_by, UnixMillis now) = 0;
  // Moves `asset_ids` (in that order) before `before_asset_id`, or to the end when empty.
  virtual Result<void> MoveAssets(const std::string& album_id,
                                  const std::vector<std::string>& asset_ids,
                                  const std::string& before_asset_id, UnixMillis now) = 0;
  // Items not in the trash, in album order, after position `after` (nullopt: from the start).
  virtual Result<std::vector<AlbumItem>> Items(const std::string& album_id,
                                               std::optional<std::int64_t> after, int limit) = 0;
  // Whether the asset is an item of the album (and not in the trash).
  virtual Result<bool> Contains(const std::string& album_id, const std::string& asset_id) = 0;
  // Whether the asset (not in the trash) is in an album `user_id` owns or is a member of.
  virtual Result<bool> SharedWith(const std::string& asset_id, const std::string& user_id) = 0;
};

struct ShareLinkPatch {
  std::optional<std::string> password_hash;  // "" removes the password
  std::optional<std::optional<UnixMillis>> expires_at;
  std::optional<bool> allow_download;
  std::optional<bool> show_location;
};

class ShareLinkRepository {
 public:
  virtual ~ShareLinkRepository() = default;
  virtual Result<void> Create(const ShareLink& link) = 0;
  virtual Result<std::optional<ShareLink>> FindByKey(const std::string& key) = 0;
  virtual Result<std::vector<ShareLink>> ListForAlbum(const std::string& album_id) = 0;
  // kNotFound unless the link belongs to the album.
  virtual Result<ShareLink> Update(const std::string& album_id, const std::string& id,
                                   const ShareLinkPatch& patch) = 0;
  virtual Result<void> Delete(const std::string& album_id, const std::string& id) = 0;
};

// Several assets to be fetched as one zip: the browser posts the list, then navigates to the
// request's URL so the download streams to disk. Kept in the database so any instance serves it.
struct DownloadRequest {
  std::string id;
  std::string user_id;
  std::vector<std::string> asset_ids;
  UnixMillis expires_at = 0;
};

class DownloadRepository {
 public:
  virtual ~DownloadRepository() = default;
  // Also drops requests that expired before `now`.
  virtual Result<void> Create(const DownloadRequest& request, UnixMillis now) = 0;
  virtual Result<DownloadRequest> Get(const std::string& id) = 0;  // kNotFound
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
  virtual JobRepository& Jobs() = 0;
  virtual DeviceRepository& Devices() = 0;
  virtual AlbumRepository& Albums() = 0;
  virtual ShareLinkRepository& ShareLinks() = 0;
  virtual DownloadRepository& Downloads() = 0;
  // Succeeds when the database answers a trivial query.
  virtual Result<void> Ping() = 0;
  // Raw tables, for migrating a whole library to another store.
  virtual LibraryTables& Tables() = 0;
};

}  // namespace shoebox
