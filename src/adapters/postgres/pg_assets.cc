// The PostgreSQL asset, upload, job and device repositories: the same rules as the SQLite ones
// (sqlite_metadata_store.cc), with the concurrency several server instances bring made safe
// here: completions lock the owner's row (quota) and insert with ON CONFLICT (duplicates), jobs
// are claimed with FOR UPDATE SKIP LOCKED, album orders lock their album.
#include <nlohmann/json.hpp>

#include "adapters/postgres/pg_asset_rows.h"
#include "adapters/postgres/pg_repositories.h"
#include "core/clock.h"
#include "core/text.h"
#include "ports/media_info_json.h"

namespace shoebox::postgres {
namespace {

// ---------------------------------------------------------------- SQL, named.
constexpr char kSelectAssetById[] =
    "SELECT " SHOEBOX_ASSET_COLUMNS " FROM assets WHERE id = $1";
constexpr char kSelectAllAssets[] = "SELECT " SHOEBOX_ASSET_COLUMNS " FROM assets";
// Which rows a visibility covers: $2 is 0 timeline, 1 archive, 2 trash, 3 all, 4 library.
#define SHOEBOX_PG_VISIBLE                                                                      \
  "CASE $2::int WHEN 0 THEN trashed_at IS NULL AND NOT is_archived AND NOT is_live_motion "      \
  "             WHEN 1 THEN trashed_at IS NULL AND is_archived "                                  \
  "             WHEN 2 THEN trashed_at IS NOT NULL "                                              \
  "             WHEN 4 THEN trashed_at IS NULL AND NOT is_live_motion ELSE true END "
constexpr char kListAssets[] =
    "SELECT " SHOEBOX_ASSET_COLUMNS " FROM assets WHERE owner_id = $1 AND " SHOEBOX_PG_VISIBLE
    "AND (NOT $3::boolean OR is_favorite) "
    // One range (no "$4 IS NULL OR"), so a deep page starts at its place in the index.
    "AND (taken_at, id) < (COALESCE($4::bigint, 9223372036854775807), COALESCE($5::text, '')) "
    "AND ($7::bigint IS NULL OR taken_at >= $7::bigint) "
    "AND ($8::bigint IS NULL OR taken_at < $8::bigint) "
    "AND ($9::text = '' OR media_json->>'make' ILIKE $9::text "
    "     OR media_json->>'model' ILIKE $9::text) "
    "AND ($10::text = '' OR original_name ILIKE $10::text) "
    "AND ($11::text = '' OR kind = $11::text) "
    "AND ($12::float8 IS NULL OR (media_json->>'latitude')::float8 BETWEEN $12 AND $13::float8) "
    "AND ($14::float8 IS NULL OR (media_json->>'longitude')::float8 BETWEEN $14 AND $15::float8) "
    "ORDER BY taken_at DESC, id DESC LIMIT $6";
constexpr char kFindAssetsByChecksums[] =
    "SELECT sha256, id, quality, trashed_at IS NOT NULL FROM assets "
    "WHERE owner_id = $1 AND sha256 = ANY($2::text[])";
constexpr char kFindTombstonesByChecksums[] =
    "SELECT sha256, deleted_at FROM tombstones WHERE owner_id = $1 AND sha256 = ANY($2::text[])";
constexpr char kUsage[] =
    "SELECT CASE WHEN trashed_at IS NOT NULL THEN 'trash' ELSE kind END, COUNT(*), "
    "COALESCE(SUM(size_bytes), 0) FROM assets WHERE owner_id = $1 GROUP BY 1";
// The feed's numbers are handed out one owner's transaction at a time (see the schema), so
// reading in order never skips one still to commit.
constexpr char kChangesSince[] =
    "SELECT seq, asset_id FROM asset_changes WHERE owner_id = $1 AND seq > $2 "
    "ORDER BY seq LIMIT $3";
constexpr char kUpdateAssetFavorite[] = "UPDATE assets SET is_favorite = $2 WHERE id = $1";
constexpr char kUpdateAssetArchived[] = "UPDATE assets SET is_archived = $2 WHERE id = $1";
constexpr char kSetAssetTrashed[] = "UPDATE assets SET trashed_at = $2::bigint WHERE id = $1";
constexpr char kSelectTrashedBefore[] =
    "SELECT id, owner_id, sha256, blob_key, size_bytes, source_key, thumbnail_key, preview_key, "
    "playback_key, location_free_key FROM assets WHERE trashed_at IS NOT NULL "
    "AND trashed_at <= $1 AND ($2 = '' OR owner_id = $2) ORDER BY owner_id LIMIT 1000 "
    "FOR UPDATE SKIP LOCKED";
constexpr char kDeleteAsset[] = "DELETE FROM assets WHERE id = $1";
constexpr char kUpsertTombstone[] =
    "INSERT INTO tombstones (owner_id, sha256, deleted_at) VALUES ($1, $2, $3) "
    "ON CONFLICT (owner_id, sha256) DO UPDATE SET deleted_at = excluded.deleted_at";
constexpr char kDeleteTombstone[] = "DELETE FROM tombstones WHERE owner_id = $1 AND sha256 = $2";
constexpr char kQueueBlobDeletion[] =
    "INSERT INTO pending_blob_deletions (blob_key, queued_at) VALUES ($1, $2) "
    "ON CONFLICT (blob_key) DO NOTHING";
constexpr char kSelectPendingBlobDeletions[] =
    "SELECT blob_key FROM pending_blob_deletions ORDER BY queued_at LIMIT $1";
constexpr char kSelectPendingBlobDeletion[] =
    "SELECT 1 FROM pending_blob_deletions WHERE blob_key = $1";
constexpr char kDeletePendingBlobDeletion[] =
    "DELETE FROM pending_blob_deletions WHERE blob_key = $1";
constexpr char kAddUsedBytes[] = "UPDATE users SET used_bytes = used_bytes + $2 WHERE id = $1";
constexpr char kAssetTotals[] = "SELECT COUNT(*), COALESCE(SUM(size_bytes), 0) FROM assets";
constexpr char kSelectAssetIdByChecksum[] =
    "SELECT id FROM assets WHERE owner_id = $1 AND sha256 = $2";
// A concurrent completion of the same content (another instance) makes this insert nothing;
// the caller then completes as a duplicate of the row that won.
constexpr char kInsertAsset[] =
    "INSERT INTO assets (" SHOEBOX_ASSET_COLUMNS ") VALUES "
    "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, "
    "$21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31) "
    "ON CONFLICT (owner_id, sha256) DO NOTHING RETURNING id";
#define SHOEBOX_PG_REQUEUE                                                                      \
  "ON CONFLICT (kind, asset_id) DO UPDATE SET "                                                 \
  "rerun = jobs.state = 'running', "                                                            \
  "state = CASE WHEN jobs.state = 'running' THEN 'running' ELSE 'queued' END, "                 \
  "attempts = CASE WHEN jobs.state = 'running' THEN jobs.attempts ELSE 0 END, "                 \
  "run_after = excluded.run_after, updated_at = excluded.updated_at"
constexpr char kInsertJob[] =
    "INSERT INTO jobs (kind, asset_id, state, run_after, created_at, updated_at) "
    "VALUES ($1, $2, 'queued', $3, $4, $4) " SHOEBOX_PG_REQUEUE;
constexpr char kInsertJobsForAll[] =
    "INSERT INTO jobs (kind, asset_id, state, run_after, created_at, updated_at) "
    "SELECT $1, id, 'queued', $2, $2, $2 FROM assets WHERE trashed_at IS NULL "
    "AND ($3 = '' OR kind = $3) " SHOEBOX_PG_REQUEUE;
// The claim: due jobs are locked and skipped by every other claimer until this one commits,
// so two instances never take the same job and neither waits for the other.
constexpr char kClaimJobs[] =
    "UPDATE jobs SET state = 'running', lease_holder = $1, lease_until = $3, "
    "attempts = attempts + 1, updated_at = $2 WHERE id IN (SELECT id FROM jobs WHERE "
    "(state = 'queued' AND run_after <= $2) OR (state = 'running' AND lease_until <= $2) "
    "ORDER BY run_after, id LIMIT $4 FOR UPDATE SKIP LOCKED) "
    "RETURNING id, kind, asset_id, state, attempts, run_after, last_error, updated_at";
constexpr char kRenewJobLease[] =
    "UPDATE jobs SET lease_until = $3 WHERE id = $1 AND lease_holder = $2 AND state = 'running'";
constexpr char kFinishJob[] =
    "DELETE FROM jobs WHERE id = $1 AND lease_holder = $2 AND state = 'running' AND NOT rerun";
constexpr char kRequeueJob[] =
    "UPDATE jobs SET state = 'queued', rerun = false, attempts = 0, lease_holder = '', "
    "lease_until = 0, last_error = '', updated_at = $3 "
    "WHERE id = $1 AND lease_holder = $2 AND state = 'running'";
constexpr char kRetryJob[] =
    "UPDATE jobs SET state = 'queued', lease_holder = '', lease_until = 0, last_error = $3, "
    "run_after = $4, updated_at = $5 WHERE id = $1 AND lease_holder = $2 AND state = 'running'";
constexpr char kFailJob[] =
    "UPDATE jobs SET state = 'failed', lease_holder = '', lease_until = 0, last_error = $3, "
    "updated_at = $4 WHERE id = $1 AND lease_holder = $2 AND state = 'running' "
    "RETURNING asset_id";
constexpr char kMarkAssetFailed[] =
    "UPDATE assets SET media_state = 'failed', media_error = $2 WHERE id = $1";
constexpr char kReleaseJobLeases[] =
    "UPDATE jobs SET state = 'queued', lease_holder = '', lease_until = 0 WHERE state = 'running'";
constexpr char kCountJobs[] = "SELECT kind, state, COUNT(*) FROM jobs GROUP BY kind, state";
constexpr char kSelectFailedJobs[] =
    "SELECT id, kind, asset_id, state, attempts, run_after, last_error, updated_at FROM jobs "
    "WHERE state = 'failed' ORDER BY updated_at DESC LIMIT $1";
constexpr char kNextDueJob[] = "SELECT MIN(run_after) FROM jobs WHERE state = 'queued'";
constexpr char kDeleteJobsOfAsset[] = "DELETE FROM jobs WHERE asset_id = $1";
constexpr char kSelectAssetsByStem[] =
    "SELECT " SHOEBOX_ASSET_COLUMNS " FROM assets WHERE owner_id = $1 "
    "AND lower(original_name) LIKE lower($2)";
// Counts per day of local capture time (days since 1970, floored), newest first; the days are
// folded into months by the caller (as on SQLite).
constexpr char kDayCounts[] =
    "SELECT (t - ((t % 86400000) + 86400000) % 86400000) / 86400000 AS day, COUNT(*) FROM "
    "(SELECT taken_at + COALESCE(taken_offset_minutes, 0) * 60000::bigint AS t FROM assets "
    " WHERE owner_id = $1 AND " SHOEBOX_PG_VISIBLE ") d "
    "GROUP BY day ORDER BY day DESC";
constexpr char kUpdateAssetTakenAt[] =
    "UPDATE assets SET taken_at = $2, taken_offset_minutes = $3::int, media_json = $4::jsonb "
    "WHERE id = $1";
constexpr char kUpdateAssetMediaState[] = "UPDATE assets SET media_state = $2 WHERE id = $1";
constexpr char kUpdateAssetMediaError[] = "UPDATE assets SET media_error = $2 WHERE id = $1";
constexpr char kUpdateAssetThumbnail[] = "UPDATE assets SET thumbnail_key = $2 WHERE id = $1";
constexpr char kUpdateAssetPreview[] = "UPDATE assets SET preview_key = $2 WHERE id = $1";
constexpr char kUpdateAssetPlayback[] = "UPDATE assets SET playback_key = $2 WHERE id = $1";
constexpr char kUpdateAssetLocationFree[] =
    "UPDATE assets SET location_free_key = $2 WHERE id = $1";
constexpr char kUpdateAssetLivePair[] = "UPDATE assets SET live_pair_id = $2 WHERE id = $1";
constexpr char kUpdateAssetLiveMotion[] = "UPDATE assets SET is_live_motion = $2 WHERE id = $1";
constexpr char kApplyConversion[] =
    "UPDATE assets SET source_key = blob_key, source_size_bytes = size_bytes, "
    "source_until = $5, blob_key = $2, size_bytes = $3, content_sha256 = $4 "
    "WHERE id = $1 AND content_sha256 = ''";
constexpr char kRevertConversion[] =
    "UPDATE assets SET blob_key = source_key, size_bytes = source_size_bytes, "
    "content_sha256 = '', source_key = '', source_size_bytes = 0, source_until = NULL, "
    "quality = 'original' WHERE id = $1 AND source_key != ''";
constexpr char kDropSource[] =
    "UPDATE assets SET source_key = '', source_until = NULL WHERE id = $1";
// The owner's row is locked first: completions and conversions of one owner take turns, so the
// quota check and used_bytes agree.
constexpr char kLockQuota[] =
    "SELECT quota_bytes, used_bytes FROM users WHERE id = $1 FOR UPDATE";

#define SHOEBOX_PG_UPLOAD_COLUMNS                                                              \
  "id, owner_id, length, received_bytes, hash_state, filename, sha256, mtime, device_id, "     \
  "device_asset_id, mime_type, kind, state, final_key, asset_id, duplicate, created_at, "       \
  "updated_at, expires_at, quality"
constexpr char kInsertUpload[] =
    "INSERT INTO uploads (" SHOEBOX_PG_UPLOAD_COLUMNS ", lease_holder, lease_until) VALUES "
    "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, "
    "$21, $22)";
constexpr char kSelectUpload[] = "SELECT " SHOEBOX_PG_UPLOAD_COLUMNS " FROM uploads WHERE id = $1";
constexpr char kRenewLease[] =
    "UPDATE uploads SET lease_until = $3 WHERE id = $1 AND lease_holder = $2 "
    "AND state = 'receiving'";
constexpr char kAcquireLease[] =
    "UPDATE uploads SET lease_holder = $2, lease_until = $4 WHERE id = $1 "
    "AND (lease_holder = '' OR lease_holder = $2 OR lease_until <= $3)";
constexpr char kReleaseLease[] =
    "UPDATE uploads SET lease_holder = '', lease_until = 0 WHERE id = $1 AND lease_holder = $2";
constexpr char kReleaseAllLeases[] =
    "UPDATE uploads SET lease_holder = '', lease_until = 0 WHERE lease_holder != ''";
constexpr char kSaveProgress[] =
    "UPDATE uploads SET received_bytes = $2, hash_state = $3, updated_at = $4, expires_at = $5, "
    "lease_until = $6, mime_type = $8, kind = $9, final_key = $10 "
    "WHERE id = $1 AND lease_holder = $7";
constexpr char kCompleteUpload[] =
    "UPDATE uploads SET state = 'completed', received_bytes = length, asset_id = $2, "
    "duplicate = $3, updated_at = $4, expires_at = $5, lease_holder = '', lease_until = 0 "
    "WHERE id = $1 AND state = 'receiving' AND lease_holder = $6";
constexpr char kDeleteUpload[] = "DELETE FROM uploads WHERE id = $1";
constexpr char kSelectExpiredUploads[] =
    "SELECT " SHOEBOX_PG_UPLOAD_COLUMNS " FROM uploads WHERE expires_at <= $1 LIMIT $2";
constexpr char kSelectFullyReceivedUploads[] =
    "SELECT " SHOEBOX_PG_UPLOAD_COLUMNS " FROM uploads WHERE state = 'receiving' "
    "AND received_bytes = length AND length > 0 LIMIT $1";
constexpr char kSelectReservedKeys[] =
    "SELECT final_key FROM uploads WHERE state = 'receiving' AND final_key != ''";
constexpr char kCountReceivingUploads[] = "SELECT COUNT(*) FROM uploads WHERE state = 'receiving'";

constexpr char kPutDeviceStatus[] =
    "INSERT INTO device_status (device_id, user_id, status_json, reported_at) "
    "SELECT $1, user_id, $2, $3 FROM credentials WHERE id = $1 "
    "ON CONFLICT (device_id) DO UPDATE SET status_json = excluded.status_json, "
    "reported_at = excluded.reported_at";
constexpr char kListDeviceStatus[] =
    "SELECT device_id, status_json, reported_at FROM device_status WHERE user_id = $1";

// ---------------------------------------------------------------- row mapping.
Error NotFound(std::string_view what) {
  return MakeError(ErrorCode::kNotFound, std::string(what) + " not found");
}

Params& AddRange(Params& p, const std::optional<std::pair<double, double>>& range) {
  if (range) return p.AddDouble(range->first).AddDouble(range->second);
  return p.AddNull().AddNull();
}

Params& AddOptional(Params& p, const std::optional<int>& value) {
  return value ? p.Add(static_cast<std::int64_t>(*value)) : p.AddNull();
}

Upload ReadUpload(const Rows& r, int row) {
  Upload u;
  u.id = r.Text(row, 0);
  u.owner_id = r.Text(row, 1);
  u.length = r.Int(row, 2);
  u.offset = r.Int(row, 3);
  u.hash_state = r.Bytes(row, 4);
  u.metadata.filename = r.Text(row, 5);
  u.metadata.sha256 = r.Text(row, 6);
  u.metadata.mtime = r.OptionalInt(row, 7);
  u.metadata.device_id = r.Text(row, 8);
  u.metadata.device_asset_id = r.Text(row, 9);
  u.mime_type = r.Text(row, 10);
  u.kind = ParseMediaKind(r.Text(row, 11));
  u.state = r.Text(row, 12) == "completed" ? UploadState::kCompleted : UploadState::kReceiving;
  u.final_key = r.Text(row, 13);
  u.asset_id = r.Text(row, 14);
  u.duplicate = r.Bool(row, 15);
  u.created_at = r.Int(row, 16);
  u.updated_at = r.Int(row, 17);
  u.expires_at = r.Int(row, 18);
  u.metadata.quality = ParseQuality(r.Text(row, 19));
  return u;
}

JobState ParseJobState(std::string_view name) {
  if (name == "running") return JobState::kRunning;
  if (name == "failed") return JobState::kFailed;
  return JobState::kQueued;
}

Job ReadJob(const Rows& r, int row) {
  Job j;
  j.id = r.Int(row, 0);
  j.kind = ParseJobKind(r.Text(row, 1)).value_or(JobKind::kMetadata);
  j.asset_id = r.Text(row, 2);
  j.state = ParseJobState(r.Text(row, 3));
  j.attempts = static_cast<int>(r.Int(row, 4));
  j.run_after = r.Int(row, 5);
  j.last_error = r.Text(row, 6);
  j.updated_at = r.Int(row, 7);
  return j;
}

template <class T, class Read>
std::vector<T> Collect(const Rows& rows, Read read) {
  std::vector<T> out;
  out.reserve(static_cast<std::size_t>(rows.size()));
  for (int i = 0; i < rows.size(); ++i) out.push_back(read(rows, i));
  return out;
}

std::vector<std::string> Texts(const Rows& rows) {
  return Collect<std::string>(rows, [](const Rows& r, int i) { return r.Text(i, 0); });
}

Result<Asset> GetAssetIn(Connection& c, const std::string& id) {
  SHOEBOX_ASSIGN(Rows rows, c.Run(kSelectAssetById, Params().Add(id)));
  if (rows.empty()) return NotFound("asset");
  return ReadAsset(rows, 0);
}

Result<void> QueueBlobDeletion(Connection& c, const std::string& key, UnixMillis now) {
  SHOEBOX_TRY(c.Run(kQueueBlobDeletion, Params().Add(key).Add(now)));
  return {};
}

// ---------------------------------------------------------------- repositories.
class PgAssets final : public AssetRepository {
 public:
  explicit PgAssets(Database& db) : db_(db) {}

