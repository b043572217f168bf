#include "adapters/sqlite/sqlite_metadata_store.h"

#include <nlohmann/json.hpp>

#include "adapters/sqlite/sqlite_album_store.h"
#include "adapters/sqlite/sqlite_asset_rows.h"
#include "adapters/sqlite/sqlite_db.h"
#include "adapters/sqlite/sqlite_library_tables.h"
#include "adapters/sqlite/sqlite_migrations.h"
#include "core/text.h"
#include "ports/media_info_json.h"

namespace shoebox::sqlite {
namespace {

// ---------------------------------------------------------------- SQL, named.
#define SHOEBOX_USER_COLUMNS                                                                   \
  "id, email, name, password_hash, is_admin, disabled, quota_bytes, used_bytes, storage_label, " \
  "created_at, default_quality"
constexpr const char kInsertUser[] =
    "INSERT INTO users (id, email, name, password_hash, is_admin, disabled, quota_bytes, "
    "used_bytes, storage_label, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8, ?9)";
constexpr const char kUserEmailExists[] = "SELECT 1 FROM users WHERE email = ?1";
constexpr const char kStorageLabelExists[] = "SELECT 1 FROM users WHERE storage_label = ?1";
constexpr const char kCountUsers[] = "SELECT COUNT(*) FROM users";
constexpr const char kSelectUserById[] =
    "SELECT " SHOEBOX_USER_COLUMNS " FROM users WHERE id = ?1";
constexpr const char kSelectUserByEmail[] =
    "SELECT " SHOEBOX_USER_COLUMNS " FROM users WHERE email = ?1";
constexpr const char kSelectUsers[] =
    "SELECT " SHOEBOX_USER_COLUMNS " FROM users ORDER BY created_at, id";
constexpr const char kUpdateUserName[] = "UPDATE users SET name = ?2 WHERE id = ?1";
constexpr const char kUpdateUserPassword[] = "UPDATE users SET password_hash = ?2 WHERE id = ?1";
constexpr const char kUpdateUserAdmin[] = "UPDATE users SET is_admin = ?2 WHERE id = ?1";
constexpr const char kUpdateUserDisabled[] = "UPDATE users SET disabled = ?2 WHERE id = ?1";
constexpr const char kUpdateUserQuota[] = "UPDATE users SET quota_bytes = ?2 WHERE id = ?1";
constexpr const char kUpdateUserQuality[] = "UPDATE users SET default_quality = ?2 WHERE id = ?1";

constexpr const char kInsertCredential[] =
    "INSERT INTO credentials (id, user_id, secret_hash, kind, name, created_at, last_used_at, "
    "expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
constexpr const char kSelectCredentialBySecret[] =
    "SELECT c.id, c.user_id, c.secret_hash, c.kind, c.name, c.created_at, c.last_used_at, "
    "c.expires_at, u.id, u.email, u.name, u.password_hash, u.is_admin, u.disabled, "
    "u.quota_bytes, u.used_bytes, u.storage_label, u.created_at, u.default_quality "
    "FROM credentials c JOIN users u ON u.id = c.user_id "
    "WHERE c.secret_hash = ?1 AND (c.expires_at IS NULL OR c.expires_at > ?2)";
constexpr const char kTouchCredential[] =
    "UPDATE credentials SET last_used_at = ?2 WHERE id = ?1";
constexpr const char kSelectCredentialsForUser[] =
    "SELECT id, user_id, secret_hash, kind, name, created_at, last_used_at, expires_at "
    "FROM credentials WHERE user_id = ?1 AND kind = ?2 ORDER BY created_at, id";
constexpr const char kDeleteCredential[] =
    "DELETE FROM credentials WHERE id = ?1 AND user_id = ?2";
constexpr const char kDeleteCredentialsForUser[] = "DELETE FROM credentials WHERE user_id = ?1";

constexpr const char kInsertLoginFailure[] =
    "INSERT INTO login_failures (attempt_key, failed_at) VALUES (?1, ?2)";
constexpr const char kCountLoginFailures[] =
    "SELECT COUNT(*) FROM login_failures WHERE attempt_key = ?1 AND failed_at >= ?2";
constexpr const char kClearLoginFailures[] = "DELETE FROM login_failures WHERE attempt_key = ?1";
constexpr const char kDeleteOldLoginFailures[] = "DELETE FROM login_failures WHERE failed_at < ?1";

constexpr const char kSelectAssetById[] =
    "SELECT " SHOEBOX_ASSET_COLUMNS " FROM assets WHERE id = ?1";
constexpr const char kSelectAllAssets[] = "SELECT " SHOEBOX_ASSET_COLUMNS " FROM assets";
// ?2 visibility: 0 timeline, 1 archive, 2 trash, 3 all; ?3 favourites only; ?4/?5 cursor.
constexpr const char kListAssets[] =
    "SELECT " SHOEBOX_ASSET_COLUMNS " FROM assets WHERE owner_id = ?1 "
    "AND CASE ?2 WHEN 0 THEN trashed_at IS NULL AND is_archived = 0 AND is_live_motion = 0 "
    "            WHEN 1 THEN trashed_at IS NULL AND is_archived = 1 "
    "            WHEN 2 THEN trashed_at IS NOT NULL "
    "            WHEN 4 THEN trashed_at IS NULL AND is_live_motion = 0 ELSE 1 END "
    "AND (?3 = 0 OR is_favorite = 1) "
    // Written as one range (no "?4 IS NULL OR"), so a page deep in the library starts at its
    // place in the index instead of scanning down to it.
    "AND (taken_at, id) < (COALESCE(?4, 9223372036854775807), COALESCE(?5, '')) "
    "AND (?7 IS NULL OR taken_at >= ?7) AND (?8 IS NULL OR taken_at < ?8) "
    "AND (?9 = '' OR json_extract(media_json, '$.make') LIKE ?9 ESCAPE '\\' "
    "     OR json_extract(media_json, '$.model') LIKE ?9 ESCAPE '\\') "
    "AND (?10 = '' OR original_name LIKE ?10 ESCAPE '\\') "
    "AND (?11 = '' OR kind = ?11) "
    "AND (?12 IS NULL OR json_extract(media_json, '$.latitude') BETWEEN ?12 AND ?13) "
    "AND (?14 IS NULL OR json_extract(media_json, '$.longitude') BETWEEN ?14 AND ?15) "
    "ORDER BY taken_at DESC, id DESC LIMIT ?6";
constexpr const char kFindAssetsByChecksums[] =
    "SELECT a.sha256, a.id, a.quality, a.trashed_at IS NOT NULL FROM assets a "
    "WHERE a.owner_id = ?1 AND a.sha256 IN (SELECT value FROM json_each(?2))";
constexpr const char kUsage[] =
    "SELECT CASE WHEN trashed_at IS NOT NULL THEN 'trash' ELSE kind END, COUNT(*), "
    "COALESCE(SUM(size_bytes), 0) FROM assets WHERE owner_id = ?1 GROUP BY 1";
constexpr const char kChangesSince[] =
    "SELECT seq, asset_id FROM asset_changes WHERE owner_id = ?1 AND seq > ?2 "
    "ORDER BY seq LIMIT ?3";
constexpr const char kPutDeviceStatus[] =
    "INSERT INTO device_status (device_id, user_id, status_json, reported_at) "
    "SELECT ?1, user_id, ?2, ?3 FROM credentials WHERE id = ?1 "
    "ON CONFLICT (device_id) DO UPDATE SET status_json = excluded.status_json, "
    "reported_at = excluded.reported_at";
constexpr const char kListDeviceStatus[] =
    "SELECT device_id, status_json, reported_at FROM device_status WHERE user_id = ?1";
constexpr const char kFindTombstonesByChecksums[] =
    "SELECT t.sha256, t.deleted_at FROM tombstones t "
    "WHERE t.owner_id = ?1 AND t.sha256 IN (SELECT value FROM json_each(?2))";
constexpr const char kUpdateAssetFavorite[] = "UPDATE assets SET is_favorite = ?2 WHERE id = ?1";
constexpr const char kUpdateAssetArchived[] = "UPDATE assets SET is_archived = ?2 WHERE id = ?1";
constexpr const char kSetAssetTrashed[] = "UPDATE assets SET trashed_at = ?2 WHERE id = ?1";
constexpr const char kSelectTrashedBefore[] =
    "SELECT id, owner_id, sha256, blob_key, size_bytes, source_key, thumbnail_key, preview_key, "
    "playback_key, location_free_key FROM assets WHERE trashed_at IS NOT NULL "
    "AND trashed_at <= ?1 AND (?2 = '' OR owner_id = ?2) LIMIT 1000";
constexpr const char kDeleteAsset[] = "DELETE FROM assets WHERE id = ?1";
constexpr const char kUpsertTombstone[] =
    "INSERT INTO tombstones (owner_id, sha256, deleted_at) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (owner_id, sha256) DO UPDATE SET deleted_at = excluded.deleted_at";
constexpr const char kDeleteTombstone[] =
    "DELETE FROM tombstones WHERE owner_id = ?1 AND sha256 = ?2";
constexpr const char kQueueBlobDeletion[] =
    "INSERT INTO pending_blob_deletions (blob_key, queued_at) VALUES (?1, ?2) "
    "ON CONFLICT (blob_key) DO NOTHING";
constexpr const char kSelectPendingBlobDeletions[] =
    "SELECT blob_key FROM pending_blob_deletions ORDER BY queued_at LIMIT ?1";
constexpr const char kSelectPendingBlobDeletion[] =
    "SELECT 1 FROM pending_blob_deletions WHERE blob_key = ?1";
constexpr const char kDeletePendingBlobDeletion[] =
    "DELETE FROM pending_blob_deletions WHERE blob_key = ?1";
constexpr const char kAddUsedBytes[] =
    "UPDATE users SET used_bytes = used_bytes + ?2 WHERE id = ?1";
constexpr const char kAssetTotals[] = "SELECT COUNT(*), COALESCE(SUM(size_bytes), 0) FROM assets";
constexpr const char kSelectAssetIdByChecksum[] =
    "SELECT id FROM assets WHERE owner_id = ?1 AND sha256 = ?2";
constexpr const char kInsertAsset[] =
    "INSERT INTO assets (" SHOEBOX_ASSET_COLUMNS ") VALUES "
    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, "
    "?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31)";
constexpr const char kInsertJob[] =
    "INSERT INTO jobs (kind, asset_id, state, run_after, created_at, updated_at) "
    "VALUES (?1, ?2, 'queued', ?3, ?4, ?4) "
    "ON CONFLICT (kind, asset_id) DO UPDATE SET "
    "rerun = CASE WHEN state = 'running' THEN 1 ELSE 0 END, "
    "state = CASE WHEN state = 'running' THEN 'running' ELSE 'queued' END, "
    "attempts = CASE WHEN state = 'running' THEN attempts ELSE 0 END, "
    "run_after = excluded.run_after, updated_at = excluded.updated_at";
constexpr const char kInsertJobsForAll[] =
    "INSERT INTO jobs (kind, asset_id, state, run_after, created_at, updated_at) "
    "SELECT ?1, id, 'queued', ?2, ?2, ?2 FROM assets WHERE trashed_at IS NULL "
    "AND (?3 = '' OR kind = ?3) "
    "ON CONFLICT (kind, asset_id) DO UPDATE SET "
    "rerun = CASE WHEN state = 'running' THEN 1 ELSE 0 END, "
    "state = CASE WHEN state = 'running' THEN 'running' ELSE 'queued' END, "
    "attempts = CASE WHEN state = 'running' THEN attempts ELSE 0 END, "
    "run_after = excluded.run_after, updated_at = excluded.updated_at";
// The claim: one statement that picks due jobs and marks them taken. PostgreSQL's form puts
// FOR UPDATE SKIP LOCKED on the inner SELECT; SQLite has one writer at a time anyway.
constexpr const char kClaimJobs[] =
    "UPDATE jobs SET state = 'running', lease_holder = ?1, lease_until = ?3, "
    "attempts = attempts + 1, updated_at = ?2 WHERE id IN (SELECT id FROM jobs WHERE "
    "(state = 'queued' AND run_after <= ?2) OR (state = 'running' AND lease_until <= ?2) "
    "ORDER BY run_after, id LIMIT ?4) "
    "RETURNING id, kind, asset_id, state, attempts, run_after, last_error, updated_at";
constexpr const char kRenewJobLease[] =
    "UPDATE jobs SET lease_until = ?3 WHERE id = ?1 AND lease_holder = ?2 AND state = 'running'";
constexpr const char kFinishJob[] =
    "DELETE FROM jobs WHERE id = ?1 AND lease_holder = ?2 AND state = 'running' AND rerun = 0";
constexpr const char kRequeueJob[] =
    "UPDATE jobs SET state = 'queued', rerun = 0, attempts = 0, lease_holder = '', "
    "lease_until = 0, last_error = '', updated_at = ?3 "
    "WHERE id = ?1 AND lease_holder = ?2 AND state = 'running'";
constexpr const char kRetryJob[] =
    "UPDATE jobs SET state = 'queued', lease_holder = '', lease_until = 0, last_error = ?3, "
    "run_after = ?4, updated_at = ?5 WHERE id = ?1 AND lease_holder = ?2 AND state = 'running'";
constexpr const char kFailJob[] =
    "UPDATE jobs SET state = 'failed', lease_holder = '', lease_until = 0, last_error = ?3, "
    "updated_at = ?4 WHERE id = ?1 AND lease_holder = ?2 AND state = 'running' "
    "RETURNING asset_id";
constexpr const char kMarkAssetFailed[] =
    "UPDATE assets SET media_state = 'failed', media_error = ?2 WHERE id = ?1";
constexpr const char kReleaseJobLeases[] =
    "UPDATE jobs SET state = 'queued', lease_holder = '', lease_until = 0 WHERE state = 'running'";
constexpr const char kCountJobs[] = "SELECT kind, state, COUNT(*) FROM jobs GROUP BY kind, state";
constexpr const char kSelectFailedJobs[] =
    "SELECT id, kind, asset_id, state, attempts, run_after, last_error, updated_at FROM jobs "
    "WHERE state = 'failed' ORDER BY updated_at DESC LIMIT ?1";
constexpr const char kNextDueJob[] = "SELECT MIN(run_after) FROM jobs WHERE state = 'queued'";
constexpr const char kDeleteJobsOfAsset[] = "DELETE FROM jobs WHERE asset_id = ?1";
constexpr const char kSelectAssetsByStem[] =
    "SELECT " SHOEBOX_ASSET_COLUMNS " FROM assets WHERE owner_id = ?1 "
    "AND original_name LIKE ?2 ESCAPE '\\' COLLATE NOCASE";
// The local month of capture: taken_at shifted by its UTC offset when known.
// Counts per day of local capture time (days since 1970, floored), newest first: integer
// arithmetic over the covering index; the days are folded into months by the caller.
constexpr const char kDayCounts[] =
    "SELECT (t - ((t % 86400000) + 86400000) % 86400000) / 86400000 AS day, COUNT(*) FROM "
    "(SELECT taken_at + COALESCE(taken_offset_minutes, 0) * 60000 AS t FROM assets "
    " WHERE owner_id = ?1 "
    " AND CASE ?2 WHEN 0 THEN trashed_at IS NULL AND is_archived = 0 AND is_live_motion = 0 "
    "             WHEN 1 THEN trashed_at IS NULL AND is_archived = 1 "
    "             WHEN 2 THEN trashed_at IS NOT NULL "
    "             WHEN 4 THEN trashed_at IS NULL AND is_live_motion = 0 ELSE 1 END) "
    "GROUP BY day ORDER BY day DESC";
constexpr const char kUpdateAssetTakenAt[] =
    "UPDATE assets SET taken_at = ?2, taken_offset_minutes = ?3, media_json = ?4 WHERE id = ?1";
constexpr const char kUpdateAssetMediaState[] =
    "UPDATE assets SET media_state = ?2 WHERE id = ?1";
constexpr const char kUpdateAssetMediaError[] =
    "UPDATE assets SET media_error = ?2 WHERE id = ?1";
constexpr const char kUpdateAssetThumbnail[] =
    "UPDATE assets SET thumbnail_key = ?2 WHERE id = ?1";
constexpr const char kUpdateAssetPreview[] = "UPDATE assets SET preview_key = ?2 WHERE id = ?1";
constexpr const char kUpdateAssetPlayback[] = "UPDATE assets SET playback_key = ?2 WHERE id = ?1";
constexpr const char kUpdateAssetLocationFree[] =
    "UPDATE assets SET location_free_key = ?2 WHERE id = ?1";
constexpr const char kUpdateAssetLivePair[] = "UPDATE assets SET live_pair_id = ?2 WHERE id = ?1";
constexpr const char kUpdateAssetLiveMotion[] =
    "UPDATE assets SET is_live_motion = ?2 WHERE id = ?1";
constexpr const char kApplyConversion[] =
    "UPDATE assets SET source_key = blob_key, source_size_bytes = size_bytes, "
    "source_until = ?5, blob_key = ?2, size_bytes = ?3, content_sha256 = ?4 "
    "WHERE id = ?1 AND content_sha256 = ''";
constexpr const char kRevertConversion[] =
    "UPDATE assets SET blob_key = source_key, size_bytes = source_size_bytes, "
    "content_sha256 = '', source_key = '', source_size_bytes = 0, source_until = NULL, "
    "quality = 'original' WHERE id = ?1 AND source_key != ''";
constexpr const char kDropSource[] =
    "UPDATE assets SET source_key = '', source_until = NULL WHERE id = ?1";
constexpr const char kSelectQuota[] = "SELECT quota_bytes, used_bytes FROM users WHERE id = ?1";

#define SHOEBOX_UPLOAD_COLUMNS                                                                 \
  "id, owner_id, length, received_bytes, hash_state, filename, sha256, mtime, device_id, "     \
  "device_asset_id, mime_type, kind, state, final_key, asset_id, duplicate, created_at, "       \
  "updated_at, expires_at, quality"
constexpr const char kInsertUpload[] =
    "INSERT INTO uploads (" SHOEBOX_UPLOAD_COLUMNS ", lease_holder, lease_until) VALUES "
    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?22, "
    "?20, ?21)";
constexpr const char kSelectUpload[] =
    "SELECT " SHOEBOX_UPLOAD_COLUMNS " FROM uploads WHERE id = ?1";
constexpr const char kRenewLease[] =
    "UPDATE uploads SET lease_until = ?3 WHERE id = ?1 AND lease_holder = ?2 "
    "AND state = 'receiving'";
constexpr const char kAcquireLease[] =
    "UPDATE uploads SET lease_holder = ?2, lease_until = ?4 WHERE id = ?1 "
    "AND (lease_holder = '' OR lease_holder = ?2 OR lease_until <= ?3)";
constexpr const char kReleaseLease[] =
    "UPDATE uploads SET lease_holder = '', lease_until = 0 WHERE id = ?1 AND lease_holder = ?2";
constexpr const char kReleaseAllLeases[] =
    "UPDATE uploads SET lease_holder = '', lease_until = 0 WHERE lease_holder != ''";
constexpr const char kSaveProgress[] =
    "UPDATE uploads SET received_bytes = ?2, hash_state = ?3, updated_at = ?4, expires_at = ?5, "
    "lease_until = ?6, mime_type = ?8, kind = ?9, final_key = ?10 "
    "WHERE id = ?1 AND lease_holder = ?7";
constexpr const char kCompleteUpload[] =
    "UPDATE uploads SET state = 'completed', received_bytes = length, asset_id = ?2, "
    "duplicate = ?3, updated_at = ?4, "
    "expires_at = ?5, lease_holder = '', lease_until = 0 "
    "WHERE id = ?1 AND state = 'receiving' AND lease_holder = ?6";
constexpr const char kDeleteUpload[] = "DELETE FROM uploads WHERE id = ?1";
constexpr const char kSelectExpiredUploads[] =
    "SELECT " SHOEBOX_UPLOAD_COLUMNS " FROM uploads WHERE expires_at <= ?1 LIMIT ?2";
constexpr const char kSelectFullyReceivedUploads[] =
    "SELECT " SHOEBOX_UPLOAD_COLUMNS " FROM uploads WHERE state = 'receiving' "
    "AND received_bytes = length AND length > 0 LIMIT ?1";
constexpr const char kSelectReservedKeys[] =
    "SELECT final_key FROM uploads WHERE state = 'receiving' AND final_key != ''";
constexpr const char kCountReceivingUploads[] =
    "SELECT COUNT(*) FROM uploads WHERE state = 'receiving'";

// ---------------------------------------------------------------- row mapping.
// Steps through every row of `statement`, mapping each with `read`.

User ReadUser(const Statement& s, int first = 0) {
  User u;
  u.id = s.Text(first + 0);
  u.email = s.Text(first + 1);
  u.name = s.Text(first + 2);
  u.password_hash = s.Text(first + 3);
  u.is_admin = s.Int(first + 4) != 0;
  u.disabled = s.Int(first + 5) != 0;
  u.quota_bytes = s.OptionalInt(first + 6);
  u.used_bytes = s.Int(first + 7);
  u.storage_label = s.Text(first + 8);
  u.created_at = s.Int(first + 9);
  u.default_quality = ParseQuality(s.Text(first + 10)).value_or(Quality::kOriginal);
  return u;
}

std::string_view KindName(CredentialKind kind) {
  return kind == CredentialKind::kApiKey ? "api_key" : "session";
}

Credential ReadCredential(const Statement& s) {
  Credential c;
  c.id = s.Text(0);
  c.user_id = s.Text(1);
  c.secret_hash = s.Text(2);
  c.kind = s.Text(3) == "api_key" ? CredentialKind::kApiKey : CredentialKind::kSession;
  c.name = s.Text(4);
  c.created_at = s.Int(5);
  c.last_used_at = s.Int(6);
  c.expires_at = s.OptionalInt(7);
  return c;
}

void BindRange(Statement& s, int first, const std::optional<std::pair<double, double>>& range) {
  if (range) {
    s.BindDouble(first, range->first).BindDouble(first + 1, range->second);
  } else {
    s.BindNull(first).BindNull(first + 1);
  }
}

}  // namespace

Asset ReadAsset(const Statement& s) {
  Asset a;
  a.id = s.Text(0);
  a.owner_id = s.Text(1);
  a.sha256 = s.Text(2);
  a.blob_key = s.Text(3);
  a.original_name = s.Text(4);
  a.mime_type = s.Text(5);
  a.kind = ParseMediaKind(s.Text(6));
  a.size_bytes = s.Int(7);
  a.taken_at = s.Int(8);
  a.file_mtime = s.OptionalInt(9);
  a.uploaded_at = s.Int(10);
  a.device_id = s.Text(11);
  a.device_asset_id = s.Text(12);
  a.is_favorite = s.Int(13) != 0;
  a.is_archived = s.Int(14) != 0;
  a.trashed_at = s.OptionalInt(15);
  a.media = MediaInfoFromJson(nlohmann::json::parse(s.Text(17), nullptr, false));
  if (auto offset = s.OptionalInt(16)) a.media.utc_offset_minutes = static_cast<int>(*offset);
  a.media_state = ParseMediaState(s.Text(18));
  a.media_error = s.Text(19);
  a.thumbnail_key = s.Text(20);
  a.preview_key = s.Text(21);
  a.playback_key = s.Text(22);
  a.live_pair_id = s.Text(23);
  a.is_live_motion = s.Int(24) != 0;
  a.quality = ParseQuality(s.Text(25)).value_or(Quality::kOriginal);
  a.content_sha256 = s.Text(26);
  a.source_key = s.Text(27);
  a.source_size_bytes = s.Int(28);
  a.source_until = s.OptionalInt(29);
  a.location_free_key = s.Text(30);
  return a;
}

namespace {

void BindMediaColumns(Statement& s, const Asset& a) {
  if (a.media.utc_offset_minutes) {
    s.Bind(17, static_cast<std::int64_t>(*a.media.utc_offset_minutes));
  } else {
    s.BindNull(17);
  }
  s.Bind(18, MediaInfoToJson(a.media).dump()).Bind(19, MediaStateName(a.media_state));
  s.Bind(20, a.media_error).Bind(21, a.thumbnail_key).Bind(22, a.preview_key);
  s.Bind(23, a.playback_key).Bind(24, a.live_pair_id).Bind(25, a.is_live_motion);
  s.Bind(26, QualityName(a.quality)).Bind(27, a.content_sha256).Bind(28, a.source_key);
  s.Bind(29, a.source_size_bytes).Bind(30, a.source_until).Bind(31, a.location_free_key);
}

Upload ReadUpload(const Statement& s) {
  Upload u;
  u.id = s.Text(0);
  u.owner_id = s.Text(1);
  u.length = s.Int(2);
  u.offset = s.Int(3);
  u.hash_state = s.Blob(4);
  u.metadata.filename = s.Text(5);
  u.metadata.sha256 = s.Text(6);
  u.metadata.mtime = s.OptionalInt(7);
  u.metadata.device_id = s.Text(8);
  u.metadata.device_asset_id = s.Text(9);
  u.mime_type = s.Text(10);
  u.kind = ParseMediaKind(s.Text(11));
  u.state = s.Text(12) == "completed" ? UploadState::kCompleted : UploadState::kReceiving;
  u.final_key = s.Text(13);
  u.asset_id = s.Text(14);
  u.duplicate = s.Int(15) != 0;
  u.created_at = s.Int(16);
  u.updated_at = s.Int(17);
  u.expires_at = s.Int(18);
  u.metadata.quality = ParseQuality(s.Text(19));
  return u;
}

Error NotFound(std::string_view what) {
  return MakeError(ErrorCode::kNotFound, std::string(what) + " not found");
}

// ---------------------------------------------------------------- repositories.
class SqliteUsers final : public UserRepository {
 public:
  explicit SqliteUsers(Database& db) : db_(db) {}

