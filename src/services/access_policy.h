// The one place that decides who may see or change what. Every route that names an asset,
// album, share link, upload, user or key goes through it. Something the caller may not see
// answers exactly like something that does not exist (kNotFound), so ids never leak across users
// or out of a shared album.
#pragma once

#include <string>
#include <utility>

#include "core/clock.h"
#include "core/error.h"
#include "ports/metadata_store.h"
#include "services/caller.h"

namespace shoebox {

class AccessPolicy {
 public:
  AccessPolicy(AssetRepository& assets, UploadRepository& uploads, AlbumRepository& albums,
               ShareLinkRepository& links)
      : assets_(assets), uploads_(uploads), albums_(albums), links_(links) {}

  // The asset if the caller owns it; kNotFound otherwise (missing or someone else's).
  Result<Asset> OwnedAsset(const Caller& caller, const std::string& asset_id) const;
  // The asset if the caller owns it, or if it is (outside the trash) an item of an album the
  // caller owns or was given; kNotFound otherwise.
  Result<Asset> ViewableAsset(const Caller& caller, const std::string& asset_id) const;
  // The album and the caller's role in it, when that role is at least `need`. kNotFound when
  // the caller has no role; kForbidden when the role is lower than `need`.
  Result<std::pair<Album, AlbumRole>> AlbumFor(const Caller& caller, const std::string& album_id,
                                               AlbumRole need) const;
  // A share link's visitor: the link with this key if it exists (kNotFound), has not expired
  // at `now` (kLinkExpired) and, when it has a password, `pass` is the one LinkPass() gave
  // after the password was entered (kLinkPasswordRequired).
  Result<ShareLink> OpenLink(const std::string& key, const std::string& pass, UnixMillis now) const;
  // The asset if it is an item (outside the trash) of the link's album; kNotFound otherwise.
  Result<Asset> LinkedAsset(const ShareLink& link, const std::string& asset_id) const;
  // What proves a visitor entered a link's password: derived from the link and its password
  // hash, so any instance can check it and a new password or a revoked link voids it.
  static std::string LinkPass(const ShareLink& link);
  // The upload if the caller started it; kNotFound otherwise.
  Result<Upload> OwnedUpload(const Caller& caller, const std::string& upload_id) const;
  // kForbidden unless the caller is an administrator.
  Result<void> RequireAdmin(const Caller& caller) const;

 private:
  AssetRepository& assets_;
  UploadRepository& uploads_;
  AlbumRepository& albums_;
  ShareLinkRepository& links_;
};

}  // namespace shoebox