  Result<Asset> Get(const std::string& id) override {
    return db_.Read<Asset>([&](Connection& c) { return GetAssetIn(c, id); });
  }

  Result<std::vector<Asset>> List(const AssetQuery& q) override {
    Params p;
    p.Add(q.owner_id).Add(static_cast<int>(q.visibility)).Add(q.favorites_only);
    if (q.after) {
      p.Add(q.after->first).Add(q.after->second);
    } else {
      p.AddNull().AddNull();
    }
    const AssetFilter& f = q.filter;
    p.Add(q.limit).Add(f.taken_from).Add(f.taken_before);
    p.Add(sql::LikePattern(f.camera)).Add(sql::LikePattern(f.name));
    p.Add(f.kind ? MediaKindName(*f.kind) : std::string_view(""));
    AddRange(p, f.latitude_range);
    AddRange(p, f.longitude_range);
    return db_.Read<std::vector<Asset>>([&](Connection& c) -> Result<std::vector<Asset>> {
      SHOEBOX_ASSIGN(Rows rows, c.Run(kListAssets, p));
      return Collect<Asset>(rows, ReadAsset);
    });
  }

  Result<std::vector<ChecksumMatch>> FindByChecksums(
      const std::string& owner_id, const std::vector<std::string>& sha256s) override {
    Params p;
    p.Add(owner_id).AddTextArray(sha256s);
    return db_.Read<std::vector<ChecksumMatch>>(
        [&](Connection& c) -> Result<std::vector<ChecksumMatch>> {
          std::vector<ChecksumMatch> out;
          SHOEBOX_ASSIGN(Rows assets, c.Run(kFindAssetsByChecksums, p));
          for (int i = 0; i < assets.size(); ++i) {
            out.push_back(ChecksumMatch{assets.Text(i, 0), assets.Text(i, 1), false, 0,
                                        ParseQuality(assets.Text(i, 2)).value_or(Quality::kOriginal),
                                        assets.Bool(i, 3)});
          }
          SHOEBOX_ASSIGN(Rows tombstones, c.Run(kFindTombstonesByChecksums, p));
          for (int i = 0; i < tombstones.size(); ++i) {
            out.push_back(ChecksumMatch{tombstones.Text(i, 0), "", true, tombstones.Int(i, 1)});
          }
          return out;
        });
  }

