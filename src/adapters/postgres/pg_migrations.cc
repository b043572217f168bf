#include "adapters/postgres/pg_migrations.h"

namespace shoebox::postgres {

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> migrations = {
      {4, R"sql(
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  is_admin BOOLEAN NOT NULL DEFAULT false,
  disabled BOOLEAN NOT NULL DEFAULT false,
  quota_bytes BIGINT,
  used_bytes BIGINT NOT NULL DEFAULT 0,
  storage_label TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  default_quality TEXT NOT NULL DEFAULT 'original'
);
CREATE TABLE credentials (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  secret_hash TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT NOT NULL,
  expires_at BIGINT
);
CREATE INDEX credentials_by_user ON credentials(user_id, kind);
CREATE TABLE login_failures (
  attempt_key TEXT NOT NULL,
  failed_at BIGINT NOT NULL
);
CREATE INDEX login_failures_by_key ON login_failures(attempt_key, failed_at);
CREATE TABLE assets (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL REFERENCES users(id),
  sha256 TEXT NOT NULL,
  blob_key TEXT NOT NULL UNIQUE,
  original_name TEXT NOT NULL,
  mime_type TEXT NOT NULL,
  kind TEXT NOT NULL,
  size_bytes BIGINT NOT NULL,
  taken_at BIGINT NOT NULL,
  file_mtime BIGINT,
  uploaded_at BIGINT NOT NULL,
  device_id TEXT NOT NULL,
  device_asset_id TEXT NOT NULL,
  is_favorite BOOLEAN NOT NULL DEFAULT false,
  is_archived BOOLEAN NOT NULL DEFAULT false,
  trashed_at BIGINT,
  taken_offset_minutes INTEGER,
  media_json JSONB NOT NULL DEFAULT '{}',
  media_state TEXT NOT NULL DEFAULT 'pending',
  media_error TEXT NOT NULL DEFAULT '',
  thumbnail_key TEXT NOT NULL DEFAULT '',
  preview_key TEXT NOT NULL DEFAULT '',
  playback_key TEXT NOT NULL DEFAULT '',
  live_pair_id TEXT NOT NULL DEFAULT '',
  is_live_motion BOOLEAN NOT NULL DEFAULT false,
  quality TEXT NOT NULL DEFAULT 'original',
  content_sha256 TEXT NOT NULL DEFAULT '',
  source_key TEXT NOT NULL DEFAULT '',
  source_size_bytes BIGINT NOT NULL DEFAULT 0,
  source_until BIGINT,
  location_free_key TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX assets_by_owner_checksum ON assets(owner_id, sha256);
CREATE INDEX assets_timeline ON assets(owner_id, taken_at DESC, id DESC);
CREATE INDEX assets_trashed ON assets(trashed_at) WHERE trashed_at IS NOT NULL;
CREATE INDEX assets_by_name ON assets(owner_id, lower(original_name));
CREATE INDEX assets_months ON assets(owner_id, trashed_at, is_archived, is_live_motion, taken_at,
                                     taken_offset_minutes);
CREATE TABLE tombstones (
  owner_id TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  deleted_at BIGINT NOT NULL,
  PRIMARY KEY (owner_id, sha256)
);
CREATE TABLE pending_blob_deletions (
  blob_key TEXT PRIMARY KEY,
  queued_at BIGINT NOT NULL
);
CREATE TABLE uploads (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL REFERENCES users(id),
  length BIGINT NOT NULL,
  received_bytes BIGINT NOT NULL DEFAULT 0,
  hash_state BYTEA NOT NULL,
  filename TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  mtime BIGINT,
  device_id TEXT NOT NULL,
  device_asset_id TEXT NOT NULL,
  mime_type TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL DEFAULT 'unknown',
  state TEXT NOT NULL,
  final_key TEXT NOT NULL DEFAULT '',
  asset_id TEXT NOT NULL DEFAULT '',
  duplicate BOOLEAN NOT NULL DEFAULT false,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  lease_holder TEXT NOT NULL DEFAULT '',
  lease_until BIGINT NOT NULL DEFAULT 0,
  quality TEXT NOT NULL DEFAULT ''
);
CREATE INDEX uploads_by_expiry ON uploads(expires_at);
CREATE TABLE jobs (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind TEXT NOT NULL,
  asset_id TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  run_after BIGINT NOT NULL,
  lease_holder TEXT NOT NULL DEFAULT '',
  lease_until BIGINT NOT NULL DEFAULT 0,
  rerun BOOLEAN NOT NULL DEFAULT false,
  last_error TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (kind, asset_id)
);
CREATE INDEX jobs_due ON jobs(state, run_after);
CREATE INDEX jobs_by_asset ON jobs(asset_id);
-- The change feed devices sync from. A sequence hands out numbers in the order transactions
-- ask, not the order they commit: a reader that saw number 11 committed could move its cursor
-- past 10, still running, and never see it. So the trigger first takes a per-owner lock held to
-- commit: an owner's changes take their numbers one transaction at a time, in commit order,
-- and a feed read per owner never skips one.
CREATE TABLE asset_changes (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  asset_id TEXT NOT NULL UNIQUE,
  owner_id TEXT NOT NULL,
  changed_by_xid XID8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX asset_changes_by_owner ON asset_changes(owner_id, seq);
CREATE FUNCTION record_asset_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(71528432, hashtext(CASE WHEN TG_OP = 'DELETE' THEN OLD.owner_id
                                                        ELSE NEW.owner_id END));
  IF TG_OP = 'DELETE' THEN
    DELETE FROM asset_changes WHERE asset_id = OLD.id;
    INSERT INTO asset_changes (asset_id, owner_id) VALUES (OLD.id, OLD.owner_id);
    RETURN OLD;
  END IF;
  DELETE FROM asset_changes WHERE asset_id = NEW.id;
  INSERT INTO asset_changes (asset_id, owner_id) VALUES (NEW.id, NEW.owner_id);
  RETURN NEW;
END $$;
CREATE TRIGGER asset_changed AFTER INSERT OR UPDATE OR DELETE ON assets
  FOR EACH ROW EXECUTE FUNCTION record_asset_change();
CREATE TABLE device_status (
  device_id TEXT PRIMARY KEY REFERENCES credentials(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL,
  status_json TEXT NOT NULL,
  reported_at BIGINT NOT NULL
);
CREATE TABLE albums (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL REFERENCES users(id),
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  cover_asset_id TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX albums_by_owner ON albums(owner_id);
CREATE TABLE album_assets (
  album_id TEXT NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
  asset_id TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  position BIGINT NOT NULL,
  added_by TEXT NOT NULL,
  added_at BIGINT NOT NULL,
  PRIMARY KEY (album_id, asset_id)
);
CREATE INDEX album_assets_in_order ON album_assets(album_id, position);
CREATE INDEX album_assets_by_asset ON album_assets(asset_id);
CREATE TABLE album_members (
  album_id TEXT NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users(id),
  role TEXT NOT NULL,
  added_at BIGINT NOT NULL,
  PRIMARY KEY (album_id, user_id)
);
CREATE INDEX album_members_by_user ON album_members(user_id);
CREATE TABLE share_links (
  id TEXT PRIMARY KEY,
  album_id TEXT NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
  link_key TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL DEFAULT '',
  expires_at BIGINT,
  allow_download BOOLEAN NOT NULL,
  show_location BOOLEAN NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX share_links_by_album ON share_links(album_id);
CREATE TABLE download_requests (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  asset_ids TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);
)sql"},
  };
  return migrations;
}

namespace {

constexpr char kCreateVersions[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
    "applied_at BIGINT NOT NULL)";
// One number for "the Shoebox schema": every instance that migrates takes this lock first.
constexpr char kLock[] = "SELECT pg_advisory_xact_lock(7152843209)";
constexpr char kMaxVersion[] = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
constexpr char kRecordVersion[] =
    "INSERT INTO schema_migrations (version, applied_at) "
    "VALUES ($1, (extract(epoch FROM now()) * 1000)::BIGINT)";

}  // namespace

Result<void> Migrate(Database& db) {
  int latest = Migrations().back().version;
  return db.Write<void>([&](Connection& c) -> Result<void> {
    SHOEBOX_TRY(c.Run(kLock));
    SHOEBOX_TRY(c.Script(kCreateVersions));
    SHOEBOX_ASSIGN(Rows rows, c.Run(kMaxVersion));
    std::int64_t current = rows.Int(0, 0);
    if (current > latest) {
      return MakeError(ErrorCode::kInternal,
                       "the database was written by a newer Shoebox (schema version " +
                           std::to_string(current) + "); upgrade this server");
    }
    for (const Migration& m : Migrations()) {
      if (m.version <= current) continue;
      SHOEBOX_TRY(c.Script(m.sql));
      SHOEBOX_TRY(c.Run(kRecordVersion, Params().Add(m.version)));
    }
    return {};
  });
}

Result<int> SchemaVersion(Database& db) {
  return db.Read<int>([](Connection& c) -> Result<int> {
    static constexpr char kExists[] = "SELECT to_regclass('schema_migrations') IS NOT NULL";
    SHOEBOX_ASSIGN(Rows exists, c.Run(kExists));
    if (!exists.Bool(0, 0)) return 0;
    SHOEBOX_ASSIGN(Rows rows, c.Run(kMaxVersion));
    return static_cast<int>(rows.Int(0, 0));
  });
}

}  // namespace shoebox::postgres