  Result<User> Create(User user) override {
    return db_.Write<User>([&](Connection& c) { return Insert(c, user); });
  }

  Result<User> CreateFirst(User user) override {
    return db_.Write<User>([&](Connection& c) -> Result<User> {
      SHOEBOX_ASSIGN(auto count, c.Prepare(kCountUsers));
      SHOEBOX_TRY(count.Step());
      if (count.Int(0) > 0) {
        return MakeError(ErrorCode::kAlreadySetUp, "this server already has an administrator");
      }
      return Insert(c, user);
    });
  }

  Result<std::optional<User>> FindByEmail(const std::string& email) override {
    return db_.Read<std::optional<User>>([&](Connection& c) -> Result<std::optional<User>> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kSelectUserByEmail));
      s.Bind(1, email);
      SHOEBOX_ASSIGN(bool row, s.Step());
      if (!row) return std::optional<User>();
      return std::optional<User>(ReadUser(s));
    });
  }

  Result<User> Get(const std::string& id) override {
    return db_.Read<User>([&](Connection& c) { return GetIn(c, id); });
  }

  Result<std::vector<User>> List() override {
    return db_.Read<std::vector<User>>([&](Connection& c) -> Result<std::vector<User>> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kSelectUsers));
      return CollectRows<User>(s, [](const Statement& row) { return ReadUser(row); });
    });
  }

  Result<User> Update(const std::string& id, const UserPatch& patch) override {
    return db_.Write<User>([&](Connection& c) -> Result<User> {
      SHOEBOX_TRY(GetIn(c, id));
      auto apply = [&](const char* sql, auto&& bind) -> Result<void> {
        SHOEBOX_ASSIGN(auto s, c.Prepare(sql));
        s.Bind(1, id);
        bind(s);
        return s.Run();
      };
      if (patch.name) SHOEBOX_TRY(apply(kUpdateUserName, [&](Statement& s) { s.Bind(2, *patch.name); }));
      if (patch.password_hash) {
        SHOEBOX_TRY(apply(kUpdateUserPassword, [&](Statement& s) { s.Bind(2, *patch.password_hash); }));
      }
      if (patch.is_admin) SHOEBOX_TRY(apply(kUpdateUserAdmin, [&](Statement& s) { s.Bind(2, *patch.is_admin); }));
      if (patch.disabled) SHOEBOX_TRY(apply(kUpdateUserDisabled, [&](Statement& s) { s.Bind(2, *patch.disabled); }));
      if (patch.quota_bytes) {
        SHOEBOX_TRY(apply(kUpdateUserQuota, [&](Statement& s) { s.Bind(2, *patch.quota_bytes); }));
      }
      if (patch.default_quality) {
        SHOEBOX_TRY(apply(kUpdateUserQuality,
                          [&](Statement& s) { s.Bind(2, QualityName(*patch.default_quality)); }));
      }
      return GetIn(c, id);
    });
  }

  Result<std::int64_t> Count() override {
    return db_.Read<std::int64_t>([&](Connection& c) -> Result<std::int64_t> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kCountUsers));
      SHOEBOX_TRY(s.Step());
      return s.Int(0);
    });
  }

 private:
  static Result<User> GetIn(Connection& c, const std::string& id) {
    SHOEBOX_ASSIGN(auto s, c.Prepare(kSelectUserById));
    s.Bind(1, id);
    SHOEBOX_ASSIGN(bool row, s.Step());
    if (!row) return NotFound("user");
    return ReadUser(s);
  }

  static Result<bool> Exists(Connection& c, const char* sql, const std::string& value) {
    SHOEBOX_ASSIGN(auto s, c.Prepare(sql));
    s.Bind(1, value);
    return s.Step();
  }

  static Result<User> Insert(Connection& c, User& user) {
    SHOEBOX_ASSIGN(bool taken, Exists(c, kUserEmailExists, user.email));
    if (taken) return MakeError(ErrorCode::kEmailTaken, "a user with this email already exists");
    std::string base = user.storage_label;
    for (int n = 2;; ++n) {
      SHOEBOX_ASSIGN(bool label_taken, Exists(c, kStorageLabelExists, user.storage_label));
      if (!label_taken) break;
      user.storage_label = base + "-" + std::to_string(n);
    }
    SHOEBOX_ASSIGN(auto s, c.Prepare(kInsertUser));
    s.Bind(1, user.id).Bind(2, user.email).Bind(3, user.name).Bind(4, user.password_hash);
    s.Bind(5, user.is_admin).Bind(6, user.disabled).Bind(7, user.quota_bytes);
    s.Bind(8, user.storage_label).Bind(9, user.created_at);
    SHOEBOX_TRY(s.Run());
    if (user.default_quality != Quality::kOriginal) {
      SHOEBOX_ASSIGN(auto q, c.Prepare(kUpdateUserQuality));
      q.Bind(1, user.id).Bind(2, QualityName(user.default_quality));
      SHOEBOX_TRY(q.Run());
    }
    user.used_bytes = 0;
    return user;
  }

  Database& db_;
};