  Result<Asset> UpdateFlags(const std::string& id, const AssetFlagsPatch& patch) override {
    return db_.Write<Asset>([&](Connection& c) -> Result<Asset> {
      SHOEBOX_TRY(GetAssetIn(c, id));
      if (patch.is_favorite) {
        SHOEBOX_TRY(c.Run(kUpdateAssetFavorite, Params().Add(id).Add(*patch.is_favorite)));
      }
      if (patch.is_archived) {
        SHOEBOX_TRY(c.Run(kUpdateAssetArchived, Params().Add(id).Add(*patch.is_archived)));
      }
      return GetAssetIn(c, id);
    });
  }

  Result<void> SetTrashed(const std::string& id, std::optional<UnixMillis> trashed_at) override {
    SHOEBOX_ASSIGN(std::int64_t changed, db_.Change(kSetAssetTrashed, Params().Add(id).Add(trashed_at)));
    if (changed == 0) return NotFound("asset");
    return {};
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
      SHOEBOX_ASSIGN(Rows rows, c.Run(kSelectPendingBlobDeletions, Params().Add(limit)));
      return Texts(rows);
    });
  }

  Result<void> ForgetPendingBlobDeletion(const std::string& blob_key) override {
    SHOEBOX_TRY(db_.Change(kDeletePendingBlobDeletion, Params().Add(blob_key)));
    return {};
  }

