// The one place that decides who may see or change what. Every route that names an asset,
// upload, user or key goes through it. Something the caller may not see answers exactly like
// something that does not exist (kNotFound), so ids never leak across users.
#pragma once

#include <string>

#include "core/error.h"
#include "ports/metadata_store.h"
#include "services/caller.h"

namespace shoebox {

class AccessPolicy {
 public:
  AccessPolicy(AssetRepository& assets, UploadRepository& uploads)
      : assets_(assets), uploads_(uploads) {}

  // The asset if the caller owns it; kNotFound otherwise (missing or someone else's).
  Result<Asset> OwnedAsset(const Caller& caller, const std::string& asset_id) const;
  // The upload if the caller started it; kNotFound otherwise.
  Result<Upload> OwnedUpload(const Caller& caller, const std::string& upload_id) const;
  // kForbidden unless the caller is an administrator.
  Result<void> RequireAdmin(const Caller& caller) const;

 private:
  AssetRepository& assets_;
  UploadRepository& uploads_;
};

}  // namespace shoebox
