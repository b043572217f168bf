// Albums, their items and members, and their share links (the owner's side). A link's visitor
// side is in shared_routes.cc.
#include "api/api_support.h"

namespace shoebox::api {
namespace {

Result<AlbumRole> ParseMemberRole(const std::optional<std::string>& name) {
  auto role = name ? ParseAlbumRole(*name) : AlbumRole::kViewer;
  if (!role || *role == AlbumRole::kOwner) {
    return MakeError(ErrorCode::kBadRequest, "role must be viewer or contributor");
  }
  return *role;
}

Json OptionalTime(const std::optional<UnixMillis>& at) {
  return at ? Json(Rfc3339(*at)) : Json(nullptr);
}

Json MemberJson(const AlbumMember& m) {
  return {{"user_id", m.user_id}, {"name", m.name}, {"email", m.email},
          {"role", AlbumRoleName(m.role)}, {"added_at", Rfc3339(m.added_at)}};
}

Json LinkJson(const ShareLink& l) {
  return {{"id", l.id},
          {"key", l.key},
          {"url", "/s/" + l.key},
          {"has_password", !l.password_hash.empty()},
          {"expires_at", OptionalTime(l.expires_at)},
          {"allow_download", l.allow_download},
          {"show_location", l.show_location},
          {"created_at", Rfc3339(l.created_at)}};
}

// Link settings from a JSON body; absent fields are left as they are.
Result<LinkSettings> LinkSettingsFromJson(const Json& body) {
  LinkSettings settings;
  if (body.contains("password")) {
    SHOEBOX_ASSIGN(std::optional<std::string> password, OptionalString(body, "password"));
    settings.password = password;
  }
  if (body.contains("expires_at")) {
    SHOEBOX_ASSIGN(std::optional<std::string> text, OptionalString(body, "expires_at"));
    std::optional<UnixMillis> at;
    if (text && !text->empty()) {
      at = ParseRfc3339(*text);
      if (!at) return MakeError(ErrorCode::kBadRequest, "expires_at must be an RFC 3339 time");
    }
    settings.expires_at = at;
  }
  SHOEBOX_ASSIGN(settings.allow_download, OptionalBool(body, "allow_download"));
  SHOEBOX_ASSIGN(settings.show_location, OptionalBool(body, "show_location"));
  return settings;
}

}  // namespace

Json AlbumJson(const Album& a, std::optional<AlbumRole> role, const std::string& url_base) {
  Json json = {{"id", a.id},
               {"name", a.name},
               {"description", a.description},
               {"owner", {{"id", a.owner_id}, {"name", a.owner_name}}},
               {"asset_count", a.asset_count},
               {"cover_asset_id", a.cover_id.empty() ? Json(nullptr) : Json(a.cover_id)},
               {"cover_thumbnail_url",
                a.cover_id.empty() ? Json(nullptr) : Json(url_base + a.cover_id + "/thumbnail")},
               {"first_taken_at", OptionalTime(a.first_taken_at)},
               {"last_taken_at", OptionalTime(a.last_taken_at)},
               {"created_at", Rfc3339(a.created_at)},
               {"updated_at", Rfc3339(a.updated_at)}};
  if (role) json["role"] = AlbumRoleName(*role);
  return json;
}

Json AlbumItemsJson(const AlbumItemsPage& page, std::int64_t retention, const AssetJsonView& view) {
  Json list = Json::array();
  for (const AlbumItem& item : page.items) {
    Json asset = AssetJson(item.asset, retention, view);
    if (!view.for_link) asset["added_by"] = item.added_by;
    list.push_back(std::move(asset));
  }
  return {{"assets", list},
          {"next_cursor", page.next_cursor.empty() ? Json(nullptr) : Json(page.next_cursor)}};
}

Result<int> AlbumPageLimit(const http::HttpRequest& r) {
  auto text = r.QueryParam("limit");
  if (!text) return 200;
  auto parsed = ParseNonNegativeInt(*text);
  if (!parsed || *parsed < 1 || *parsed > 1000) {
    return MakeError(ErrorCode::kBadRequest, "limit must be 1..1000");
  }
  return static_cast<int>(*parsed);
}

void AddAlbumRoutes(http::Router& router, ApiServices& s) {
  std::int64_t retention = s.assets.trash_retention_days();
  const std::string kAssets = "/api/v1/assets/";

  router.Add({"GET", "/api/v1/albums", http::BodyMode::kNone,
              Authed(s, [&s, kAssets](http::HttpRequest&, const Caller& caller) {
                return Respond(s.albums.List(caller), [&](const auto& albums) {
                  Json list = Json::array();
                  for (const auto& [album, role] : albums) list.push_back(AlbumJson(album, role, kAssets));
                  return Ok({{"albums", list}});
                });
              })});

  router.Add({"POST", "/api/v1/albums", http::BodyMode::kBuffered,
              Authed(s, [&s, kAssets](http::HttpRequest& r, const Caller& caller) {
                auto result = [&]() -> Result<Album> {
                  SHOEBOX_ASSIGN(Json body, ParseJsonBody(r));
                  NewAlbum album;
                  SHOEBOX_ASSIGN(album.name, RequiredString(body, "name"));
                  SHOEBOX_ASSIGN(auto description, OptionalString(body, "description"));
                  album.description = description.value_or("");
                  SHOEBOX_ASSIGN(album.asset_ids, StringArray(body, "asset_ids"));
                  return s.albums.Create(caller, album);
                }();
                return Respond(result, [&](const Album& a) {
                  return Ok(AlbumJson(a, AlbumRole::kOwner, kAssets), 201);
                });
              })});

  router.Add({"GET", "/api/v1/albums/{album_id}", http::BodyMode::kNone,
              Authed(s, [&s, kAssets](http::HttpRequest& r, const Caller& caller) {
                return Respond(s.albums.Get(caller, r.path_params["album_id"]), [&](const AlbumView& v) {
                  Json json = AlbumJson(v.album, v.role, kAssets);
                  Json members = Json::array(), links = Json::array();
                  for (const AlbumMember& m : v.members) members.push_back(MemberJson(m));
                  for (const ShareLink& l : v.links) links.push_back(LinkJson(l));
                  json["members"] = members;
                  json["links"] = links;
                  return Ok(json);
                });
              })});

  router.Add({"PATCH", "/api/v1/albums/{album_id}", http::BodyMode::kBuffered,
              Authed(s, [&s, kAssets](http::HttpRequest& r, const Caller& caller) {
                auto result = [&]() -> Result<Album> {
                  SHOEBOX_ASSIGN(Json body, ParseJsonBody(r));
                  AlbumPatch patch;
                  SHOEBOX_ASSIGN(patch.name, OptionalString(body, "name"));
                  SHOEBOX_ASSIGN(patch.description, OptionalString(body, "description"));
                  if (body.contains("cover_asset_id")) {
                    SHOEBOX_ASSIGN(auto cover, OptionalString(body, "cover_asset_id"));
                    patch.cover_asset_id = cover.value_or("");
                  }
                  return s.albums.Update(caller, r.path_params["album_id"], patch);
                }();
                return Respond(result, [&](const Album& a) {
                  return Ok(AlbumJson(a, AlbumRole::kOwner, kAssets));
                });
              })});

  router.Add({"DELETE", "/api/v1/albums/{album_id}", http::BodyMode::kNone,
              Authed(s, [&s](http::HttpRequest& r, const Caller& caller) {
                return Respond(s.albums.Delete(caller, r.path_params["album_id"]),
                               [] { return NoContent(); });
              })});

  router.Add({"GET", "/api/v1/albums/{album_id}/assets", http::BodyMode::kNone,
              Authed(s, [&s, retention](http::HttpRequest& r, const Caller& caller) {
                auto page = [&]() -> Result<AlbumItemsPage> {
                  SHOEBOX_ASSIGN(int limit, AlbumPageLimit(r));
                  return s.albums.Items(caller, r.path_params["album_id"],
                                        r.QueryParam("cursor").value_or(""), limit);
                }();
                return Respond(page, [&](const AlbumItemsPage& p) {
                  return Ok(AlbumItemsJson(p, retention, {}));
                });
              })});

  router.Add({"POST", "/api/v1/albums/{album_id}/assets", http::BodyMode::kBuffered,
              Authed(s, [&s](http::HttpRequest& r, const Caller& caller) {
                auto result = [&]() -> Result<AddedToAlbum> {
                  SHOEBOX_ASSIGN(Json body, ParseJsonBody(r));
                  SHOEBOX_ASSIGN(std::vector<std::string> ids, StringArray(body, "asset_ids"));
                  return s.albums.AddAssets(caller, r.path_params["album_id"], ids);
                }();
                return Respond(result, [](const AddedToAlbum& a) {
                  return Ok({{"added", a.added}, {"already", a.already}});
                });
              })});

  router.Add({"POST", "/api/v1/albums/{album_id}/assets/remove", http::BodyMode::kBuffered,
              Authed(s, [&s](http::HttpRequest& r, const Caller& caller) {
                auto result = [&]() -> Result<std::int64_t> {
                  SHOEBOX_ASSIGN(Json body, ParseJsonBody(r));
                  SHOEBOX_ASSIGN(std::vector<std::string> ids, StringArray(body, "asset_ids"));
                  return s.albums.RemoveAssets(caller, r.path_params["album_id"], ids);
                }();
                return Respond(result, [](std::int64_t n) { return Ok({{"removed", n}}); });
              })});

  router.Add({"POST", "/api/v1/albums/{album_id}/assets/move", http::BodyMode::kBuffered,
              Authed(s, [&s](http::HttpRequest& r, const Caller& caller) {
                auto result = [&]() -> Result<void> {
                  SHOEBOX_ASSIGN(Json body, ParseJsonBody(r));
                  SHOEBOX_ASSIGN(std::vector<std::string> ids, StringArray(body, "asset_ids"));
                  SHOEBOX_ASSIGN(auto before, OptionalString(body, "before_asset_id"));
                  return s.albums.MoveAssets(caller, r.path_params["album_id"], ids,
                                             before.value_or(""));
                }();
                return Respond(result, [] { return NoContent(); });
              })});

  router.Add({"POST", "/api/v1/albums/{album_id}/members", http::BodyMode::kBuffered,
              Authed(s, [&s](http::HttpRequest& r, const Caller& caller) {
                auto result = [&]() -> Result<AlbumMember> {
                  SHOEBOX_ASSIGN(Json body, ParseJsonBody(r));
                  SHOEBOX_ASSIGN(std::string email, RequiredString(body, "email"));
                  SHOEBOX_ASSIGN(auto role_name, OptionalString(body, "role"));
                  SHOEBOX_ASSIGN(AlbumRole role, ParseMemberRole(role_name));
                  return s.albums.Share(caller, r.path_params["album_id"], email, role);
                }();
                return Respond(result, [](const AlbumMember& m) { return Ok(MemberJson(m)); });
              })});

  router.Add({"DELETE", "/api/v1/albums/{album_id}/members/{user_id}", http::BodyMode::kNone,
              Authed(s, [&s](http::HttpRequest& r, const Caller& caller) {
                return Respond(s.albums.Unshare(caller, r.path_params["album_id"],
                                                r.path_params["user_id"]),
                               [] { return NoContent(); });
              })});

  router.Add({"POST", "/api/v1/albums/{album_id}/links", http::BodyMode::kBuffered,
              Authed(s, [&s](http::HttpRequest& r, const Caller& caller) {
                auto result = [&]() -> Result<ShareLink> {
                  SHOEBOX_ASSIGN(Json body, ParseJsonBody(r));
                  SHOEBOX_ASSIGN(LinkSettings settings, LinkSettingsFromJson(body));
                  return s.links.Create(caller, r.path_params["album_id"], settings);
                }();
                return Respond(result, [](const ShareLink& l) { return Ok(LinkJson(l), 201); });
              })});

  router.Add({"PATCH", "/api/v1/albums/{album_id}/links/{link_id}", http::BodyMode::kBuffered,
              Authed(s, [&s](http::HttpRequest& r, const Caller& caller) {
                auto result = [&]() -> Result<ShareLink> {
                  SHOEBOX_ASSIGN(Json body, ParseJsonBody(r));
                  SHOEBOX_ASSIGN(LinkSettings settings, LinkSettingsFromJson(body));
                  return s.links.Update(caller, r.path_params["album_id"],
                                        r.path_params["link_id"], settings);
                }();
                return Respond(result, [](const ShareLink& l) { return Ok(LinkJson(l)); });
              })});

  router.Add({"DELETE", "/api/v1/albums/{album_id}/links/{link_id}", http::BodyMode::kNone,
              Authed(s, [&s](http::HttpRequest& r, const Caller& caller) {
                return Respond(s.links.Revoke(caller, r.path_params["album_id"],
                                              r.path_params["link_id"]),
                               [] { return NoContent(); });
              })});
}

}  // namespace shoebox::api
