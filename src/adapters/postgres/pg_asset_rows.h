// How an asset row is read on PostgreSQL, shared by the repositories that return assets.
#pragma once

#include "adapters/postgres/pg_db.h"
#include "ports/model.h"

namespace shoebox::postgres {

// The columns ReadAsset expects, in its order; unqualified, so a query may join tables whose
// columns have other names.
#define SHOEBOX_PG_ASSET_COLUMNS                                                               \
  "id, owner_id, sha256, blob_key, original_name, mime_type, kind, size_bytes, taken_at, "     \
  "file_mtime, uploaded_at, device_id, device_asset_id, is_favorite, is_archived, trashed_at, "   \
  "taken_offset_minutes, media_json, media_state, media_error, thumbnail_key, preview_key, "     \
  "playback_key, live_pair_id, is_live_motion, quality, content_sha256, source_key, "            \
  "source_size_bytes, source_until, location_free_key"
inline constexpr int kAssetColumnCount = 31;

// The asset in columns 0..kAssetColumnCount-1 of `row`.
Asset ReadAsset(const Rows& rows, int row);

}  // namespace shoebox::postgres
