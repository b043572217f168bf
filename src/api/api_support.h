// Helpers shared by the route files: authentication of a request, JSON bodies and views.
#pragma once

#include <nlohmann/json.hpp>

#include "api/api.h"
#include "core/text.h"
#include "http/error_response.h"

namespace shoebox::api {

using Json = nlohmann::json;
using AuthedHandler = std::function<http::HttpResponse(http::HttpRequest&, const Caller&)>;

// Wraps a handler that needs a signed-in caller (bearer token, API key or session cookie).
// Cookie-authenticated requests that change state must also carry X-Shoebox-Csrf (or the
// Tus-Resumable header tus clients send), which a cross-site form cannot.
http::Handler Authed(ApiServices& services, AuthedHandler handler);

Result<Json> ParseJsonBody(const http::HttpRequest& request);
// Field accessors: kBadRequest naming the field when the type is wrong.
Result<std::optional<std::string>> OptionalString(const Json& body, const char* field);
Result<std::string> RequiredString(const Json& body, const char* field);
Result<std::optional<bool>> OptionalBool(const Json& body, const char* field);
// An array of strings (kBadRequest naming the field otherwise); empty when absent.
Result<std::vector<std::string>> StringArray(const Json& body, const char* field);
// A cookie's value from a Cookie header; empty when absent.
std::string CookieValue(const std::string& header, std::string_view name);

// email, password and optional name from a JSON body (setup, admin user creation).
Result<NewUser> NewUserFromJson(const Json& body);

Json UserJson(const User& user);
Result<Quality> ParseQualityName(const std::string& name);
// How much of an asset a response shows: everything to its owner and album members; to a share
// link's visitor no device, checksum or trash details, and the place only if the owner said so.
struct AssetJsonView {
  std::string url_base;  // where its files are served; "" for /api/v1/assets/
  bool for_link = false;
  bool show_location = true;
  bool allow_download = true;
};
Json AssetJson(const Asset& asset, std::int64_t trash_retention_days,
               const AssetJsonView& view = {});

// An album as listed; `url_base` is where its cover's files are served (ends in '/').
Json AlbumJson(const Album& album, std::optional<AlbumRole> role, const std::string& url_base);
Json AlbumItemsJson(const AlbumItemsPage& page, std::int64_t retention, const AssetJsonView& view);
// `limit` of an album's item listing (members' and link visitors'): 1..1000, default 200.
Result<int> AlbumPageLimit(const http::HttpRequest& request);

// An asset's file with ETag, Range and caching headers (the stored file is already allowed).
http::HttpResponse ServeStoredFile(AssetService& assets, http::HttpRequest& request,
                                   const StoredFile& file, AssetFile which);
// A zip archive, streamed with its length known.
http::HttpResponse ServeZip(const ZipDownload& download);

http::HttpResponse Ok(const Json& body, int status = 200);
http::HttpResponse NoContent();

// Maps a Result to a response: the error body on failure, else `on_value(value)`.
template <class T, class F>
http::HttpResponse Respond(const Result<T>& result, F&& on_value) {
  if (!result) return http::ErrorResponse(result.error());
  if constexpr (std::is_void_v<T>) {
    return on_value();
  } else {
    return on_value(*result);
  }
}

std::string SessionCookie(const std::string& secret, std::int64_t max_age_seconds, bool secure);

void AddSystemRoutes(http::Router& router, ApiServices& services);
void AddAuthRoutes(http::Router& router, ApiServices& services);
void AddAdminRoutes(http::Router& router, ApiServices& services);
void AddAssetRoutes(http::Router& router, ApiServices& services);
void AddUploadRoutes(http::Router& router, ApiServices& services);
void AddDeviceRoutes(http::Router& router, ApiServices& services);
void AddAlbumRoutes(http::Router& router, ApiServices& services);
void AddSharedLinkRoutes(http::Router& router, ApiServices& services);
void AddWebRoutes(http::Router& router, ApiServices& services);

}  // namespace shoebox::api
