#include "services/access_policy.h"

#include "core/ids.h"

namespace shoebox {

Result<Asset> AccessPolicy::OwnedAsset(const Caller& caller, const std::string& asset_id) const {
  Error missing = MakeError(ErrorCode::kNotFound, "asset not found");
  if (!IsCanonicalId(asset_id)) return missing;
  auto asset = assets_.Get(asset_id);
  if (!asset) return asset.error().code == ErrorCode::kNotFound ? missing : asset.error();
  if (asset->owner_id != caller.user.id) return missing;
  return asset;
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
