#include "services/share_link_service.h"

#include "core/ids.h"

namespace shoebox {

Result<std::string> ShareLinkService::HashPassword(const std::optional<std::string>& password) {
  if (!password || password->empty()) return std::string();
  if (password->size() > 1024) {
    return MakeError(ErrorCode::kBadRequest, "a link password has at most 1024 bytes");
  }
  return hasher_.Hash(*password);
}

Result<ShareLink> ShareLinkService::Create(const Caller& caller, const std::string& album_id,
                                           const LinkSettings& settings) {
  SHOEBOX_TRY(policy_.AlbumFor(caller, album_id, AlbumRole::kOwner));
  UnixMillis now = clock_.Now();
  ShareLink link;
  link.id = NewId(now);
  link.album_id = album_id;
  link.key = RandomToken(24);
  if (settings.password) {
    SHOEBOX_ASSIGN(link.password_hash, HashPassword(*settings.password));
  }
  if (settings.expires_at) link.expires_at = *settings.expires_at;
  if (link.expires_at && *link.expires_at <= now) {
    return MakeError(ErrorCode::kBadRequest, "expires_at must be in the future");
  }
  link.allow_download = settings.allow_download.value_or(true);
  link.show_location = settings.show_location.value_or(false);
  link.created_at = now;
  SHOEBOX_TRY(links_.Create(link));
  return link;
}

Result<ShareLink> ShareLinkService::Update(const Caller& caller, const std::string& album_id,
                                           const std::string& link_id,
                                           const LinkSettings& settings) {
  SHOEBOX_TRY(policy_.AlbumFor(caller, album_id, AlbumRole::kOwner));
  ShareLinkPatch patch;
  if (settings.password) {
    SHOEBOX_ASSIGN(patch.password_hash, HashPassword(*settings.password));
  }
  patch.expires_at = settings.expires_at;
  patch.allow_download = settings.allow_download;
  patch.show_location = settings.show_location;
  return links_.Update(album_id, link_id, patch);
}

Result<void> ShareLinkService::Revoke(const Caller& caller, const std::string& album_id,
                                      const std::string& link_id) {
  SHOEBOX_TRY(policy_.AlbumFor(caller, album_id, AlbumRole::kOwner));
  return links_.Delete(album_id, link_id);
}

Result<SharedAlbum> ShareLinkService::Open(const std::string& key, const std::string& pass) {
  SHOEBOX_ASSIGN(ShareLink link, policy_.OpenLink(key, pass, clock_.Now()));
  SHOEBOX_ASSIGN(Album album, albums_.Get(link.album_id));
  return SharedAlbum{link, album};
}

Result<std::string> ShareLinkService::Unlock(const std::string& key, const std::string& password,
                                             const std::string& client_address) {
  UnixMillis now = clock_.Now();
  auto opened = policy_.OpenLink(key, "", now);
  if (opened) return std::string();  // no password to enter
  if (opened.error().code != ErrorCode::kLinkPasswordRequired) return opened.error();
  SHOEBOX_ASSIGN(std::optional<ShareLink> link, links_.FindByKey(key));
  if (!link) return MakeError(ErrorCode::kNotFound, "this link does not exist or was removed");
  std::string attempt_key = "link:" + link->id + ":" + client_address;
  UnixMillis window_start = now - limits_.window_minutes * 60'000;
  SHOEBOX_ASSIGN(std::int64_t failures, attempts_.CountFailuresSince(attempt_key, window_start));
  if (failures >= limits_.max_failures) {
    return MakeError(ErrorCode::kTooManyRequests, "too many wrong passwords; try again later");
  }
  if (!hasher_.Verify(link->password_hash, password)) {
    SHOEBOX_TRY(attempts_.RecordFailure(attempt_key, now));
    return MakeError(ErrorCode::kInvalidCredentials, "wrong password");
  }
  SHOEBOX_TRY(attempts_.Clear(attempt_key));
  return AccessPolicy::LinkPass(*link);
}

Result<AlbumItemsPage> ShareLinkService::Items(const ShareLink& link, const std::string& cursor,
                                               int limit) {
  return AlbumItemsAfter(albums_, link.album_id, cursor, limit);
}

}  // namespace shoebox