  Result<bool> IsPendingBlobDeletion(const std::string& blob_key) override {
    return db_.Read<bool>([&](Connection& c) -> Result<bool> {
      SHOEBOX_ASSIGN(Rows rows, c.Run(kSelectPendingBlobDeletion, Params().Add(blob_key)));
      return !rows.empty();
    });
  }

  Result<void> ForEach(const std::function<void(const Asset&)>& visit) override {
    // Pages by id rather than one result: a library of millions does not fit in memory at once.
    static constexpr char kPage[] =
        "SELECT " SHOEBOX_ASSET_COLUMNS " FROM assets WHERE id > $1 ORDER BY id LIMIT 1000";
    std::string after;
    while (true) {
      SHOEBOX_ASSIGN(Rows rows, db_.Query(kPage, Params().Add(after)));
      if (rows.empty()) return {};
      for (int i = 0; i < rows.size(); ++i) visit(ReadAsset(rows, i));
      after = rows.Text(rows.size() - 1, 0);
    }
  }

  Result<std::vector<AssetChange>> ChangesSince(const std::string& owner_id,
                                                std::int64_t after_seq, int limit) override {
    return db_.Read<std::vector<AssetChange>>([&](Connection& c) -> Result<std::vector<AssetChange>> {
      SHOEBOX_ASSIGN(Rows rows, c.Run(kChangesSince, Params().Add(owner_id).Add(after_seq).Add(limit)));
      std::vector<AssetChange> changes;
      for (int i = 0; i < rows.size(); ++i) {
        changes.push_back(AssetChange{rows.Int(i, 0), rows.Text(i, 1), std::nullopt});
      }
      for (AssetChange& change : changes) {
        auto asset = GetAssetIn(c, change.asset_id);
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
      SHOEBOX_ASSIGN(Rows rows, c.Run(kAssetTotals));
      return StoreTotals{rows.Int(0, 0), rows.Int(0, 1)};
    });
  }

  Result<UsageSplit> Usage(const std::string& owner_id) override {
    return db_.Read<UsageSplit>([&](Connection& c) -> Result<UsageSplit> {
      SHOEBOX_ASSIGN(Rows rows, c.Run(kUsage, Params().Add(owner_id)));
      UsageSplit usage;
      for (int i = 0; i < rows.size(); ++i) {
        std::string what = rows.Text(i, 0);
        StoreTotals totals{rows.Int(i, 1), rows.Int(i, 2)};
        if (what == "trash") {
          usage.trash = totals;
        } else if (what == "video") {
          usage.videos = totals;
        } else {
          usage.photos = totals;
        }
      }
      return usage;
    });
  }

  Result<std::vector<Asset>> FindByNameStem(const std::string& owner_id,
                                            const std::string& stem) override {
    std::string pattern = sql::LikeLiteral(stem) + ".%";
    return db_.Read<std::vector<Asset>>([&](Connection& c) -> Result<std::vector<Asset>> {
      SHOEBOX_ASSIGN(Rows rows, c.Run(kSelectAssetsByStem, Params().Add(owner_id).Add(pattern)));
      std::vector<Asset> assets = Collect<Asset>(rows, ReadAsset);
      // LIKE also matched "stem.x.y"; keep only names whose last extension follows the stem.
      std::erase_if(assets, [&](const Asset& a) {
        return a.original_name.find('.', stem.size() + 1) != std::string::npos;
      });
      return assets;
    });
  }

  Result<std::vector<MonthBucket>> MonthBuckets(const std::string& owner_id,
                                                AssetVisibility visibility) override {
    return db_.Read<std::vector<MonthBucket>>([&](Connection& c) -> Result<std::vector<MonthBucket>> {
      SHOEBOX_ASSIGN(Rows rows, c.Run(kDayCounts, Params().Add(owner_id).Add(static_cast<int>(visibility))));
      std::vector<MonthBucket> months;
      for (int i = 0; i < rows.size(); ++i) sql::AddDayToMonths(months, rows.Int(i, 0), rows.Int(i, 1));
      return months;
    });
  }

  Result<Asset> UpdateMedia(const std::string& id, const MediaPatch& patch) override {
    return db_.Write<Asset>([&](Connection& c) -> Result<Asset> {
      SHOEBOX_ASSIGN(Asset before, GetAssetIn(c, id));
      // Derived files replaced by new ones are owed a deletion.
      for (const std::string& old_key : sql::ReplacedDerivedKeys(before, patch)) {
        SHOEBOX_TRY(QueueBlobDeletion(c, old_key, before.uploaded_at));
      }
      auto set = [&](const char* sql, Params params) -> Result<void> {
        SHOEBOX_TRY(c.Run(sql, params));
        return {};
      };
      auto text = [&](const char* sql, const std::optional<std::string>& value) -> Result<void> {
        if (!value) return {};
        return set(sql, Params().Add(id).Add(*value));
      };
      if (patch.taken_at_and_info) {
        const auto& [taken_at, info] = *patch.taken_at_and_info;
        Params p;
        p.Add(id).Add(taken_at);
        AddOptional(p, info.utc_offset_minutes);
        p.Add(MediaInfoToJson(info).dump());
        SHOEBOX_TRY(set(kUpdateAssetTakenAt, std::move(p)));
      }
      if (patch.state) {
        SHOEBOX_TRY(set(kUpdateAssetMediaState, Params().Add(id).Add(MediaStateName(*patch.state))));
      }
      SHOEBOX_TRY(text(kUpdateAssetMediaError, patch.error));
      SHOEBOX_TRY(text(kUpdateAssetThumbnail, patch.thumbnail_key));
      SHOEBOX_TRY(text(kUpdateAssetPreview, patch.preview_key));
      SHOEBOX_TRY(text(kUpdateAssetPlayback, patch.playback_key));
      SHOEBOX_TRY(text(kUpdateAssetLocationFree, patch.location_free_key));
      SHOEBOX_TRY(text(kUpdateAssetLivePair, patch.live_pair_id));
      if (patch.is_live_motion) {
        SHOEBOX_TRY(set(kUpdateAssetLiveMotion, Params().Add(id).Add(*patch.is_live_motion)));
      }
      return GetAssetIn(c, id);
    });
  }

  Result<Asset> ApplyConversion(const std::string& id, const Conversion& conv) override {
    return db_.Write<Asset>([&](Connection& c) -> Result<Asset> {
      SHOEBOX_ASSIGN(Asset before, GetAssetIn(c, id));
      SHOEBOX_TRY(c.Run(kLockQuota, Params().Add(before.owner_id)));
      SHOEBOX_ASSIGN(Rows changed, c.Run(kApplyConversion, Params()
                                                               .Add(id)
                                                               .Add(conv.key)
                                                               .Add(conv.size_bytes)
                                                               .Add(conv.content_sha256)
                                                               .Add(conv.keep_source_until)));
      if (changed.Changed() == 0) {
        return MakeError(ErrorCode::kConflict, "the asset is already converted");
      }
      SHOEBOX_TRY(c.Run(kAddUsedBytes,
                        Params().Add(before.owner_id).Add(conv.size_bytes - before.size_bytes)));
      SHOEBOX_TRY(c.Run(kDeletePendingBlobDeletion, Params().Add(conv.key)));
      return GetAssetIn(c, id);
    });
  }

  Result<Asset> RevertConversion(const std::string& id) override {
    return db_.Write<Asset>([&](Connection& c) -> Result<Asset> {
      SHOEBOX_ASSIGN(Asset before, GetAssetIn(c, id));
      SHOEBOX_TRY(c.Run(kLockQuota, Params().Add(before.owner_id)));
      SHOEBOX_ASSIGN(Rows changed, c.Run(kRevertConversion, Params().Add(id)));
      if (changed.Changed() == 0) {
        return MakeError(ErrorCode::kConflict, "the original of this asset is no longer kept");
      }
      SHOEBOX_TRY(QueueBlobDeletion(c, before.blob_key, before.uploaded_at));
      SHOEBOX_TRY(c.Run(kAddUsedBytes, Params()
                                           .Add(before.owner_id)
                                           .Add(before.source_size_bytes - before.size_bytes)));
      return GetAssetIn(c, id);
    });
  }

  Result<void> DropSource(const std::string& id) override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(Asset before, GetAssetIn(c, id));
      if (before.source_key.empty()) return {};
      SHOEBOX_TRY(QueueBlobDeletion(c, before.source_key, before.uploaded_at));
      SHOEBOX_TRY(c.Run(kDropSource, Params().Add(id)));
      return {};
    });
  }

 private:
  static Result<std::int64_t> PurgeBatch(Connection& c, const std::string& owner_id,
                                         UnixMillis trashed_before, UnixMillis now) {
    if (!owner_id.empty()) SHOEBOX_TRY(c.Run(kLockQuota, Params().Add(owner_id)));
    SHOEBOX_ASSIGN(Rows doomed, c.Run(kSelectTrashedBefore, Params().Add(trashed_before).Add(owner_id)));
    for (int i = 0; i < doomed.size(); ++i) {
      std::string id = doomed.Text(i, 0), owner = doomed.Text(i, 1);
      SHOEBOX_TRY(c.Run(kDeleteAsset, Params().Add(id)));
      SHOEBOX_TRY(c.Run(kUpsertTombstone, Params().Add(owner).Add(doomed.Text(i, 2)).Add(now)));
      for (int column : {3, 5, 6, 7, 8, 9}) {
        std::string key = doomed.Text(i, column);
        if (!key.empty()) SHOEBOX_TRY(QueueBlobDeletion(c, key, now));
      }
      SHOEBOX_TRY(c.Run(kDeleteJobsOfAsset, Params().Add(id)));
      SHOEBOX_TRY(c.Run(kAddUsedBytes, Params().Add(owner).Add(-doomed.Int(i, 4))));
    }
    return static_cast<std::int64_t>(doomed.size());
  }

  Database& db_;
};

