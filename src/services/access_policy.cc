#include "services/access_policy.h"

#include <sodium.h>

#include "core/hashing.h"
#include "core/ids.h"

namespace shoebox {
namespace {

Error MissingAsset() { return MakeError(ErrorCode::kNotFound, "asset not found"); }

Result<Asset> LoadAsset(AssetRepository& assets, const std::string& asset_id) {
  if (!IsCanonicalId(asset_id)) return MissingAsset();
  auto asset = assets.Get(asset_id);
  if (!asset) return asset.error().code == ErrorCode::kNotFound ? MissingAsset() : asset.error();
  return asset;
}

}  // namespace

Result<Asset> AccessPolicy::OwnedAsset(const Caller& caller, const std::string& asset_id) const {
  SHOEBOX_ASSIGN(Asset asset, LoadAsset(assets_, asset_id));
  if (asset.owner_id != caller.user.id) return MissingAsset();
  return asset;
}

Result<Asset> AccessPolicy::ViewableAsset(const Caller& caller, const std::string& asset_id) const {
  SHOEBOX_ASSIGN(Asset asset, LoadAsset(assets_, asset_id));
  if (asset.owner_id == caller.user.id) return asset;
  SHOEBOX_ASSIGN(bool shared, albums_.SharedWith(asset_id, caller.user.id));
  if (!shared) return MissingAsset();
  return asset;
}

Result<std::pair<Album, AlbumRole>> AccessPolicy::AlbumFor(const Caller& caller,
                                                           const std::string& album_id,
                                                           AlbumRole need) const {
  Error missing = MakeError(ErrorCode::kNotFound, "album not found");
  if (!IsCanonicalId(album_id)) return missing;
  SHOEBOX_ASSIGN(std::optional<AlbumRole> role, albums_.RoleOf(album_id, caller.user.id));
  if (!role) return missing;
  if (static_cast<int>(*role) < static_cast<int>(need)) {
    return MakeError(ErrorCode::kForbidden, need == AlbumRole::kOwner
                                                ? "only the album's owner may do this"
                                                : "this album is shared with you to view only");
  }
  auto album = albums_.Get(album_id);
  if (!album) return album.error().code == ErrorCode::kNotFound ? missing : album.error();
  return std::pair{*album, *role};
}

Result<ShareLink> AccessPolicy::OpenLink(const std::string& key, const std::string& pass,
                                         UnixMillis now) const {
  Error missing = MakeError(ErrorCode::kNotFound, "this link does not exist or was removed");
  if (key.empty() || key.size() > 128) return missing;
  SHOEBOX_ASSIGN(std::optional<ShareLink> link, links_.FindByKey(key));
  if (!link) return missing;
  if (link->expires_at && *link->expires_at <= now) {
    return MakeError(ErrorCode::kLinkExpired, "this link has expired");
  }
  if (!link->password_hash.empty()) {
    std::string expected = LinkPass(*link);
    if (pass.size() != expected.size() ||
        sodium_memcmp(pass.data(), expected.data(), expected.size()) != 0) {
      return MakeError(ErrorCode::kLinkPasswordRequired, "this link needs its password");
    }
  }
  return *link;
}

Result<Asset> AccessPolicy::LinkedAsset(const ShareLink& link, const std::string& asset_id) const {
  SHOEBOX_ASSIGN(Asset asset, LoadAsset(assets_, asset_id));
  SHOEBOX_ASSIGN(bool inside, albums_.Contains(link.album_id, asset_id));
  if (!inside) return MissingAsset();
  return asset;
}

std::string AccessPolicy::LinkPass(const ShareLink& link) {
  return Sha256Hex("shoebox-link-pass\n" + link.id + "\n" + link.password_hash);
}

Result<Upload> AccessPolicy::OwnedUpload(const Caller& caller, const std::string& upload_id) const {
  Error missing = MakeError(ErrorCode::kNotFound, "upload not found");
  if (!IsCanonicalId(upload_id)) return missing;
  auto upload = uploads_.Get(upload_id);
  if (!upload) return upload.error().code == ErrorCode::kNotFound ? missing : upload.error();
  if (upload->owner_id != caller.user.id) return missing;
  return upload;
}

Result<void> AccessPolicy::RequireAdmin(const Caller& caller) const {
  if (!caller.user.is_admin) {
    return MakeError(ErrorCode::kForbidden, "only an administrator may do this");
  }
  return {};
}

}  // namespace shoebox
