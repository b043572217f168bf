#include "services/asset_service.h"

#include <filesystem>

#include "services/media_rules.h"

#include "core/hashing.h"
#include "core/ids.h"
#include "core/text.h"

namespace shoebox {
namespace {

std::string EncodeCursor(const Asset& last) {
  return Base64Encode(std::to_string(last.taken_at) + "|" + last.id);
}

Result<std::pair<UnixMillis, std::string>> DecodeCursor(const std::string& cursor) {
  Error bad = MakeError(ErrorCode::kBadRequest, "malformed cursor");
  auto text = Base64Decode(cursor);
  if (!text) return bad;
  auto bar = text->find('|');
  if (bar == std::string::npos) return bad;
  std::string_view taken(text->data(), bar);
  bool negative = !taken.empty() && taken.front() == '-';
  auto value = ParseNonNegativeInt(negative ? taken.substr(1) : taken);
  std::string id = text->substr(bar + 1);
  if (!value || !IsCanonicalId(id)) return bad;
  return std::make_pair(negative ? -*value : *value, id);
}

}  // namespace

Result<AssetPage> AssetService::List(const Caller& caller, const AssetListRequest& request) {
  if (request.limit < 1 || request.limit > 1000) {
    return MakeError(ErrorCode::kBadRequest, "limit must be between 1 and 1000");
  }
  AssetQuery query;
  query.owner_id = caller.user.id;
  query.visibility = request.visibility;
  query.favorites_only = request.favorites_only;
  query.filter = request.filter;
  query.limit = request.limit + 1;
  if (!request.cursor.empty()) {
    SHOEBOX_ASSIGN(query.after, DecodeCursor(request.cursor));
  }
  SHOEBOX_ASSIGN(auto assets, assets_.List(query));
  AssetPage page;
  if (static_cast<int>(assets.size()) > request.limit) {
    assets.resize(static_cast<std::size_t>(request.limit));
    page.next_cursor = EncodeCursor(assets.back());
  }
  page.assets = std::move(assets);
  return page;
}

Result<Asset> AssetService::Get(const Caller& caller, const std::string& asset_id) {
  return policy_.ViewableAsset(caller, asset_id);
}

Result<ChecksumLookup> AssetService::Exist(const Caller& caller,
                                           const std::vector<std::string>& sha256s) {
  if (sha256s.size() > kMaxChecksumsPerLookup) {
    return MakeError(ErrorCode::kBadRequest, "at most " + std::to_string(kMaxChecksumsPerLookup) +
                                                 " checksums per request");
  }
  std::vector<std::string> normalized;
  normalized.reserve(sha256s.size());
  for (const std::string& sha : sha256s) {
    std::string lower = AsciiLower(sha);
    if (!IsSha256Hex(lower)) {
      return MakeError(ErrorCode::kBadRequest, "'" + sha.substr(0, 80) + "' is not a SHA-256 in hex");
    }
    normalized.push_back(std::move(lower));
  }
  SHOEBOX_ASSIGN(auto matches, assets_.FindByChecksums(caller.user.id, normalized));
  return ChecksumLookup{std::move(matches)};
}

Result<ChangePage> AssetService::Changes(const Caller& caller, const std::string& cursor,
                                         int limit) {
  if (limit < 1 || limit > 1000) return MakeError(ErrorCode::kBadRequest, "limit must be 1..1000");
  std::int64_t after = 0;
  if (!cursor.empty()) {
    auto parsed = ParseNonNegativeInt(cursor);
    if (!parsed) return MakeError(ErrorCode::kBadRequest, "malformed cursor");
    after = *parsed;
  }
  SHOEBOX_ASSIGN(auto changes, assets_.ChangesSince(caller.user.id, after, limit + 1));
  ChangePage page;
  page.has_more = changes.size() > static_cast<std::size_t>(limit);
  if (page.has_more) changes.pop_back();
  page.cursor = std::to_string(changes.empty() ? after : changes.back().seq);
  page.changes = std::move(changes);
  return page;
}

Result<StoredFile> AssetService::Describe(const Caller& caller, const std::string& asset_id,
                                          AssetFile file) {
  SHOEBOX_ASSIGN(Asset asset, policy_.ViewableAsset(caller, asset_id));
  return DescribeFile(asset, file);
}

Result<StoredFile> AssetService::DescribeFile(const Asset& asset, AssetFile file) {
  auto derived = [&](const std::string& key, const char* mime) -> Result<StoredFile> {
    if (key.empty()) {
      return MakeError(ErrorCode::kMediaNotReady,
                       asset.media_state == MediaState::kFailed
                           ? "this file could not be processed: " + asset.media_error
                           : "not made yet; try again shortly");
    }
    SHOEBOX_ASSIGN(BlobInfo info, blobs_.Stat(key));
    std::string name = std::filesystem::path(key).filename().string();
    return StoredFile{asset, key, info.size, mime, "\"" + name + "\"", name, true};
  };
  switch (file) {
    case AssetFile::kOriginal:
      return StoredFile{asset, asset.blob_key, asset.size_bytes,
                        asset.converted() ? StoredMimeType(asset.blob_key) : asset.mime_type,
                        "\"" + asset.stored_sha256() + "\"",
                        asset.converted() ? std::filesystem::path(asset.blob_key).filename().string()
                                          : asset.original_name,
                        false};
    case AssetFile::kSource:
      if (!asset.converted()) return DescribeFile(asset, AssetFile::kOriginal);
      if (asset.source_key.empty()) {
        return MakeError(ErrorCode::kSourceExpired,
                         "the original was kept for a while after Storage saver converted it, "
                         "and is deleted now");
      }
      return StoredFile{asset, asset.source_key, asset.source_size_bytes, asset.mime_type,
                        "\"" + asset.sha256 + "\"", asset.original_name, false};
    case AssetFile::kLocationFree: {
      if (asset.location_free_key.empty()) return derived("", "");
      SHOEBOX_ASSIGN(BlobInfo info, blobs_.Stat(asset.location_free_key));
      std::string name = std::filesystem::path(asset.location_free_key).filename().string();
      // Named like the original, with the copy's own extension (a HEIC comes back as a JPEG).
      std::string extension = std::filesystem::path(asset.location_free_key).extension().string();
      std::string shown = std::filesystem::path(asset.original_name).stem().string() + extension;
      bool same_type = extension == std::filesystem::path(asset.blob_key).extension().string();
      std::string mime = !same_type          ? "image/jpeg"
                         : asset.converted() ? StoredMimeType(asset.blob_key)
                                             : asset.mime_type;
      return StoredFile{asset, asset.location_free_key, info.size, mime, "\"" + name + "\"",
                        shown, false};
    }
    case AssetFile::kThumbnail: return derived(asset.thumbnail_key, "image/webp");
    case AssetFile::kPreview: return derived(asset.preview_key, "image/jpeg");
    case AssetFile::kPlayback:
      if (!asset.playback_key.empty()) return derived(asset.playback_key, "video/mp4");
      if (asset.kind != MediaKind::kVideo) return MakeError(ErrorCode::kNotFound, "not a video");
      if (asset.media_state == MediaState::kPending || asset.media.video_codec.empty() ||
          !BrowserPlayable(asset, playback_max_bit_rate_)) {
        return derived("", "video/mp4");  // a web version is (or was to be) made
      }
      return DescribeFile(asset, AssetFile::kOriginal);
  }
  return MakeError(ErrorCode::kNotFound, "no such file");
}

Result<std::unique_ptr<BlobReader>> AssetService::Open(const StoredFile& file,
                                                       std::int64_t offset, std::int64_t length) {
  if (offset < 0 || length < 0 || offset + length > file.size ||
      (offset >= file.size && file.size > 0)) {
    return MakeError(ErrorCode::kRangeNotSatisfiable,
                     "the file has " + std::to_string(file.size) + " bytes");
  }
  return blobs_.Read(file.key, offset, length);
}

Result<ServerStorage> AssetService::Storage(const Caller& caller) {
  SHOEBOX_TRY(policy_.RequireAdmin(caller));
  ServerStorage storage;
  SHOEBOX_ASSIGN(storage.originals, assets_.Totals());
  SHOEBOX_ASSIGN(storage.free_bytes, blobs_.FreeBytes());
  return storage;
}

Result<UsageSplit> AssetService::Usage(const Caller& caller) {
  return assets_.Usage(caller.user.id);
}

Result<std::vector<MonthBucket>> AssetService::Buckets(const Caller& caller,
                                                       AssetVisibility visibility) {
  return assets_.MonthBuckets(caller.user.id, visibility);
}

Result<Asset> AssetService::RestoreSource(const Caller& caller, const std::string& asset_id) {
  SHOEBOX_ASSIGN(Asset asset, policy_.OwnedAsset(caller, asset_id));
  if (!asset.converted()) return asset;
  if (asset.source_key.empty()) {
    return MakeError(ErrorCode::kSourceExpired, "the original is no longer kept");
  }
  auto restored = assets_.RevertConversion(asset.id);
  if (!restored && restored.error().code == ErrorCode::kConflict) {
    return MakeError(ErrorCode::kSourceExpired, "the original is no longer kept");
  }
  if (restored) SHOEBOX_TRY(DeleteOwedBlobs());
  return restored;
}

Result<Asset> AssetService::UpdateFlags(const Caller& caller, const std::string& asset_id,
                                        const AssetFlagsPatch& patch) {
  SHOEBOX_ASSIGN(Asset asset, policy_.OwnedAsset(caller, asset_id));
  return assets_.UpdateFlags(asset.id, patch);
}

Result<void> AssetService::Trash(const Caller& caller, const std::string& asset_id) {
  SHOEBOX_ASSIGN(Asset asset, policy_.OwnedAsset(caller, asset_id));
  if (asset.trashed_at) return {};
  return assets_.SetTrashed(asset.id, clock_.Now());
}

Result<Asset> AssetService::Restore(const Caller& caller, const std::string& asset_id) {
  SHOEBOX_ASSIGN(Asset asset, policy_.OwnedAsset(caller, asset_id));
  SHOEBOX_TRY(assets_.SetTrashed(asset.id, std::nullopt));
  asset.trashed_at.reset();
  return asset;
}

Result<std::int64_t> AssetService::Bulk(const Caller& caller,
                                        const std::vector<std::string>& requested,
                                        BulkAction action) {
  std::vector<std::string> asset_ids = WithoutRepeats(requested);
  if (asset_ids.empty() || asset_ids.size() > kMaxBulkAssets) {
    return MakeError(ErrorCode::kBadRequest,
                     "asset_ids must hold 1.." + std::to_string(kMaxBulkAssets) + " ids");
  }
  // Every id is checked before anything changes, so a bad id changes nothing.
  std::vector<Asset> owned;
  owned.reserve(asset_ids.size());
  for (const std::string& id : asset_ids) {
    SHOEBOX_ASSIGN(Asset asset, policy_.OwnedAsset(caller, id));
    owned.push_back(std::move(asset));
  }
  std::int64_t changed = 0;
  for (const Asset& asset : owned) {
    AssetFlagsPatch patch;
    switch (action) {
      case BulkAction::kFavorite:
      case BulkAction::kUnfavorite:
        patch.is_favorite = action == BulkAction::kFavorite;
        if (asset.is_favorite == *patch.is_favorite) continue;
        break;
      case BulkAction::kArchive:
      case BulkAction::kUnarchive:
        patch.is_archived = action == BulkAction::kArchive;
        if (asset.is_archived == *patch.is_archived) continue;
        break;
      case BulkAction::kTrash:
        if (asset.trashed_at) continue;
        SHOEBOX_TRY(assets_.SetTrashed(asset.id, clock_.Now()));
        ++changed;
        continue;
      case BulkAction::kRestore:
        if (!asset.trashed_at) continue;
        SHOEBOX_TRY(assets_.SetTrashed(asset.id, std::nullopt));
        ++changed;
        continue;
    }
    SHOEBOX_TRY(assets_.UpdateFlags(asset.id, patch));
    ++changed;
  }
  return changed;
}

Result<std::int64_t> AssetService::EmptyTrash(const Caller& caller) {
  UnixMillis now = clock_.Now();
  SHOEBOX_ASSIGN(std::int64_t purged, assets_.PurgeTrashed(caller.user.id, now, now));
  SHOEBOX_TRY(DeleteOwedBlobs());
  return purged;
}

Result<std::int64_t> AssetService::PurgeExpiredTrash() {
  UnixMillis now = clock_.Now();
  SHOEBOX_ASSIGN(std::int64_t purged,
                 assets_.PurgeTrashed("", now - trash_retention_days_ * kMillisPerDay, now));
  SHOEBOX_TRY(DeleteOwedBlobs());
  return purged;
}

Result<void> AssetService::DeleteOwedBlobs() {
  while (true) {
    SHOEBOX_ASSIGN(auto keys, assets_.PendingBlobDeletions(500));
    for (const std::string& key : keys) {
      SHOEBOX_TRY(blobs_.Remove(key));
      SHOEBOX_TRY(assets_.ForgetPendingBlobDeletion(key));
    }
    if (keys.size() < 500) return {};
  }
}

}  // namespace shoebox