class SqliteCredentials final : public CredentialRepository {
 public:
  explicit SqliteCredentials(Database& db) : db_(db) {}

  Result<void> Create(const Credential& k) override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kInsertCredential));
      s.Bind(1, k.id).Bind(2, k.user_id).Bind(3, k.secret_hash).Bind(4, KindName(k.kind));
      s.Bind(5, k.name).Bind(6, k.created_at).Bind(7, k.last_used_at).Bind(8, k.expires_at);
      return s.Run();
    });
  }

  Result<std::optional<std::pair<Credential, User>>> FindBySecretHash(
      const std::string& secret_hash, UnixMillis now) override {
    using Found = std::optional<std::pair<Credential, User>>;
    return db_.Read<Found>([&](Connection& c) -> Result<Found> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kSelectCredentialBySecret));
      s.Bind(1, secret_hash).Bind(2, now);
      SHOEBOX_ASSIGN(bool row, s.Step());
      if (!row) return Found();
      return Found(std::make_pair(ReadCredential(s), ReadUser(s, 8)));
    });
  }

  Result<void> Touch(const std::string& id, UnixMillis now) override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kTouchCredential));
      s.Bind(1, id).Bind(2, now);
      return s.Run();
    });
  }

  Result<std::vector<Credential>> ListForUser(const std::string& user_id,
                                              CredentialKind kind) override {
    return db_.Read<std::vector<Credential>>([&](Connection& c) -> Result<std::vector<Credential>> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kSelectCredentialsForUser));
      s.Bind(1, user_id).Bind(2, KindName(kind));
      return CollectRows<Credential>(s, [](const Statement& row) { return ReadCredential(row); });
    });
  }

  Result<void> Delete(const std::string& user_id, const std::string& id) override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kDeleteCredential));
      s.Bind(1, id).Bind(2, user_id);
      SHOEBOX_TRY(s.Run());
      if (s.Changes() == 0) return NotFound("key");
      return {};
    });
  }

  Result<void> DeleteAllForUser(const std::string& user_id) override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kDeleteCredentialsForUser));
      s.Bind(1, user_id);
      return s.Run();
    });
  }

 private:
  Database& db_;
};

