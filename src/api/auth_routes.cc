#include "api/api_support.h"

namespace shoebox::api {
namespace {

http::HttpResponse SignedIn(const IssuedSecret& issued, const ServerConfig& config, int status) {
  Json body = {{"token", issued.secret},
               {"user", UserJson(issued.user)},
               {"expires_at", issued.credential.expires_at
                                  ? Json(Rfc3339(*issued.credential.expires_at))
                                  : Json(nullptr)}};
  http::HttpResponse response = Ok(body, status);
  response.Set("Set-Cookie",
               SessionCookie(issued.secret, config.session_days * 86400, config.cookie_secure));
  return response;
}

Json KeyJson(const Credential& key) {
  return {{"id", key.id},
          {"name", key.name},
          {"created_at", Rfc3339(key.created_at)},
          {"last_used_at", Rfc3339(key.last_used_at)}};
}

}  // namespace

void AddAuthRoutes(http::Router& router, ApiServices& s) {
  router.Add({"GET", "/api/v1/server/setup", http::BodyMode::kNone, [&s](http::HttpRequest&) {
                return Respond(s.users.NeedsSetup(),
                               [](bool needs) { return Ok({{"needs_setup", needs}}); });
              }});

  // First run: the first visitor of an empty server creates the administrator.
  router.Add({"POST", "/api/v1/auth/setup", http::BodyMode::kBuffered, [&s](http::HttpRequest& r) {
                auto result = [&]() -> Result<IssuedSecret> {
                  SHOEBOX_ASSIGN(Json body, ParseJsonBody(r));
                  SHOEBOX_ASSIGN(NewUser request, NewUserFromJson(body));
                  SHOEBOX_TRY(s.users.CreateFirstAdmin(request));
                  return s.auth.Login(request.email, request.password, r.remote_address, "web");
                }();
                return Respond(result, [&](const IssuedSecret& issued) {
                  return SignedIn(issued, s.config, 201);
                });
              }});

  router.Add({"POST", "/api/v1/auth/login", http::BodyMode::kBuffered, [&s](http::HttpRequest& r) {
                auto result = [&]() -> Result<IssuedSecret> {
                  SHOEBOX_ASSIGN(Json body, ParseJsonBody(r));
                  SHOEBOX_ASSIGN(std::string email, RequiredString(body, "email"));
                  SHOEBOX_ASSIGN(std::string password, RequiredString(body, "password"));
                  SHOEBOX_ASSIGN(auto device, OptionalString(body, "device_name"));
                  return s.auth.Login(email, password, r.remote_address,
                                      device.value_or(r.Header("user-agent")));
                }();
                return Respond(result, [&](const IssuedSecret& issued) {
                  return SignedIn(issued, s.config, 200);
                });
              }});

  router.Add({"POST", "/api/v1/auth/logout", http::BodyMode::kNone,
              Authed(s, [&s](http::HttpRequest&, const Caller& caller) {
                return Respond(s.auth.Logout(caller), [&] {
                  http::HttpResponse response = NoContent();
                  response.Set("Set-Cookie", SessionCookie("", 0, s.config.cookie_secure));
                  return response;
                });
              })});

  router.Add({"GET", "/api/v1/me", http::BodyMode::kNone,
              Authed(s, [&s](http::HttpRequest&, const Caller& caller) {
                return Respond(s.users.Get(caller.user.id), [](const User& user) {
                  return Ok(UserJson(user));
                });
              })});

  // The signed-in user's own settings: name and the default upload quality.
  router.Add({"PATCH", "/api/v1/me", http::BodyMode::kBuffered,
              Authed(s, [&s](http::HttpRequest& r, const Caller& caller) {
                auto result = [&]() -> Result<User> {
                  SHOEBOX_ASSIGN(Json body, ParseJsonBody(r));
                  UserChange change;
                  SHOEBOX_ASSIGN(change.name, OptionalString(body, "name"));
                  SHOEBOX_ASSIGN(auto quality, OptionalString(body, "default_quality"));
                  if (quality) {
                    SHOEBOX_ASSIGN(change.default_quality, ParseQualityName(*quality));
                  }
                  return s.users.Change(caller.user.id, change);
                }();
                return Respond(result, [](const User& user) { return Ok(UserJson(user)); });
              })});

  // What the caller's library takes, against the quota, for the account page.
  router.Add({"GET", "/api/v1/me/storage", http::BodyMode::kNone,
              Authed(s, [&s](http::HttpRequest&, const Caller& caller) {
                auto user = s.users.Get(caller.user.id);
                if (!user) return http::ErrorResponse(user.error());
                return Respond(s.assets.Usage(caller), [&](const UsageSplit& u) {
                  auto part = [](const StoreTotals& t) { return Json{{"count", t.assets}, {"bytes", t.bytes}}; };
                  return Ok({{"used_bytes", user->used_bytes},
                             {"quota_bytes", user->quota_bytes ? Json(*user->quota_bytes) : Json(nullptr)},
                             {"photos", part(u.photos)},
                             {"videos", part(u.videos)},
                             {"trash", part(u.trash)}});
                });
              })});

  router.Add({"POST", "/api/v1/me/password", http::BodyMode::kBuffered,
              Authed(s, [&s](http::HttpRequest& r, const Caller& caller) {
                auto result = [&]() -> Result<void> {
                  SHOEBOX_ASSIGN(Json body, ParseJsonBody(r));
                  SHOEBOX_ASSIGN(std::string current, RequiredString(body, "current_password"));
                  SHOEBOX_ASSIGN(std::string next, RequiredString(body, "new_password"));
                  return s.auth.ChangePassword(caller, current, next);
                }();
                return Respond(result, [] { return NoContent(); });
              })});

  router.Add({"GET", "/api/v1/api-keys", http::BodyMode::kNone,
              Authed(s, [&s](http::HttpRequest&, const Caller& caller) {
                return Respond(s.auth.ListApiKeys(caller), [](const std::vector<Credential>& keys) {
                  Json list = Json::array();
                  for (const Credential& key : keys) list.push_back(KeyJson(key));
                  return Ok({{"keys", list}});
                });
              })});

  router.Add({"POST", "/api/v1/api-keys", http::BodyMode::kBuffered,
              Authed(s, [&s](http::HttpRequest& r, const Caller& caller) {
                auto result = [&]() -> Result<IssuedSecret> {
                  SHOEBOX_ASSIGN(Json body, ParseJsonBody(r));
                  SHOEBOX_ASSIGN(std::string name, RequiredString(body, "name"));
                  return s.auth.CreateApiKey(caller, name);
                }();
                return Respond(result, [](const IssuedSecret& issued) {
                  Json body = KeyJson(issued.credential);
                  body["secret"] = issued.secret;
                  return Ok(body, 201);
                });
              })});

  router.Add({"DELETE", "/api/v1/api-keys/{key_id}", http::BodyMode::kNone,
              Authed(s, [&s](http::HttpRequest& r, const Caller& caller) {
                return Respond(s.auth.DeleteApiKey(caller, r.path_params["key_id"]),
                               [] { return NoContent(); });
              })});
}

}  // namespace shoebox::api