class PgUploads final : public UploadRepository {
 public:
  explicit PgUploads(Database& db) : db_(db) {}

  Result<void> Create(const Upload& u, const std::string& lease_holder,
                      UnixMillis lease_until) override {
    Params p;
    p.Add(u.id).Add(u.owner_id).Add(u.length).Add(u.offset).AddBytes(u.hash_state);
    p.Add(u.metadata.filename).Add(u.metadata.sha256).Add(u.metadata.mtime);
    p.Add(u.metadata.device_id).Add(u.metadata.device_asset_id).Add(u.mime_type);
    p.Add(MediaKindName(u.kind));
    p.Add(u.state == UploadState::kCompleted ? "completed" : "receiving");
    p.Add(u.final_key).Add(u.asset_id).Add(u.duplicate);
    p.Add(u.created_at).Add(u.updated_at).Add(u.expires_at);
    p.Add(u.metadata.quality ? QualityName(*u.metadata.quality) : std::string_view(""));
    p.Add(lease_holder).Add(lease_until);
    SHOEBOX_TRY(db_.Change(kInsertUpload, p));
    return {};
  }

  Result<Upload> Get(const std::string& id) override {
    return db_.Read<Upload>([&](Connection& c) { return GetIn(c, id); });
  }

  Result<void> AcquireLease(const std::string& id, const std::string& holder, UnixMillis now,
                            UnixMillis until) override {
    SHOEBOX_ASSIGN(std::int64_t changed,
                   db_.Change(kAcquireLease, Params().Add(id).Add(holder).Add(now).Add(until)));
    if (changed == 0) {
      return MakeError(ErrorCode::kUploadLocked,
                       "another request is writing to this upload; retry shortly");
    }
    return {};
  }

