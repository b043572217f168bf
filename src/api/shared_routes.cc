// What a share link's visitor reaches: the album's name and items, their thumbnails, previews,
// videos and (when allowed) originals, under /api/v1/shared/{key}/. No session: a link with a
// password is unlocked by a POST that sets a cookie scoped to that link's path, so the password
// never travels in a URL. Anything outside the album answers 404.
#include "api/api_support.h"

namespace shoebox::api {
namespace {

constexpr const char* kLinkCookie = "shoebox_link";

std::string LinkBase(const std::string& key) { return "/api/v1/shared/" + key; }

// The link of the request's key, opened with the request's cookie.
Result<SharedAlbum> OpenFromRequest(ApiServices& s, http::HttpRequest& r) {
  return s.links.Open(r.path_params["key"], CookieValue(r.Header("cookie"), kLinkCookie));
}

AssetJsonView ViewFor(const ShareLink& link) {
  return AssetJsonView{LinkBase(link.key) + "/assets/", true, link.show_location,
                       link.allow_download};
}

}  // namespace

void AddSharedLinkRoutes(http::Router& router, ApiServices& s) {
  std::int64_t retention = s.assets.trash_retention_days();

  router.Add({"GET", "/api/v1/shared/{key}", http::BodyMode::kNone,
              [&s](http::HttpRequest& r) {
                return Respond(OpenFromRequest(s, r), [](const SharedAlbum& shared) {
                  const ShareLink& l = shared.link;
                  Json album = AlbumJson(shared.album, std::nullopt, LinkBase(l.key) + "/assets/");
                  album.erase("owner");
                  album["owner_name"] = shared.album.owner_name;
                  return Ok({{"album", album},
                             {"link",
                              {{"allow_download", l.allow_download},
                               {"show_location", l.show_location},
                               {"has_password", !l.password_hash.empty()},
                               {"expires_at", l.expires_at ? Json(Rfc3339(*l.expires_at)) : Json(nullptr)},
                               {"download_url", l.allow_download ? Json(LinkBase(l.key) + "/download")
                                                                 : Json(nullptr)}}}});
                });
              }});

  router.Add({"POST", "/api/v1/shared/{key}/unlock", http::BodyMode::kBuffered,
              [&s](http::HttpRequest& r) {
                auto pass = [&]() -> Result<std::string> {
                  SHOEBOX_ASSIGN(Json body, ParseJsonBody(r));
                  SHOEBOX_ASSIGN(std::string password, RequiredString(body, "password"));
                  return s.links.Unlock(r.path_params["key"], password, r.remote_address);
                }();
                return Respond(pass, [&](const std::string& value) {
                  http::HttpResponse response = NoContent();
                  if (!value.empty()) {
                    response.Set("Set-Cookie",
                                 std::string(kLinkCookie) + "=" + value + "; Path=" +
                                     LinkBase(r.path_params["key"]) +
                                     "; HttpOnly; SameSite=Strict; Max-Age=2592000" +
                                     (s.config.cookie_secure ? "; Secure" : ""));
                  }
                  return response;
                });
              }});

  router.Add({"GET", "/api/v1/shared/{key}/assets", http::BodyMode::kNone,
              [&s, retention](http::HttpRequest& r) {
                auto page = [&]() -> Result<std::pair<AlbumItemsPage, ShareLink>> {
                  SHOEBOX_ASSIGN(SharedAlbum shared, OpenFromRequest(s, r));
                  SHOEBOX_ASSIGN(int limit, AlbumPageLimit(r));
                  SHOEBOX_ASSIGN(AlbumItemsPage items,
                                 s.links.Items(shared.link, r.QueryParam("cursor").value_or(""), limit));
                  return std::pair{std::move(items), shared.link};
                }();
                return Respond(page, [&](const auto& p) {
                  return Ok(AlbumItemsJson(p.first, retention, ViewFor(p.second)));
                });
              }});

  auto serve = [&s](AssetFile which) {
    return [&s, which](http::HttpRequest& r) {
      auto file = [&]() -> Result<StoredFile> {
        SHOEBOX_ASSIGN(SharedAlbum shared, OpenFromRequest(s, r));
        SHOEBOX_ASSIGN(Asset asset, s.policy.LinkedAsset(shared.link, r.path_params["asset_id"]));
        if (which == AssetFile::kOriginal && !shared.link.allow_download) {
          return MakeError(ErrorCode::kDownloadNotAllowed,
                           "the owner turned downloads off for this link");
        }
        SHOEBOX_ASSIGN(StoredFile file, s.assets.DescribeFile(asset, which));
        // Thumbnails, previews and web versions carry no metadata; the stored bytes do, so a
        // link that hides the place gets them without it.
        if (shared.link.show_location || file.key != asset.blob_key) return file;
        auto copy = s.media.LocationFreeCopy(asset);
        if (!copy && copy.error().code == ErrorCode::kMediaUnreadable) {
          return MakeError(ErrorCode::kDownloadNotAllowed,
                           "this file's location cannot be removed, and the link hides it");
        }
        if (!copy) return copy.error();
        return s.assets.DescribeFile(*copy, AssetFile::kLocationFree);
      }();
      if (!file) return http::ErrorResponse(file.error());
      return ServeStoredFile(s.assets, r, *file, which);
    };
  };
  for (auto [path, which] : {std::pair{"original", AssetFile::kOriginal},
                             std::pair{"thumbnail", AssetFile::kThumbnail},
                             std::pair{"preview", AssetFile::kPreview},
                             std::pair{"playback", AssetFile::kPlayback}}) {
    std::string pattern = std::string("/api/v1/shared/{key}/assets/{asset_id}/") + path;
    router.Add({"GET", pattern, http::BodyMode::kNone, serve(which)});
    router.Add({"HEAD", pattern, http::BodyMode::kNone, serve(which)});
  }

  router.Add({"GET", "/api/v1/shared/{key}/download", http::BodyMode::kNone,
              [&s](http::HttpRequest& r) {
                auto zip = [&]() -> Result<ZipDownload> {
                  SHOEBOX_ASSIGN(SharedAlbum shared, OpenFromRequest(s, r));
                  return s.downloads.OpenAlbum(shared.link, shared.album.name);
                }();
                if (!zip) return http::ErrorResponse(zip.error());
                return ServeZip(*zip);
              }});
}

}  // namespace shoebox::api