class SqliteLoginAttempts final : public LoginAttemptRepository {
 public:
  explicit SqliteLoginAttempts(Database& db) : db_(db) {}

  Result<void> RecordFailure(const std::string& key, UnixMillis now) override {
    return Run(kInsertLoginFailure, key, now);
  }
  Result<std::int64_t> CountFailuresSince(const std::string& key, UnixMillis since) override {
    return db_.Read<std::int64_t>([&](Connection& c) -> Result<std::int64_t> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kCountLoginFailures));
      s.Bind(1, key).Bind(2, since);
      SHOEBOX_TRY(s.Step());
      return s.Int(0);
    });
  }
  Result<void> Clear(const std::string& key) override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kClearLoginFailures));
      s.Bind(1, key);
      return s.Run();
    });
  }
  Result<void> DeleteOlderThan(UnixMillis before) override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kDeleteOldLoginFailures));
      s.Bind(1, before);
      return s.Run();
    });
  }

 private:
  Result<void> Run(const char* sql, const std::string& key, UnixMillis at) {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(sql));
      s.Bind(1, key).Bind(2, at);
      return s.Run();
    });
  }
  Database& db_;
};

class SqliteAssets final : public AssetRepository {
 public:
  explicit SqliteAssets(Database& db) : db_(db) {}

  Result<Asset> Get(const std::string& id) override {
    return db_.Read<Asset>([&](Connection& c) { return GetIn(c, id); });
  }