  Result<void> RenewLease(const std::string& id, const std::string& holder,
                          UnixMillis until) override {
    SHOEBOX_ASSIGN(std::int64_t changed, db_.Change(kRenewLease, Params().Add(id).Add(holder).Add(until)));
    if (changed == 0) {
      return MakeError(ErrorCode::kUploadLocked, "this request lost its lease on the upload");
    }
    return {};
  }

  Result<void> ReleaseLease(const std::string& id, const std::string& holder) override {
    SHOEBOX_TRY(db_.Change(kReleaseLease, Params().Add(id).Add(holder)));
    return {};
  }

  Result<void> ReleaseAllLeases() override {
    SHOEBOX_TRY(db_.Change(kReleaseAllLeases, Params()));
    return {};
  }

  Result<void> SaveProgress(const std::string& id, const std::string& holder,
                            const UploadProgress& p, UnixMillis now, UnixMillis expires_at,
                            UnixMillis lease_until) override {
    Params params;
    params.Add(id).Add(p.offset).AddBytes(p.hash_state).Add(now).Add(expires_at).Add(lease_until);
    params.Add(holder).Add(p.mime_type).Add(MediaKindName(p.kind)).Add(p.final_key);
    SHOEBOX_ASSIGN(std::int64_t changed, db_.Change(kSaveProgress, params));
    if (changed == 0) {
      return MakeError(ErrorCode::kUploadLocked, "this request lost its lease on the upload");
    }
    return {};
  }

