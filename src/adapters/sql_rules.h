// What the SQL adapters (SQLite, PostgreSQL) share beyond their dialects: the asset column
// list, LIKE escaping, derived files owed a deletion, month folding, album reordering.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/text.h"
#include "ports/metadata_store.h"

namespace shoebox::sql {

// The columns an asset row is read from, in order; unqualified, so a query may join tables
// whose columns have other names.
#define SHOEBOX_ASSET_COLUMNS                                                                  \
  "id, owner_id, sha256, blob_key, original_name, mime_type, kind, size_bytes, taken_at, "     \
  "file_mtime, uploaded_at, device_id, device_asset_id, is_favorite, is_archived, trashed_at, "   \
  "taken_offset_minutes, media_json, media_state, media_error, thumbnail_key, preview_key, "     \
  "playback_key, live_pair_id, is_live_motion, quality, content_sha256, source_key, "            \
  "source_size_bytes, source_until, location_free_key"
inline constexpr int kAssetColumnCount = 31;

// `text` for a LIKE pattern with % _ and \ matched literally (ESCAPE '\').
inline std::string LikeLiteral(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// "%text%": contains `text`; "" stays "" (no filter).
inline std::string LikePattern(const std::string& text) {
  return text.empty() ? "" : "%" + LikeLiteral(text) + "%";
}

// A table or column name the adapters build SQL from (lower-case letters, digits, _).
inline bool IsSqlName(const std::string& name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
}

// The derived files of `before` that `patch` replaces with other ones: owed a deletion.
inline std::vector<std::string> ReplacedDerivedKeys(const Asset& before, const MediaPatch& patch) {
  std::vector<std::string> replaced;
  for (auto [old_key, new_key] : {std::pair{&before.thumbnail_key, &patch.thumbnail_key},
                                  std::pair{&before.preview_key, &patch.preview_key},
                                  std::pair{&before.playback_key, &patch.playback_key},
                                  std::pair{&before.location_free_key, &patch.location_free_key}}) {
    if (*new_key && !old_key->empty() && **new_key != *old_key) replaced.push_back(*old_key);
  }
  return replaced;
}

// Adds `count` assets of local day `day` (days since 1970) to `months`, fed newest day first.
inline void AddDayToMonths(std::vector<MonthBucket>& months, std::int64_t day, std::int64_t count) {
  std::string month = Rfc3339(day * kMillisPerDay).substr(0, 7);
  if (months.empty() || months.back().month != month) months.push_back({month, 0});
  months.back().count += count;
}

// An album's order after moving `asset_ids` (in that order) before `before_asset_id`, or to
// the end when it is empty. kBadRequest for an id not in `order`.
inline Result<std::vector<std::string>> MoveInOrder(const std::vector<std::string>& order,
                                                    const std::vector<std::string>& asset_ids,
                                                    const std::string& before_asset_id) {
  auto in_album = [&](const std::string& id) {
    return std::find(order.begin(), order.end(), id) != order.end();
  };
  if (!before_asset_id.empty() && !in_album(before_asset_id)) {
    return MakeError(ErrorCode::kBadRequest, "before_asset_id is not in the album");
  }
  std::vector<std::string> moving;
  for (const std::string& id : asset_ids) {
    if (!in_album(id)) return MakeError(ErrorCode::kBadRequest, "asset " + id + " is not in the album");
    if (std::find(moving.begin(), moving.end(), id) == moving.end()) moving.push_back(id);
  }
  std::vector<std::string> result;
  result.reserve(order.size());
  for (const std::string& id : order) {
    if (id == before_asset_id) result.insert(result.end(), moving.begin(), moving.end());
    if (std::find(moving.begin(), moving.end(), id) == moving.end()) result.push_back(id);
  }
  if (before_asset_id.empty()) result.insert(result.end(), moving.begin(), moving.end());
  return result;
}

}  // namespace shoebox::sql
