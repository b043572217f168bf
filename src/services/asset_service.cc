#include "services/asset_service.h"

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
  return policy_.OwnedAsset(caller, asset_id);
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

Result<OriginalContent> AssetService::OpenOriginal(const Caller& caller,
                                                   const std::string& asset_id,
                                                   std::int64_t offset,
                                                   std::optional<std::int64_t> length) {
  SHOEBOX_ASSIGN(Asset asset, policy_.OwnedAsset(caller, asset_id));
  std::int64_t size = asset.size_bytes;
  std::int64_t count = length.value_or(size - offset);
  if (offset < 0 || count < 0 || offset + count > size || (offset >= size && size > 0)) {
    return MakeError(ErrorCode::kRangeNotSatisfiable,
                     "the file has " + std::to_string(size) + " bytes");
  }
  SHOEBOX_ASSIGN(auto reader, blobs_.Read(asset.blob_key, offset, count));
  return OriginalContent{std::move(asset), offset, count, std::move(reader)};
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