  Result<Upload> Complete(const std::string& id, const std::string& holder, const Asset& a,
                          UnixMillis now, UnixMillis expires_at) override {
    return db_.Write<Upload>([&](Connection& c) -> Result<Upload> {
      SHOEBOX_ASSIGN(Rows quota, c.Run(kLockQuota, Params().Add(a.owner_id)));
      if (quota.empty()) return NotFound("user");
      SHOEBOX_ASSIGN(Rows existing, c.Run(kSelectAssetIdByChecksum, Params().Add(a.owner_id).Add(a.sha256)));
      std::string asset_id = existing.empty() ? a.id : existing.Text(0, 0);
      bool duplicate = !existing.empty();
      if (!duplicate && a.blob_key.empty()) {
        return MakeError(ErrorCode::kConflict,
                         "the stored copy this upload was to share is gone; store it again");
      }
      if (!duplicate) {
        std::optional<std::int64_t> limit = quota.OptionalInt(0, 0);
        if (limit && quota.Int(0, 1) + a.size_bytes > *limit) {
          return MakeError(ErrorCode::kQuotaExceeded, "this upload would exceed your storage quota");
        }
        SHOEBOX_ASSIGN(Rows inserted, c.Run(kInsertAsset, AssetParams(a)));
        if (inserted.empty()) {
          // The owner's row lock orders completions, so this is only reachable if the content
          // arrived by another path; complete as its duplicate all the same.
          SHOEBOX_ASSIGN(Rows winner, c.Run(kSelectAssetIdByChecksum, Params().Add(a.owner_id).Add(a.sha256)));
          if (winner.empty()) return MakeError(ErrorCode::kUnavailable, "retry the completion");
          asset_id = winner.Text(0, 0);
          duplicate = true;
        }
      }
      if (!duplicate) {
        SHOEBOX_TRY(c.Run(kInsertJob, Params().Add(JobKindName(JobKind::kMetadata)).Add(a.id).Add(now).Add(now)));
        SHOEBOX_TRY(c.Run(kAddUsedBytes, Params().Add(a.owner_id).Add(a.size_bytes)));
        SHOEBOX_TRY(c.Run(kDeleteTombstone, Params().Add(a.owner_id).Add(a.sha256)));
        // The name now holds new bytes; nothing there is owed a deletion.
        SHOEBOX_TRY(c.Run(kDeletePendingBlobDeletion, Params().Add(a.blob_key)));
      }
      SHOEBOX_ASSIGN(Rows completed, c.Run(kCompleteUpload, Params()
                                                                .Add(id)
                                                                .Add(asset_id)
                                                                .Add(duplicate)
                                                                .Add(now)
                                                                .Add(expires_at)
                                                                .Add(holder)));
      if (completed.Changed() == 0) {
        return MakeError(ErrorCode::kUploadLocked,
                         "this request lost its lease on the upload (or it is gone)");
      }
      return GetIn(c, id);
    });
  }

  Result<void> Delete(const std::string& id) override {
    SHOEBOX_TRY(db_.Change(kDeleteUpload, Params().Add(id)));
    return {};
  }

  Result<std::vector<Upload>> ListExpired(UnixMillis now, int limit) override {
    return List(kSelectExpiredUploads, Params().Add(now).Add(limit));
  }

  Result<std::vector<std::string>> ReservedKeys() override {
    return db_.Read<std::vector<std::string>>([&](Connection& c) -> Result<std::vector<std::string>> {
      SHOEBOX_ASSIGN(Rows rows, c.Run(kSelectReservedKeys));
      return Texts(rows);
    });
  }

  Result<std::vector<Upload>> ListFullyReceived(int limit) override {
    return List(kSelectFullyReceivedUploads, Params().Add(limit));
  }

  Result<std::int64_t> CountReceiving() override {
    return db_.Read<std::int64_t>([&](Connection& c) -> Result<std::int64_t> {
      SHOEBOX_ASSIGN(Rows rows, c.Run(kCountReceivingUploads));
      return rows.Int(0, 0);
    });
  }

 private:
  static Params AssetParams(const Asset& a) {
    Params p;
    p.Add(a.id).Add(a.owner_id).Add(a.sha256).Add(a.blob_key).Add(a.original_name);
    p.Add(a.mime_type).Add(MediaKindName(a.kind)).Add(a.size_bytes).Add(a.taken_at);
    p.Add(a.file_mtime).Add(a.uploaded_at).Add(a.device_id).Add(a.device_asset_id);
    p.Add(a.is_favorite).Add(a.is_archived).Add(a.trashed_at);
    AddOptional(p, a.media.utc_offset_minutes);
    p.Add(MediaInfoToJson(a.media).dump()).Add(MediaStateName(a.media_state)).Add(a.media_error);
    p.Add(a.thumbnail_key).Add(a.preview_key).Add(a.playback_key).Add(a.live_pair_id);
    p.Add(a.is_live_motion).Add(QualityName(a.quality)).Add(a.content_sha256).Add(a.source_key);
    p.Add(a.source_size_bytes).Add(a.source_until).Add(a.location_free_key);
    return p;
  }

  static Result<Upload> GetIn(Connection& c, const std::string& id) {
    SHOEBOX_ASSIGN(Rows rows, c.Run(kSelectUpload, Params().Add(id)));
    if (rows.empty()) return NotFound("upload");
    return ReadUpload(rows, 0);
  }

  Result<std::vector<Upload>> List(const char* sql, const Params& params) {
    return db_.Read<std::vector<Upload>>([&](Connection& c) -> Result<std::vector<Upload>> {
      SHOEBOX_ASSIGN(Rows rows, c.Run(sql, params));
      return Collect<Upload>(rows, ReadUpload);
    });
  }


  Database& db_;
};

class PgJobs final : public JobRepository {
 public:
  explicit PgJobs(Database& db) : db_(db) {}

