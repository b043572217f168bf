// Public links to albums. The owner makes a link (optional password, expiry, downloads on or
// off, location shown or not); whoever opens it sees that album's items and nothing else. The
// password is checked once (POST, never in a URL) and proved afterwards by AccessPolicy's pass.
#pragma once

#include <optional>
#include <string>

#include "core/clock.h"
#include "ports/metadata_store.h"
#include "services/access_policy.h"
#include "services/album_service.h"
#include "services/caller.h"
#include "services/password_hasher.h"

namespace shoebox {

struct LinkSettings {
  std::optional<std::optional<std::string>> password;  // set (or remove with nullopt inside)
  std::optional<std::optional<UnixMillis>> expires_at;
  std::optional<bool> allow_download;
  std::optional<bool> show_location;
};

// What a visitor of a link sees of the album.
struct SharedAlbum {
  ShareLink link;
  Album album;
};

struct LinkLimits {
  std::int64_t max_failures = 10;  // wrong passwords per link and client address per window
  std::int64_t window_minutes = 15;
};

class ShareLinkService {
 public:
  ShareLinkService(ShareLinkRepository& links, AlbumRepository& albums,
                   LoginAttemptRepository& attempts, AccessPolicy& policy,
                   PasswordHasher& hasher, const Clock& clock, LinkLimits limits = {})
      : links_(links), albums_(albums), attempts_(attempts), policy_(policy), hasher_(hasher),
        clock_(clock), limits_(limits) {}

  // Owner only. Downloads allowed and location hidden unless `settings` says otherwise.
  Result<ShareLink> Create(const Caller& caller, const std::string& album_id,
                           const LinkSettings& settings);
  Result<ShareLink> Update(const Caller& caller, const std::string& album_id,
                           const std::string& link_id, const LinkSettings& settings);
  // The link stops working at once.
  Result<void> Revoke(const Caller& caller, const std::string& album_id,
                      const std::string& link_id);

  // A visitor opens the link (`pass` from the cookie that Unlock set, or empty).
  Result<SharedAlbum> Open(const std::string& key, const std::string& pass);
  // Checks the link's password; returns the pass to keep in a cookie. kInvalidCredentials for a
  // wrong password, kTooManyRequests after too many from one address.
  Result<std::string> Unlock(const std::string& key, const std::string& password,
                             const std::string& client_address);
  Result<AlbumItemsPage> Items(const ShareLink& link, const std::string& cursor, int limit);

 private:
  Result<std::string> HashPassword(const std::optional<std::string>& password);

  ShareLinkRepository& links_;
  AlbumRepository& albums_;
  LoginAttemptRepository& attempts_;
  AccessPolicy& policy_;
  PasswordHasher& hasher_;
  const Clock& clock_;
  LinkLimits limits_;
};

}  // namespace shoebox
