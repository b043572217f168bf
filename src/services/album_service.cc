#include "services/album_service.h"

#include "core/ids.h"
#include "core/text.h"

namespace shoebox {

Result<std::string> CheckAlbumName(const std::string& name) {
  std::string trimmed(TrimSpaces(name));
  if (trimmed.empty()) return MakeError(ErrorCode::kBadRequest, "an album needs a name");
  if (trimmed.size() > 200) {
    return MakeError(ErrorCode::kBadRequest, "an album name has at most 200 bytes");
  }
  return trimmed;
}

Result<AlbumItemsPage> AlbumItemsAfter(AlbumRepository& albums, const std::string& album_id,
                                       const std::string& cursor, int limit) {
  if (limit < 1 || limit > 1000) return MakeError(ErrorCode::kBadRequest, "limit must be 1..1000");
  std::optional<std::int64_t> after;
  if (!cursor.empty()) {
    auto parsed = ParseNonNegativeInt(cursor);
    if (!parsed) return MakeError(ErrorCode::kBadRequest, "malformed cursor");
    after = *parsed;
  }
  AlbumItemsPage page;
  SHOEBOX_ASSIGN(page.items, albums.Items(album_id, after, limit + 1));
  if (page.items.size() > static_cast<std::size_t>(limit)) {
    page.items.resize(limit);
    page.next_cursor = std::to_string(page.items.back().position);
  }
  return page;
}

Result<std::vector<std::string>> AlbumService::CheckOwnAssets(
    const Caller& caller, const std::vector<std::string>& asset_ids) {
  if (asset_ids.size() > kMaxAssetsPerCall) {
    return MakeError(ErrorCode::kBadRequest,
                     "at most " + std::to_string(kMaxAssetsPerCall) + " assets at a time");
  }
  for (const std::string& id : asset_ids) SHOEBOX_TRY(policy_.OwnedAsset(caller, id));
  return asset_ids;
}

Result<Album> AlbumService::Create(const Caller& caller, const NewAlbum& request) {
  SHOEBOX_ASSIGN(std::string name, CheckAlbumName(request.name));
  SHOEBOX_TRY(CheckOwnAssets(caller, request.asset_ids));
  UnixMillis now = clock_.Now();
  Album album;
  album.id = NewId(now);
  album.owner_id = caller.user.id;
  album.name = name;
  album.description = request.description;
  album.created_at = album.updated_at = now;
  SHOEBOX_TRY(albums_.Create(album));
  if (!request.asset_ids.empty()) {
    SHOEBOX_TRY(albums_.AddAssets(album.id, request.asset_ids, caller.user.id, now));
  }
  return albums_.Get(album.id);
}

Result<std::vector<std::pair<Album, AlbumRole>>> AlbumService::List(const Caller& caller) {
  return albums_.ListForUser(caller.user.id);
}

Result<AlbumView> AlbumService::Get(const Caller& caller, const std::string& album_id) {
  SHOEBOX_ASSIGN(auto found, policy_.AlbumFor(caller, album_id, AlbumRole::kViewer));
  AlbumView view{found.first, found.second, {}, {}};
  SHOEBOX_ASSIGN(view.members, albums_.Members(album_id));
  if (view.role == AlbumRole::kOwner) {
    SHOEBOX_ASSIGN(view.links, links_.ListForAlbum(album_id));
  }
  return view;
}

Result<Album> AlbumService::Update(const Caller& caller, const std::string& album_id,
                                   AlbumPatch patch) {
  SHOEBOX_TRY(policy_.AlbumFor(caller, album_id, AlbumRole::kOwner));
  if (patch.name) {
    SHOEBOX_ASSIGN(patch.name, CheckAlbumName(*patch.name));
  }
  if (patch.description && patch.description->size() > 10'000) {
    return MakeError(ErrorCode::kBadRequest, "a description has at most 10,000 bytes");
  }
  if (patch.cover_asset_id && !patch.cover_asset_id->empty()) {
    SHOEBOX_ASSIGN(bool inside, albums_.Contains(album_id, *patch.cover_asset_id));
    if (!inside) return MakeError(ErrorCode::kBadRequest, "the cover must be an item of the album");
  }
  return albums_.Update(album_id, patch, clock_.Now());
}

Result<void> AlbumService::Delete(const Caller& caller, const std::string& album_id) {
  SHOEBOX_TRY(policy_.AlbumFor(caller, album_id, AlbumRole::kOwner));
  return albums_.Delete(album_id);
}

Result<AddedToAlbum> AlbumService::AddAssets(const Caller& caller, const std::string& album_id,
                                             const std::vector<std::string>& requested) {
  std::vector<std::string> asset_ids = WithoutRepeats(requested);
  SHOEBOX_TRY(policy_.AlbumFor(caller, album_id, AlbumRole::kContributor));
  SHOEBOX_TRY(CheckOwnAssets(caller, asset_ids));
  SHOEBOX_ASSIGN(std::int64_t added,
                 albums_.AddAssets(album_id, asset_ids, caller.user.id, clock_.Now()));
  return AddedToAlbum{added, static_cast<std::int64_t>(asset_ids.size()) - added};
}

Result<std::int64_t> AlbumService::RemoveAssets(const Caller& caller, const std::string& album_id,
                                                const std::vector<std::string>& asset_ids) {
  SHOEBOX_ASSIGN(auto found, policy_.AlbumFor(caller, album_id, AlbumRole::kContributor));
  if (asset_ids.size() > kMaxAssetsPerCall) {
    return MakeError(ErrorCode::kBadRequest,
                     "at most " + std::to_string(kMaxAssetsPerCall) + " assets at a time");
  }
  std::string only_added_by = found.second == AlbumRole::kOwner ? "" : caller.user.id;
  return albums_.RemoveAssets(album_id, asset_ids, only_added_by, clock_.Now());
}

Result<void> AlbumService::MoveAssets(const Caller& caller, const std::string& album_id,
                                      const std::vector<std::string>& asset_ids,
                                      const std::string& before_asset_id) {
  SHOEBOX_TRY(policy_.AlbumFor(caller, album_id, AlbumRole::kOwner));
  if (asset_ids.empty() || asset_ids.size() > kMaxAssetsPerCall) {
    return MakeError(ErrorCode::kBadRequest,
                     "asset_ids must hold 1.." + std::to_string(kMaxAssetsPerCall) + " ids");
  }
  return albums_.MoveAssets(album_id, asset_ids, before_asset_id, clock_.Now());
}

Result<AlbumItemsPage> AlbumService::Items(const Caller& caller, const std::string& album_id,
                                           const std::string& cursor, int limit) {
  SHOEBOX_TRY(policy_.AlbumFor(caller, album_id, AlbumRole::kViewer));
  return AlbumItemsAfter(albums_, album_id, cursor, limit);
}

Result<AlbumMember> AlbumService::Share(const Caller& caller, const std::string& album_id,
                                        const std::string& email, AlbumRole role) {
  SHOEBOX_TRY(policy_.AlbumFor(caller, album_id, AlbumRole::kOwner));
  if (role == AlbumRole::kOwner) {
    return MakeError(ErrorCode::kBadRequest, "role must be viewer or contributor");
  }
  SHOEBOX_ASSIGN(std::optional<User> user, users_.FindByEmail(AsciiLower(std::string(TrimSpaces(email)))));
  if (!user || user->disabled) {
    return MakeError(ErrorCode::kNotFound, "no user of this server has that email");
  }
  if (user->id == caller.user.id) {
    return MakeError(ErrorCode::kBadRequest, "you own this album already");
  }
  UnixMillis now = clock_.Now();
  SHOEBOX_TRY(albums_.PutMember(album_id, user->id, role, now));
  return AlbumMember{user->id, user->name, user->email, role, now};
}

Result<void> AlbumService::Unshare(const Caller& caller, const std::string& album_id,
                                   const std::string& user_id) {
  AlbumRole need = user_id == caller.user.id ? AlbumRole::kViewer : AlbumRole::kOwner;
  SHOEBOX_TRY(policy_.AlbumFor(caller, album_id, need));
  return albums_.RemoveMember(album_id, user_id);
}

}  // namespace shoebox