  Result<void> Enqueue(const std::vector<JobRequest>& jobs, UnixMillis now) override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      for (const JobRequest& job : jobs) {
        SHOEBOX_TRY(c.Run(kInsertJob, Params()
                                          .Add(JobKindName(job.kind))
                                          .Add(job.asset_id)
                                          .Add(job.run_after)
                                          .Add(now)));
      }
      return {};
    });
  }

  Result<std::int64_t> EnqueueForAll(JobKind kind, std::optional<MediaKind> only,
                                     UnixMillis now) override {
    return db_.Change(kInsertJobsForAll,
                  Params().Add(JobKindName(kind)).Add(now).Add(only ? MediaKindName(*only) : std::string_view("")));
  }

  Result<std::vector<Job>> Claim(const std::string& holder, UnixMillis now,
                                 UnixMillis lease_until, int limit) override {
    return db_.Write<std::vector<Job>>([&](Connection& c) -> Result<std::vector<Job>> {
      SHOEBOX_ASSIGN(Rows rows, c.Run(kClaimJobs, Params().Add(holder).Add(now).Add(lease_until).Add(limit)));
      return Collect<Job>(rows, ReadJob);
    });
  }

  Result<bool> RenewLease(std::int64_t id, const std::string& holder,
                          UnixMillis lease_until) override {
    SHOEBOX_ASSIGN(std::int64_t changed, db_.Change(kRenewJobLease, Params().Add(id).Add(holder).Add(lease_until)));
    return changed > 0;
  }

  Result<bool> Finish(std::int64_t id, const std::string& holder, UnixMillis now) override {
    return db_.Write<bool>([&](Connection& c) -> Result<bool> {
      SHOEBOX_ASSIGN(Rows finished, c.Run(kFinishJob, Params().Add(id).Add(holder)));
      if (finished.Changed() > 0) return true;
      // Queued again while it ran (rerun), or no longer ours.
      SHOEBOX_ASSIGN(Rows again, c.Run(kRequeueJob, Params().Add(id).Add(holder).Add(now)));
      return again.Changed() > 0;
    });
  }

  Result<bool> Retry(std::int64_t id, const std::string& holder, const std::string& error,
                     UnixMillis run_after, UnixMillis now) override {
    SHOEBOX_ASSIGN(std::int64_t changed,
                   db_.Change(kRetryJob, Params().Add(id).Add(holder).Add(error).Add(run_after).Add(now)));
    return changed > 0;
  }

  Result<bool> GiveUp(std::int64_t id, const std::string& holder, const std::string& error,
                      UnixMillis now) override {
    return db_.Write<bool>([&](Connection& c) -> Result<bool> {
      SHOEBOX_ASSIGN(Rows failed, c.Run(kFailJob, Params().Add(id).Add(holder).Add(error).Add(now)));
      if (failed.empty()) return false;
      SHOEBOX_TRY(c.Run(kMarkAssetFailed, Params().Add(failed.Text(0, 0)).Add(error)));
      return true;
    });
  }

  Result<void> ReleaseAllLeases() override {
    SHOEBOX_TRY(db_.Change(kReleaseJobLeases, Params()));
    return {};
  }

  Result<std::vector<JobCounts>> Counts() override {
    return db_.Read<std::vector<JobCounts>>([&](Connection& c) -> Result<std::vector<JobCounts>> {
      std::vector<JobCounts> counts;
      for (JobKind kind : kAllJobKinds) counts.push_back(JobCounts{kind, 0, 0, 0});
      SHOEBOX_ASSIGN(Rows rows, c.Run(kCountJobs));
      for (int i = 0; i < rows.size(); ++i) {
        auto kind = ParseJobKind(rows.Text(i, 0));
        if (!kind) continue;
        JobCounts& n = counts[static_cast<std::size_t>(*kind)];
        switch (ParseJobState(rows.Text(i, 1))) {
          case JobState::kQueued: n.queued += rows.Int(i, 2); break;
          case JobState::kRunning: n.running += rows.Int(i, 2); break;
          case JobState::kFailed: n.failed += rows.Int(i, 2); break;
        }
      }
      return counts;
    });
  }

  Result<std::vector<Job>> ListFailed(int limit) override {
    return db_.Read<std::vector<Job>>([&](Connection& c) -> Result<std::vector<Job>> {
      SHOEBOX_ASSIGN(Rows rows, c.Run(kSelectFailedJobs, Params().Add(limit)));
      return Collect<Job>(rows, ReadJob);
    });
  }

  Result<std::optional<UnixMillis>> NextDue() override {
    return db_.Read<std::optional<UnixMillis>>(
        [&](Connection& c) -> Result<std::optional<UnixMillis>> {
          SHOEBOX_ASSIGN(Rows rows, c.Run(kNextDueJob));
          return rows.OptionalInt(0, 0);
        });
  }

 private:
  Database& db_;
};

class PgDevices final : public DeviceRepository {
 public:
  explicit PgDevices(Database& db) : db_(db) {}

  Result<void> PutStatus(const DeviceStatus& status) override {
    SHOEBOX_ASSIGN(std::int64_t changed, db_.Change(kPutDeviceStatus, Params()
                                                            .Add(status.device_id)
                                                            .Add(status.status_json)
                                                            .Add(status.reported_at)));
    if (changed == 0) return NotFound("device");
    return {};
  }

  Result<std::vector<DeviceStatus>> ListStatus(const std::string& user_id) override {
    return db_.Read<std::vector<DeviceStatus>>([&](Connection& c) -> Result<std::vector<DeviceStatus>> {
      SHOEBOX_ASSIGN(Rows rows, c.Run(kListDeviceStatus, Params().Add(user_id)));
      return Collect<DeviceStatus>(rows, [](const Rows& r, int i) {
        return DeviceStatus{r.Text(i, 0), r.Text(i, 1), r.Int(i, 2)};
      });
    });
  }

 private:
  Database& db_;
};

}  // namespace

Asset ReadAsset(const Rows& r, int row) {
  Asset a;
  a.id = r.Text(row, 0);
  a.owner_id = r.Text(row, 1);
  a.sha256 = r.Text(row, 2);
  a.blob_key = r.Text(row, 3);
  a.original_name = r.Text(row, 4);
  a.mime_type = r.Text(row, 5);
  a.kind = ParseMediaKind(r.Text(row, 6));
  a.size_bytes = r.Int(row, 7);
  a.taken_at = r.Int(row, 8);
  a.file_mtime = r.OptionalInt(row, 9);
  a.uploaded_at = r.Int(row, 10);
  a.device_id = r.Text(row, 11);
  a.device_asset_id = r.Text(row, 12);
  a.is_favorite = r.Bool(row, 13);
  a.is_archived = r.Bool(row, 14);
  a.trashed_at = r.OptionalInt(row, 15);
  a.media = MediaInfoFromJson(nlohmann::json::parse(r.Text(row, 17), nullptr, false));
  if (auto offset = r.OptionalInt(row, 16)) a.media.utc_offset_minutes = static_cast<int>(*offset);
  a.media_state = ParseMediaState(r.Text(row, 18));
  a.media_error = r.Text(row, 19);
  a.thumbnail_key = r.Text(row, 20);
  a.preview_key = r.Text(row, 21);
  a.playback_key = r.Text(row, 22);
  a.live_pair_id = r.Text(row, 23);
  a.is_live_motion = r.Bool(row, 24);
  a.quality = ParseQuality(r.Text(row, 25)).value_or(Quality::kOriginal);
  a.content_sha256 = r.Text(row, 26);
  a.source_key = r.Text(row, 27);
  a.source_size_bytes = r.Int(row, 28);
  a.source_until = r.OptionalInt(row, 29);
  a.location_free_key = r.Text(row, 30);
  return a;
}

std::unique_ptr<AssetRepository> NewPgAssets(Database& db) { return std::make_unique<PgAssets>(db); }
std::unique_ptr<UploadRepository> NewPgUploads(Database& db) { return std::make_unique<PgUploads>(db); }
std::unique_ptr<JobRepository> NewPgJobs(Database& db) { return std::make_unique<PgJobs>(db); }
std::unique_ptr<DeviceRepository> NewPgDevices(Database& db) { return std::make_unique<PgDevices>(db); }

}  // namespace shoebox::postgres