  Result<std::vector<Asset>> List(const AssetQuery& q) override {
    return db_.Read<std::vector<Asset>>([&](Connection& c) -> Result<std::vector<Asset>> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kListAssets));
      s.Bind(1, q.owner_id).Bind(2, static_cast<int>(q.visibility)).Bind(3, q.favorites_only);
      if (q.after) {
        s.Bind(4, q.after->first).Bind(5, q.after->second);
      } else {
        s.BindNull(4).BindNull(5);
      }
      s.Bind(6, q.limit);
      const AssetFilter& f = q.filter;
      s.Bind(7, f.taken_from).Bind(8, f.taken_before);
      s.Bind(9, sql::LikePattern(f.camera)).Bind(10, sql::LikePattern(f.name));
      s.Bind(11, f.kind ? MediaKindName(*f.kind) : std::string_view(""));
      BindRange(s, 12, f.latitude_range);
      BindRange(s, 14, f.longitude_range);
      return CollectRows<Asset>(s, [](const Statement& row) { return ReadAsset(row); });
    });
  }

  Result<std::vector<ChecksumMatch>> FindByChecksums(
      const std::string& owner_id, const std::vector<std::string>& sha256s) override {
    std::string list = nlohmann::json(sha256s).dump();
    return db_.Read<std::vector<ChecksumMatch>>(
        [&](Connection& c) -> Result<std::vector<ChecksumMatch>> {
          std::vector<ChecksumMatch> out;
          SHOEBOX_ASSIGN(auto s, c.Prepare(kFindAssetsByChecksums));
          s.Bind(1, owner_id).Bind(2, list);
          while (true) {
            SHOEBOX_ASSIGN(bool row, s.Step());
            if (!row) break;
            out.push_back(ChecksumMatch{s.Text(0), s.Text(1), false, 0,
                                        ParseQuality(s.Text(2)).value_or(Quality::kOriginal),
                                        s.Int(3) != 0});
          }
          SHOEBOX_ASSIGN(auto t, c.Prepare(kFindTombstonesByChecksums));
          t.Bind(1, owner_id).Bind(2, list);
          while (true) {
            SHOEBOX_ASSIGN(bool row, t.Step());
            if (!row) break;
            out.push_back(ChecksumMatch{t.Text(0), "", true, t.Int(1)});
          }
          return out;
        });
  }

  Result<Asset> UpdateFlags(const std::string& id, const AssetFlagsPatch& patch) override {
    return db_.Write<Asset>([&](Connection& c) -> Result<Asset> {
      SHOEBOX_TRY(GetIn(c, id));
      if (patch.is_favorite) {
        SHOEBOX_ASSIGN(auto s, c.Prepare(kUpdateAssetFavorite));
        s.Bind(1, id).Bind(2, *patch.is_favorite);
        SHOEBOX_TRY(s.Run());
      }
      if (patch.is_archived) {
        SHOEBOX_ASSIGN(auto s, c.Prepare(kUpdateAssetArchived));
        s.Bind(1, id).Bind(2, *patch.is_archived);
        SHOEBOX_TRY(s.Run());
      }
      return GetIn(c, id);
    });
  }

  Result<void> SetTrashed(const std::string& id, std::optional<UnixMillis> trashed_at) override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kSetAssetTrashed));
      s.Bind(1, id).Bind(2, trashed_at);
      SHOEBOX_TRY(s.Run());
      if (s.Changes() == 0) return NotFound("asset");
      return {};
    });
  }

  Result<std::int64_t> PurgeTrashed(const std::string& owner_id, UnixMillis trashed_before,
                                    UnixMillis now) override {
    std::int64_t total = 0;
    while (true) {
      SHOEBOX_ASSIGN(std::int64_t purged, db_.Write<std::int64_t>([&](Connection& c) {
        return PurgeBatch(c, owner_id, trashed_before, now);
      }));
      total += purged;
      if (purged == 0) return total;
    }
  }

  Result<std::vector<std::string>> PendingBlobDeletions(int limit) override {
    return db_.Read<std::vector<std::string>>([&](Connection& c) -> Result<std::vector<std::string>> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kSelectPendingBlobDeletions));
      s.Bind(1, limit);
      return CollectRows<std::string>(s, [](const Statement& row) { return row.Text(0); });
    });
  }

  Result<void> ForgetPendingBlobDeletion(const std::string& blob_key) override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kDeletePendingBlobDeletion));
      s.Bind(1, blob_key);
      return s.Run();
    });
  }

  Result<bool> IsPendingBlobDeletion(const std::string& blob_key) override {
    return db_.Read<bool>([&](Connection& c) -> Result<bool> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kSelectPendingBlobDeletion));
      s.Bind(1, blob_key);
      return s.Step();
    });
  }

  Result<void> ForEach(const std::function<void(const Asset&)>& visit) override {
    return db_.Read<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kSelectAllAssets));
      while (true) {
        SHOEBOX_ASSIGN(bool row, s.Step());
        if (!row) return {};
        visit(ReadAsset(s));
      }
    });
  }

  Result<UsageSplit> Usage(const std::string& owner_id) override {
    return db_.Read<UsageSplit>([&](Connection& c) -> Result<UsageSplit> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kUsage));
      s.Bind(1, owner_id);
      UsageSplit usage;
      while (true) {
        SHOEBOX_ASSIGN(bool row, s.Step());
        if (!row) return usage;
        std::string what = s.Text(0);
        StoreTotals totals{s.Int(1), s.Int(2)};
        if (what == "trash") {
          usage.trash = totals;
        } else if (what == "video") {
          usage.videos = totals;
        } else {
          usage.photos = totals;
        }
      }
    });
  }

  Result<std::vector<AssetChange>> ChangesSince(const std::string& owner_id,
                                                std::int64_t after_seq, int limit) override {
    return db_.Read<std::vector<AssetChange>>([&](Connection& c) -> Result<std::vector<AssetChange>> {
      std::vector<AssetChange> changes;
      {
        SHOEBOX_ASSIGN(auto s, c.Prepare(kChangesSince));
        s.Bind(1, owner_id).Bind(2, after_seq).Bind(3, limit);
        while (true) {
          SHOEBOX_ASSIGN(bool row, s.Step());
          if (!row) break;
          changes.push_back(AssetChange{s.Int(0), s.Text(1), std::nullopt});
        }
      }
      for (AssetChange& change : changes) {
        auto asset = GetIn(c, change.asset_id);
        if (asset) {
          change.asset = std::move(*asset);
        } else if (asset.error().code != ErrorCode::kNotFound) {
          return asset.error();
        }
      }
      return changes;
    });
  }

  Result<StoreTotals> Totals() override {
    return db_.Read<StoreTotals>([&](Connection& c) -> Result<StoreTotals> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kAssetTotals));
      SHOEBOX_TRY(s.Step());
      return StoreTotals{s.Int(0), s.Int(1)};
    });
  }

  Result<std::vector<Asset>> FindByNameStem(const std::string& owner_id,
                                            const std::string& stem) override {
    std::string pattern = sql::LikeLiteral(stem) + ".%";
    return db_.Read<std::vector<Asset>>([&](Connection& c) -> Result<std::vector<Asset>> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kSelectAssetsByStem));
      s.Bind(1, owner_id).Bind(2, pattern);
      SHOEBOX_ASSIGN(auto rows,
                     CollectRows<Asset>(s, [](const Statement& row) { return ReadAsset(row); }));
      // LIKE also matched "stem.x.y"; keep only names whose last extension follows the stem.
      std::erase_if(rows, [&](const Asset& a) {
        return a.original_name.find('.', stem.size() + 1) != std::string::npos;
      });
      return rows;
    });
  }

  Result<std::vector<MonthBucket>> MonthBuckets(const std::string& owner_id,
                                                AssetVisibility visibility) override {
    return db_.Read<std::vector<MonthBucket>>([&](Connection& c) -> Result<std::vector<MonthBucket>> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kDayCounts));
      s.Bind(1, owner_id).Bind(2, static_cast<int>(visibility));
      std::vector<MonthBucket> months;
      while (true) {
        SHOEBOX_ASSIGN(bool row, s.Step());
        if (!row) return months;
        sql::AddDayToMonths(months, s.Int(0), s.Int(1));
      }
    });
  }

  Result<Asset> UpdateMedia(const std::string& id, const MediaPatch& patch) override {
    return db_.Write<Asset>([&](Connection& c) -> Result<Asset> {
      SHOEBOX_ASSIGN(Asset before, GetIn(c, id));
      // Derived files replaced by new ones are owed a deletion.
      for (const std::string& old_key : sql::ReplacedDerivedKeys(before, patch)) {
        SHOEBOX_TRY(QueueBlobDeletion(c, old_key, before.uploaded_at));
      }
      auto apply = [&](const char* sql, auto&& bind) -> Result<void> {
        SHOEBOX_ASSIGN(auto s, c.Prepare(sql));
        s.Bind(1, id);
        bind(s);
        return s.Run();
      };
      auto text = [&](const char* sql, const std::optional<std::string>& value) -> Result<void> {
        if (!value) return {};
        return apply(sql, [&](Statement& s) { s.Bind(2, *value); });
      };
      if (patch.taken_at_and_info) {
        const auto& [taken_at, info] = *patch.taken_at_and_info;
        SHOEBOX_TRY(apply(kUpdateAssetTakenAt, [&](Statement& s) {
          s.Bind(2, taken_at);
          if (info.utc_offset_minutes) {
            s.Bind(3, static_cast<std::int64_t>(*info.utc_offset_minutes));
          } else {
            s.BindNull(3);
          }
          s.Bind(4, MediaInfoToJson(info).dump());
        }));
      }
      if (patch.state) {
        SHOEBOX_TRY(apply(kUpdateAssetMediaState,
                          [&](Statement& s) { s.Bind(2, MediaStateName(*patch.state)); }));
      }
      SHOEBOX_TRY(text(kUpdateAssetMediaError, patch.error));
      SHOEBOX_TRY(text(kUpdateAssetThumbnail, patch.thumbnail_key));
      SHOEBOX_TRY(text(kUpdateAssetPreview, patch.preview_key));
      SHOEBOX_TRY(text(kUpdateAssetPlayback, patch.playback_key));
      SHOEBOX_TRY(text(kUpdateAssetLocationFree, patch.location_free_key));
      SHOEBOX_TRY(text(kUpdateAssetLivePair, patch.live_pair_id));
      if (patch.is_live_motion) {
        SHOEBOX_TRY(apply(kUpdateAssetLiveMotion,
                          [&](Statement& s) { s.Bind(2, *patch.is_live_motion); }));
      }
      return GetIn(c, id);
    });
  }

  Result<Asset> ApplyConversion(const std::string& id, const Conversion& conv) override {
    return db_.Write<Asset>([&](Connection& c) -> Result<Asset> {
      SHOEBOX_ASSIGN(Asset before, GetIn(c, id));
      SHOEBOX_ASSIGN(auto s, c.Prepare(kApplyConversion));
      s.Bind(1, id).Bind(2, conv.key).Bind(3, conv.size_bytes).Bind(4, conv.content_sha256);
      s.Bind(5, conv.keep_source_until);
      SHOEBOX_TRY(s.Run());
      if (s.Changes() == 0) return MakeError(ErrorCode::kConflict, "the asset is already converted");
      SHOEBOX_ASSIGN(auto used, c.Prepare(kAddUsedBytes));
      used.Bind(1, before.owner_id).Bind(2, conv.size_bytes - before.size_bytes);
      SHOEBOX_TRY(used.Run());
      SHOEBOX_ASSIGN(auto owed, c.Prepare(kDeletePendingBlobDeletion));
      owed.Bind(1, conv.key);
      SHOEBOX_TRY(owed.Run());
      return GetIn(c, id);
    });
  }

  Result<Asset> RevertConversion(const std::string& id) override {
    return db_.Write<Asset>([&](Connection& c) -> Result<Asset> {
      SHOEBOX_ASSIGN(Asset before, GetIn(c, id));
      SHOEBOX_ASSIGN(auto s, c.Prepare(kRevertConversion));
      s.Bind(1, id);
      SHOEBOX_TRY(s.Run());
      if (s.Changes() == 0) {
        return MakeError(ErrorCode::kConflict, "the original of this asset is no longer kept");
      }
      SHOEBOX_TRY(QueueBlobDeletion(c, before.blob_key, before.uploaded_at));
      SHOEBOX_ASSIGN(auto used, c.Prepare(kAddUsedBytes));
      used.Bind(1, before.owner_id).Bind(2, before.source_size_bytes - before.size_bytes);
      SHOEBOX_TRY(used.Run());
      return GetIn(c, id);
    });
  }

  Result<void> DropSource(const std::string& id) override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(Asset before, GetIn(c, id));
      if (before.source_key.empty()) return {};
      SHOEBOX_TRY(QueueBlobDeletion(c, before.source_key, before.uploaded_at));
      SHOEBOX_ASSIGN(auto s, c.Prepare(kDropSource));
      s.Bind(1, id);
      return s.Run();
    });
  }

 private:
  static Result<Asset> GetIn(Connection& c, const std::string& id) {
    SHOEBOX_ASSIGN(auto s, c.Prepare(kSelectAssetById));
    s.Bind(1, id);
    SHOEBOX_ASSIGN(bool row, s.Step());
    if (!row) return NotFound("asset");
    return ReadAsset(s);
  }

  static Result<void> QueueBlobDeletion(Connection& c, const std::string& key, UnixMillis now) {
    SHOEBOX_ASSIGN(auto s, c.Prepare(kQueueBlobDeletion));
    s.Bind(1, key).Bind(2, now);
    return s.Run();
  }

  static Result<std::int64_t> PurgeBatch(Connection& c, const std::string& owner_id,
                                         UnixMillis trashed_before, UnixMillis now) {
    struct Doomed {
      std::string id, owner_id, sha256;
      std::int64_t size;
      std::vector<std::string> keys;  // original, kept source, derived files
    };
    std::vector<Doomed> doomed;
    {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kSelectTrashedBefore));
      s.Bind(1, trashed_before).Bind(2, owner_id);
      while (true) {
        SHOEBOX_ASSIGN(bool row, s.Step());
        if (!row) break;
        Doomed d{s.Text(0), s.Text(1), s.Text(2), s.Int(4), {}};
        for (int column : {3, 5, 6, 7, 8, 9}) {
          if (!s.Text(column).empty()) d.keys.push_back(s.Text(column));
        }
        doomed.push_back(std::move(d));
      }
    }
    for (const Doomed& d : doomed) {
      {
        SHOEBOX_ASSIGN(auto s, c.Prepare(kDeleteAsset));
        s.Bind(1, d.id);
        SHOEBOX_TRY(s.Run());
      }
      {
        SHOEBOX_ASSIGN(auto s, c.Prepare(kUpsertTombstone));
        s.Bind(1, d.owner_id).Bind(2, d.sha256).Bind(3, now);
        SHOEBOX_TRY(s.Run());
      }
      for (const std::string& key : d.keys) SHOEBOX_TRY(QueueBlobDeletion(c, key, now));
      {
        SHOEBOX_ASSIGN(auto s, c.Prepare(kDeleteJobsOfAsset));
        s.Bind(1, d.id);
        SHOEBOX_TRY(s.Run());
      }
      {
        SHOEBOX_ASSIGN(auto s, c.Prepare(kAddUsedBytes));
        s.Bind(1, d.owner_id).Bind(2, -d.size);
        SHOEBOX_TRY(s.Run());
      }
    }
    return static_cast<std::int64_t>(doomed.size());
  }

  Database& db_;
};

