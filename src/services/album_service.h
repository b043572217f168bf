// Albums: an owner's chosen assets in the owner's order, shared with other users of the server
// as viewers (see) or contributors (see, and add their own assets). Every call checks the
// caller's role through the AccessPolicy.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "ports/metadata_store.h"
#include "services/access_policy.h"
#include "services/caller.h"

namespace shoebox {

struct NewAlbum {
  std::string name;
  std::string description;
  std::vector<std::string> asset_ids;  // the caller's own assets to start with
};

// An album as its owner or a member sees it; `links` only for the owner.
struct AlbumView {
  Album album;
  AlbumRole role = AlbumRole::kViewer;
  std::vector<AlbumMember> members;
  std::vector<ShareLink> links;
};

struct AlbumItemsPage {
  std::vector<AlbumItem> items;
  std::string next_cursor;  // empty on the last page
};

struct AddedToAlbum {
  std::int64_t added = 0;
  std::int64_t already = 0;  // were in the album before
};

// The rules for album names, shared with share links' album pages.
Result<std::string> CheckAlbumName(const std::string& name);

// One page of an album's items after `cursor` ("" from the start). kBadRequest for a malformed
// cursor or a limit outside 1..1000.
Result<AlbumItemsPage> AlbumItemsAfter(AlbumRepository& albums, const std::string& album_id,
                                       const std::string& cursor, int limit);

class AlbumService {
 public:
  static constexpr std::size_t kMaxAssetsPerCall = 1000;

  AlbumService(AlbumRepository& albums, ShareLinkRepository& links, UserRepository& users,
               AccessPolicy& policy, const Clock& clock)
      : albums_(albums), links_(links), users_(users), policy_(policy), clock_(clock) {}

  // kBadRequest for an empty or over-long name; kNotFound when an asset is not the caller's.
  Result<Album> Create(const Caller& caller, const NewAlbum& album);
  // Albums the caller owns or was given, with the caller's role, last changed first.
  Result<std::vector<std::pair<Album, AlbumRole>>> List(const Caller& caller);
  Result<AlbumView> Get(const Caller& caller, const std::string& album_id);
  // Owner only. A cover must be an item of the album.
  Result<Album> Update(const Caller& caller, const std::string& album_id, AlbumPatch patch);
  // Owner only. The assets stay in their owners' libraries.
  Result<void> Delete(const Caller& caller, const std::string& album_id);

  // Owner or contributor; each asset must be the caller's own.
  Result<AddedToAlbum> AddAssets(const Caller& caller, const std::string& album_id,
                                 const std::vector<std::string>& asset_ids);
  // The owner removes any item; a contributor only the items they added.
  Result<std::int64_t> RemoveAssets(const Caller& caller, const std::string& album_id,
                                    const std::vector<std::string>& asset_ids);
  // Owner only: `asset_ids` move, in that order, before `before_asset_id` ("" for the end).
  Result<void> MoveAssets(const Caller& caller, const std::string& album_id,
                          const std::vector<std::string>& asset_ids,
                          const std::string& before_asset_id);
  Result<AlbumItemsPage> Items(const Caller& caller, const std::string& album_id,
                               const std::string& cursor, int limit);

  // Owner only: shares the album with the user with this email (kNotFound when there is none),
  // or changes their role.
  Result<AlbumMember> Share(const Caller& caller, const std::string& album_id,
                            const std::string& email, AlbumRole role);
  // The owner takes a member out, or a member leaves.
  Result<void> Unshare(const Caller& caller, const std::string& album_id,
                       const std::string& user_id);

 private:
  Result<std::vector<std::string>> CheckOwnAssets(const Caller& caller,
                                                  const std::vector<std::string>& asset_ids);

  AlbumRepository& albums_;
  ShareLinkRepository& links_;
  UserRepository& users_;
  AccessPolicy& policy_;
  const Clock& clock_;
};

}  // namespace shoebox
