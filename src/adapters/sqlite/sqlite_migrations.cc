#include "adapters/sqlite/sqlite_migrations.h"

namespace shoebox::sqlite {

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> migrations = {
      {1, R"sql(
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  is_admin INTEGER NOT NULL DEFAULT 0,
  disabled INTEGER NOT NULL DEFAULT 0,
  quota_bytes INTEGER,
  used_bytes INTEGER NOT NULL DEFAULT 0,
  storage_label TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);
CREATE TABLE credentials (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  secret_hash TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL,
  expires_at INTEGER
);
CREATE INDEX credentials_by_user ON credentials(user_id, kind);
CREATE TABLE login_failures (
  attempt_key TEXT NOT NULL,
  failed_at INTEGER NOT NULL
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
  size_bytes INTEGER NOT NULL,
  taken_at INTEGER NOT NULL,
  file_mtime INTEGER,
  uploaded_at INTEGER NOT NULL,
  device_id TEXT NOT NULL,
  device_asset_id TEXT NOT NULL,
  is_favorite INTEGER NOT NULL DEFAULT 0,
  is_archived INTEGER NOT NULL DEFAULT 0,
  trashed_at INTEGER
);
CREATE UNIQUE INDEX assets_by_owner_checksum ON assets(owner_id, sha256);
CREATE INDEX assets_timeline ON assets(owner_id, taken_at DESC, id DESC);
CREATE INDEX assets_trashed ON assets(trashed_at) WHERE trashed_at IS NOT NULL;
CREATE TABLE tombstones (
  owner_id TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  deleted_at INTEGER NOT NULL,
  PRIMARY KEY (owner_id, sha256)
);
CREATE TABLE pending_blob_deletions (
  blob_key TEXT PRIMARY KEY,
  queued_at INTEGER NOT NULL
);
CREATE TABLE uploads (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL REFERENCES users(id),
  length INTEGER NOT NULL,
  received_bytes INTEGER NOT NULL DEFAULT 0,
  hash_state BLOB NOT NULL,
  filename TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  mtime INTEGER,
  device_id TEXT NOT NULL,
  device_asset_id TEXT NOT NULL,
  mime_type TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL DEFAULT 'unknown',
  state TEXT NOT NULL,
  final_key TEXT NOT NULL DEFAULT '',
  asset_id TEXT NOT NULL DEFAULT '',
  duplicate INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  lease_holder TEXT NOT NULL DEFAULT '',
  lease_until INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX uploads_by_expiry ON uploads(expires_at);
)sql"},
      // The media pipeline: what was learnt from each file, derived files, Storage saver, and
      // the job queue. Assets stored before it get their metadata job now.
      {2, R"sql(
ALTER TABLE users ADD COLUMN default_quality TEXT NOT NULL DEFAULT 'original';
ALTER TABLE uploads ADD COLUMN quality TEXT NOT NULL DEFAULT '';
ALTER TABLE assets ADD COLUMN taken_offset_minutes INTEGER;
ALTER TABLE assets ADD COLUMN media_json TEXT NOT NULL DEFAULT '{}';
ALTER TABLE assets ADD COLUMN media_state TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE assets ADD COLUMN media_error TEXT NOT NULL DEFAULT '';
ALTER TABLE assets ADD COLUMN thumbnail_key TEXT NOT NULL DEFAULT '';
ALTER TABLE assets ADD COLUMN preview_key TEXT NOT NULL DEFAULT '';
ALTER TABLE assets ADD COLUMN playback_key TEXT NOT NULL DEFAULT '';
ALTER TABLE assets ADD COLUMN live_pair_id TEXT NOT NULL DEFAULT '';
ALTER TABLE assets ADD COLUMN is_live_motion INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assets ADD COLUMN quality TEXT NOT NULL DEFAULT 'original';
ALTER TABLE assets ADD COLUMN content_sha256 TEXT NOT NULL DEFAULT '';
ALTER TABLE assets ADD COLUMN source_key TEXT NOT NULL DEFAULT '';
ALTER TABLE assets ADD COLUMN source_size_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assets ADD COLUMN source_until INTEGER;
CREATE INDEX assets_by_name ON assets(owner_id, original_name COLLATE NOCASE);
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  asset_id TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  run_after INTEGER NOT NULL,
  lease_holder TEXT NOT NULL DEFAULT '',
  lease_until INTEGER NOT NULL DEFAULT 0,
  rerun INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (kind, asset_id)
);
CREATE INDEX jobs_due ON jobs(state, run_after);
CREATE INDEX jobs_by_asset ON jobs(asset_id);
INSERT INTO jobs (kind, asset_id, state, run_after, created_at, updated_at)
  SELECT 'metadata', id, 'queued', 0, 0, 0 FROM assets;
)sql"},
      // Devices' backup status and the change feed devices sync from. Triggers keep the feed
      // whatever statement changes an asset; AUTOINCREMENT keeps seq growing even when the
      // newest entry is the one replaced. (Trigger bodies avoid OR REPLACE: an outer INSERT OR
      // IGNORE would turn it into IGNORE.)
      {3, R"sql(
CREATE TABLE asset_changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  asset_id TEXT NOT NULL UNIQUE,
  owner_id TEXT NOT NULL
);
CREATE INDEX asset_changes_by_owner ON asset_changes(owner_id, seq);
INSERT INTO asset_changes (asset_id, owner_id) SELECT id, owner_id FROM assets ORDER BY uploaded_at, id;
CREATE TRIGGER asset_inserted AFTER INSERT ON assets BEGIN
  DELETE FROM asset_changes WHERE asset_id = NEW.id;
  INSERT INTO asset_changes (asset_id, owner_id) VALUES (NEW.id, NEW.owner_id);
END;
CREATE TRIGGER asset_updated AFTER UPDATE ON assets BEGIN
  DELETE FROM asset_changes WHERE asset_id = NEW.id;
  INSERT INTO asset_changes (asset_id, owner_id) VALUES (NEW.id, NEW.owner_id);
END;
CREATE TRIGGER asset_deleted AFTER DELETE ON assets BEGIN
  DELETE FROM asset_changes WHERE asset_id = OLD.id;
  INSERT INTO asset_changes (asset_id, owner_id) VALUES (OLD.id, OLD.owner_id);
END;
CREATE TABLE device_status (
  device_id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  status_json TEXT NOT NULL,
  reported_at INTEGER NOT NULL
);
CREATE TRIGGER device_forgotten AFTER DELETE ON credentials BEGIN
  DELETE FROM device_status WHERE device_id = OLD.id;
END;
)sql"},
      // Albums, their members and public links, zip download requests, and an index for the
      // timeline's month counts. Items and
      // members go with their album; an asset deleted for good leaves every album.
      {4, R"sql(
ALTER TABLE assets ADD COLUMN location_free_key TEXT NOT NULL DEFAULT '';
CREATE TABLE albums (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL REFERENCES users(id),
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  cover_asset_id TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX albums_by_owner ON albums(owner_id);
CREATE TABLE album_assets (
  album_id TEXT NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
  asset_id TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  added_by TEXT NOT NULL,
  added_at INTEGER NOT NULL,
  PRIMARY KEY (album_id, asset_id)
);
CREATE INDEX album_assets_in_order ON album_assets(album_id, position);
CREATE INDEX album_assets_by_asset ON album_assets(asset_id);
CREATE TABLE album_members (
  album_id TEXT NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users(id),
  role TEXT NOT NULL,
  added_at INTEGER NOT NULL,
  PRIMARY KEY (album_id, user_id)
);
CREATE INDEX album_members_by_user ON album_members(user_id);
CREATE TABLE share_links (
  id TEXT PRIMARY KEY,
  album_id TEXT NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
  link_key TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL DEFAULT '',
  expires_at INTEGER,
  allow_download INTEGER NOT NULL,
  show_location INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX share_links_by_album ON share_links(album_id);
-- The scrubber's month counts read only this index (every column they need is in it).
CREATE INDEX assets_months ON assets(owner_id, trashed_at, is_archived, is_live_motion, taken_at,
                                     taken_offset_minutes);
CREATE TABLE download_requests (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  asset_ids TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
)sql"},
  };
  return migrations;
}

}  // namespace shoebox::sqlite