class SqliteUploads final : public UploadRepository {
 public:
  explicit SqliteUploads(Database& db) : db_(db) {}

  Result<void> Create(const Upload& u, const std::string& lease_holder,
                      UnixMillis lease_until) override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kInsertUpload));
      s.Bind(1, u.id).Bind(2, u.owner_id).Bind(3, u.length).Bind(4, u.offset);
      s.BindBlob(5, u.hash_state).Bind(6, u.metadata.filename).Bind(7, u.metadata.sha256);
      s.Bind(8, u.metadata.mtime).Bind(9, u.metadata.device_id).Bind(10, u.metadata.device_asset_id);
      s.Bind(11, u.mime_type).Bind(12, MediaKindName(u.kind));
      s.Bind(13, std::string_view(u.state == UploadState::kCompleted ? "completed" : "receiving"));
      s.Bind(14, u.final_key).Bind(15, u.asset_id).Bind(16, u.duplicate);
      s.Bind(17, u.created_at).Bind(18, u.updated_at).Bind(19, u.expires_at);
      s.Bind(20, lease_holder).Bind(21, lease_until);
      s.Bind(22, u.metadata.quality ? QualityName(*u.metadata.quality) : std::string_view(""));
      return s.Run();
    });
  }

  Result<Upload> Get(const std::string& id) override {
    return db_.Read<Upload>([&](Connection& c) -> Result<Upload> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kSelectUpload));
      s.Bind(1, id);
      SHOEBOX_ASSIGN(bool row, s.Step());
      if (!row) return NotFound("upload");
      return ReadUpload(s);
    });
  }

  Result<void> AcquireLease(const std::string& id, const std::string& holder, UnixMillis now,
                            UnixMillis until) override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kAcquireLease));
      s.Bind(1, id).Bind(2, holder).Bind(3, now).Bind(4, until);
      SHOEBOX_TRY(s.Run());
      if (s.Changes() == 0) {
        return MakeError(ErrorCode::kUploadLocked,
                         "another request is writing to this upload; retry shortly");
      }
      return {};
    });
  }

  Result<void> RenewLease(const std::string& id, const std::string& holder,
                          UnixMillis until) override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kRenewLease));
      s.Bind(1, id).Bind(2, holder).Bind(3, until);
      SHOEBOX_TRY(s.Run());
      if (s.Changes() == 0) {
        return MakeError(ErrorCode::kUploadLocked, "this request lost its lease on the upload");
      }
      return {};
    });
  }

  Result<void> ReleaseLease(const std::string& id, const std::string& holder) override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kReleaseLease));
      s.Bind(1, id).Bind(2, holder);
      return s.Run();
    });
  }

  Result<void> ReleaseAllLeases() override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kReleaseAllLeases));
      return s.Run();
    });
  }

  Result<void> SaveProgress(const std::string& id, const std::string& holder,
                            const UploadProgress& p, UnixMillis now, UnixMillis expires_at,
                            UnixMillis lease_until) override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kSaveProgress));
      s.Bind(1, id).Bind(2, p.offset).BindBlob(3, p.hash_state).Bind(4, now).Bind(5, expires_at);
      s.Bind(6, lease_until).Bind(7, holder).Bind(8, p.mime_type).Bind(9, MediaKindName(p.kind));
      s.Bind(10, p.final_key);
      SHOEBOX_TRY(s.Run());
      if (s.Changes() == 0) {
        return MakeError(ErrorCode::kUploadLocked, "this request lost its lease on the upload");
      }
      return {};
    });
  }

  Result<Upload> Complete(const std::string& id, const std::string& holder, const Asset& a,
                          UnixMillis now, UnixMillis expires_at) override {
    return db_.Write<Upload>([&](Connection& c) -> Result<Upload> {
      std::string asset_id = a.id;
      bool duplicate = false;
      {
        SHOEBOX_ASSIGN(auto s, c.Prepare(kSelectAssetIdByChecksum));
        s.Bind(1, a.owner_id).Bind(2, a.sha256);
        SHOEBOX_ASSIGN(bool row, s.Step());
        if (row) {
          asset_id = s.Text(0);
          duplicate = true;
        }
      }
      if (!duplicate && a.blob_key.empty()) {
        return MakeError(ErrorCode::kConflict,
                         "the stored copy this upload was to share is gone; store it again");
      }
      if (!duplicate) {
        {
          SHOEBOX_ASSIGN(auto s, c.Prepare(kSelectQuota));
          s.Bind(1, a.owner_id);
          SHOEBOX_ASSIGN(bool row, s.Step());
          if (!row) return NotFound("user");
          auto quota = s.OptionalInt(0);
          if (quota && s.Int(1) + a.size_bytes > *quota) {
            return MakeError(ErrorCode::kQuotaExceeded,
                             "this upload would exceed your storage quota");
          }
        }
        SHOEBOX_ASSIGN(auto s, c.Prepare(kInsertAsset));
        s.Bind(1, a.id).Bind(2, a.owner_id).Bind(3, a.sha256).Bind(4, a.blob_key);
        s.Bind(5, a.original_name).Bind(6, a.mime_type).Bind(7, MediaKindName(a.kind));
        s.Bind(8, a.size_bytes).Bind(9, a.taken_at).Bind(10, a.file_mtime).Bind(11, a.uploaded_at);
        s.Bind(12, a.device_id).Bind(13, a.device_asset_id).Bind(14, a.is_favorite);
        s.Bind(15, a.is_archived);
        s.Bind(16, a.trashed_at);
        BindMediaColumns(s, a);
        SHOEBOX_TRY(s.Run());
        SHOEBOX_ASSIGN(auto job, c.Prepare(kInsertJob));
        job.Bind(1, JobKindName(JobKind::kMetadata)).Bind(2, a.id).Bind(3, now).Bind(4, now);
        SHOEBOX_TRY(job.Run());
        SHOEBOX_ASSIGN(auto used, c.Prepare(kAddUsedBytes));
        used.Bind(1, a.owner_id).Bind(2, a.size_bytes);
        SHOEBOX_TRY(used.Run());
        SHOEBOX_ASSIGN(auto tomb, c.Prepare(kDeleteTombstone));
        tomb.Bind(1, a.owner_id).Bind(2, a.sha256);
        SHOEBOX_TRY(tomb.Run());
        SHOEBOX_ASSIGN(auto owed, c.Prepare(kDeletePendingBlobDeletion));
        owed.Bind(1, a.blob_key);  // the name now holds new bytes; nothing there is owed
        SHOEBOX_TRY(owed.Run());
      }
      {
        SHOEBOX_ASSIGN(auto s, c.Prepare(kCompleteUpload));
        s.Bind(1, id).Bind(2, asset_id).Bind(3, duplicate).Bind(4, now).Bind(5, expires_at);
        s.Bind(6, holder);
        SHOEBOX_TRY(s.Run());
        if (s.Changes() == 0) {
          return MakeError(ErrorCode::kUploadLocked,
                           "this request lost its lease on the upload (or it is gone)");
        }
      }
      SHOEBOX_ASSIGN(auto s, c.Prepare(kSelectUpload));
      s.Bind(1, id);
      SHOEBOX_TRY(s.Step());
      return ReadUpload(s);
    });
  }

  Result<void> Delete(const std::string& id) override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kDeleteUpload));
      s.Bind(1, id);
      return s.Run();
    });
  }

  Result<std::vector<Upload>> ListExpired(UnixMillis now, int limit) override {
    return db_.Read<std::vector<Upload>>([&](Connection& c) -> Result<std::vector<Upload>> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kSelectExpiredUploads));
      s.Bind(1, now).Bind(2, limit);
      return CollectRows<Upload>(s, [](const Statement& row) { return ReadUpload(row); });
    });
  }

  Result<std::vector<std::string>> ReservedKeys() override {
    return db_.Read<std::vector<std::string>>([&](Connection& c) -> Result<std::vector<std::string>> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kSelectReservedKeys));
      return CollectRows<std::string>(s, [](const Statement& row) { return row.Text(0); });
    });
  }

  Result<std::vector<Upload>> ListFullyReceived(int limit) override {
    return db_.Read<std::vector<Upload>>([&](Connection& c) -> Result<std::vector<Upload>> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kSelectFullyReceivedUploads));
      s.Bind(1, limit);
      return CollectRows<Upload>(s, [](const Statement& row) { return ReadUpload(row); });
    });
  }

  Result<std::int64_t> CountReceiving() override {
    return db_.Read<std::int64_t>([&](Connection& c) -> Result<std::int64_t> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kCountReceivingUploads));
      SHOEBOX_TRY(s.Step());
      return s.Int(0);
    });
  }

 private:
  Database& db_;
};

JobState ParseJobState(std::string_view name) {
  if (name == "running") return JobState::kRunning;
  if (name == "failed") return JobState::kFailed;
  return JobState::kQueued;
}

Job ReadJob(const Statement& s) {
  Job j;
  j.id = s.Int(0);
  j.kind = ParseJobKind(s.Text(1)).value_or(JobKind::kMetadata);
  j.asset_id = s.Text(2);
  j.state = ParseJobState(s.Text(3));
  j.attempts = static_cast<int>(s.Int(4));
  j.run_after = s.Int(5);
  j.last_error = s.Text(6);
  j.updated_at = s.Int(7);
  return j;
}

class SqliteJobs final : public JobRepository {
 public:
  explicit SqliteJobs(Database& db) : db_(db) {}

  Result<void> Enqueue(const std::vector<JobRequest>& jobs, UnixMillis now) override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      for (const JobRequest& job : jobs) {
        SHOEBOX_ASSIGN(auto s, c.Prepare(kInsertJob));
        s.Bind(1, JobKindName(job.kind)).Bind(2, job.asset_id).Bind(3, job.run_after);
        s.Bind(4, now);
        SHOEBOX_TRY(s.Run());
      }
      return {};
    });
  }

  Result<std::int64_t> EnqueueForAll(JobKind kind, std::optional<MediaKind> only,
                                     UnixMillis now) override {
    return db_.Write<std::int64_t>([&](Connection& c) -> Result<std::int64_t> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kInsertJobsForAll));
      s.Bind(1, JobKindName(kind)).Bind(2, now);
      s.Bind(3, only ? MediaKindName(*only) : std::string_view(""));
      SHOEBOX_TRY(s.Run());
      return static_cast<std::int64_t>(s.Changes());
    });
  }

  Result<std::vector<Job>> Claim(const std::string& holder, UnixMillis now,
                                 UnixMillis lease_until, int limit) override {
    return db_.Write<std::vector<Job>>([&](Connection& c) -> Result<std::vector<Job>> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kClaimJobs));
      s.Bind(1, holder).Bind(2, now).Bind(3, lease_until).Bind(4, limit);
      return CollectRows<Job>(s, [](const Statement& row) { return ReadJob(row); });
    });
  }

  Result<bool> RenewLease(std::int64_t id, const std::string& holder,
                          UnixMillis lease_until) override {
    return db_.Write<bool>([&](Connection& c) -> Result<bool> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kRenewJobLease));
      s.Bind(1, id).Bind(2, holder).Bind(3, lease_until);
      SHOEBOX_TRY(s.Run());
      return s.Changes() > 0;
    });
  }

  Result<bool> Finish(std::int64_t id, const std::string& holder, UnixMillis now) override {
    return db_.Write<bool>([&](Connection& c) -> Result<bool> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kFinishJob));
      s.Bind(1, id).Bind(2, holder);
      SHOEBOX_TRY(s.Run());
      if (s.Changes() > 0) return true;
      // Queued again while it ran (rerun), or no longer ours.
      SHOEBOX_ASSIGN(auto again, c.Prepare(kRequeueJob));
      again.Bind(1, id).Bind(2, holder).Bind(3, now);
      SHOEBOX_TRY(again.Run());
      return again.Changes() > 0;
    });
  }

  Result<bool> Retry(std::int64_t id, const std::string& holder, const std::string& error,
                     UnixMillis run_after, UnixMillis now) override {
    return db_.Write<bool>([&](Connection& c) -> Result<bool> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kRetryJob));
      s.Bind(1, id).Bind(2, holder).Bind(3, error).Bind(4, run_after).Bind(5, now);
      SHOEBOX_TRY(s.Run());
      return s.Changes() > 0;
    });
  }

  Result<bool> GiveUp(std::int64_t id, const std::string& holder, const std::string& error,
                      UnixMillis now) override {
    return db_.Write<bool>([&](Connection& c) -> Result<bool> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kFailJob));
      s.Bind(1, id).Bind(2, holder).Bind(3, error).Bind(4, now);
      SHOEBOX_ASSIGN(bool row, s.Step());
      if (!row) return false;
      std::string asset_id = s.Text(0);
      SHOEBOX_TRY(s.Step());  // RETURNING rows are produced as the statement runs to its end
      SHOEBOX_ASSIGN(auto mark, c.Prepare(kMarkAssetFailed));
      mark.Bind(1, asset_id).Bind(2, error);
      SHOEBOX_TRY(mark.Run());
      return true;
    });
  }

  Result<void> ReleaseAllLeases() override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kReleaseJobLeases));
      return s.Run();
    });
  }

  Result<std::vector<JobCounts>> Counts() override {
    return db_.Read<std::vector<JobCounts>>([&](Connection& c) -> Result<std::vector<JobCounts>> {
      std::vector<JobCounts> counts;
      for (JobKind kind : kAllJobKinds) counts.push_back(JobCounts{kind, 0, 0, 0});
      SHOEBOX_ASSIGN(auto s, c.Prepare(kCountJobs));
      while (true) {
        SHOEBOX_ASSIGN(bool row, s.Step());
        if (!row) return counts;
        auto kind = ParseJobKind(s.Text(0));
        if (!kind) continue;
        JobCounts& n = counts[static_cast<std::size_t>(*kind)];
        switch (ParseJobState(s.Text(1))) {
          case JobState::kQueued: n.queued += s.Int(2); break;
          case JobState::kRunning: n.running += s.Int(2); break;
          case JobState::kFailed: n.failed += s.Int(2); break;
        }
      }
    });
  }

  Result<std::vector<Job>> ListFailed(int limit) override {
    return db_.Read<std::vector<Job>>([&](Connection& c) -> Result<std::vector<Job>> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kSelectFailedJobs));
      s.Bind(1, limit);
      return CollectRows<Job>(s, [](const Statement& row) { return ReadJob(row); });
    });
  }

  Result<std::optional<UnixMillis>> NextDue() override {
    return db_.Read<std::optional<UnixMillis>>(
        [&](Connection& c) -> Result<std::optional<UnixMillis>> {
          SHOEBOX_ASSIGN(auto s, c.Prepare(kNextDueJob));
          SHOEBOX_TRY(s.Step());
          return s.OptionalInt(0);
        });
  }

 private:
  Database& db_;
};

class SqliteDevices final : public DeviceRepository {
 public:
  explicit SqliteDevices(Database& db) : db_(db) {}

  Result<void> PutStatus(const DeviceStatus& status) override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kPutDeviceStatus));
      s.Bind(1, status.device_id).Bind(2, status.status_json).Bind(3, status.reported_at);
      SHOEBOX_TRY(s.Run());
      if (s.Changes() == 0) return NotFound("device");
      return {};
    });
  }

  Result<std::vector<DeviceStatus>> ListStatus(const std::string& user_id) override {
    return db_.Read<std::vector<DeviceStatus>>([&](Connection& c) -> Result<std::vector<DeviceStatus>> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kListDeviceStatus));
      s.Bind(1, user_id);
      return CollectRows<DeviceStatus>(s, [](const Statement& row) {
        return DeviceStatus{row.Text(0), row.Text(1), row.Int(2)};
      });
    });
  }

 private:
  Database& db_;
};

class SqliteMetadataStore final : public MetadataStore {
 public:
  explicit SqliteMetadataStore(std::unique_ptr<Database> db)
      : db_(std::move(db)), users_(*db_), credentials_(*db_), login_attempts_(*db_),
        assets_(*db_), uploads_(*db_), jobs_(*db_), devices_(*db_),
        albums_(NewSqliteAlbums(*db_)), share_links_(NewSqliteShareLinks(*db_)),
        downloads_(NewSqliteDownloads(*db_)), tables_(NewSqliteLibraryTables(*db_)) {}

  UserRepository& Users() override { return users_; }
  CredentialRepository& Credentials() override { return credentials_; }
  LoginAttemptRepository& LoginAttempts() override { return login_attempts_; }
  AssetRepository& Assets() override { return assets_; }
  UploadRepository& Uploads() override { return uploads_; }
  JobRepository& Jobs() override { return jobs_; }
  DeviceRepository& Devices() override { return devices_; }
  AlbumRepository& Albums() override { return *albums_; }
  ShareLinkRepository& ShareLinks() override { return *share_links_; }
  DownloadRepository& Downloads() override { return *downloads_; }
  LibraryTables& Tables() override { return *tables_; }
  Result<void> Ping() override {
    return db_->Read<void>([](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kCountUsers));
      return s.Run();
    });
  }

 private:
  std::unique_ptr<Database> db_;
  SqliteUsers users_;
  SqliteCredentials credentials_;
  SqliteLoginAttempts login_attempts_;
  SqliteAssets assets_;
  SqliteUploads uploads_;
  SqliteJobs jobs_;
  SqliteDevices devices_;
  std::unique_ptr<AlbumRepository> albums_;
  std::unique_ptr<ShareLinkRepository> share_links_;
  std::unique_ptr<DownloadRepository> downloads_;
  std::unique_ptr<LibraryTables> tables_;
};

Result<void> Migrate(Database& db) {
  return db.Write<void>([](Connection& c) -> Result<void> {
    SHOEBOX_TRY(c.Exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
        "applied_at INTEGER NOT NULL)"));
    static constexpr char kMaxVersion[] = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
    SHOEBOX_ASSIGN(auto s, c.Prepare(kMaxVersion));
    SHOEBOX_TRY(s.Step());
    std::int64_t current = s.Int(0);
    if (current > LatestSchemaVersion()) {
      return MakeError(ErrorCode::kInternal,
                       "the database was written by a newer Shoebox (schema version " +
                           std::to_string(current) + "); upgrade this server");
    }
    for (const Migration& m : Migrations()) {
      if (m.version <= current) continue;
      SHOEBOX_TRY(c.Exec(m.sql));
      SHOEBOX_TRY(c.Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (" +
                         std::to_string(m.version) + ", CAST(strftime('%s','now') AS INTEGER)*1000)"));
    }
    return {};
  });
}

}  // namespace

int LatestSchemaVersion() { return Migrations().back().version; }

Result<std::unique_ptr<MetadataStore>> OpenSqliteMetadataStore(const std::string& path,
                                                               int pool_size) {
  SHOEBOX_ASSIGN(auto db, Database::Open(path, pool_size));
  SHOEBOX_TRY(Migrate(*db));
  return std::unique_ptr<MetadataStore>(new SqliteMetadataStore(std::move(db)));
}

}  // namespace shoebox::sqlite
