#include "api/api_support.h"

namespace shoebox::api {
namespace {

// quota_bytes: absent = unchanged, null = unlimited, integer >= 0 = the quota.
Result<std::optional<std::optional<std::int64_t>>> QuotaField(const Json& body) {
  auto it = body.find("quota_bytes");
  if (it == body.end()) return std::optional<std::optional<std::int64_t>>();
  if (it->is_null()) return std::optional<std::optional<std::int64_t>>(std::optional<std::int64_t>());
  if (!it->is_number_integer() || it->get<std::int64_t>() < 0) {
    return MakeError(ErrorCode::kBadRequest, "quota_bytes must be null or a non-negative integer");
  }
  return std::optional<std::optional<std::int64_t>>(it->get<std::int64_t>());
}

Json JobOverviewJson(const JobOverview& overview) {
  Json kinds = Json::object();
  for (const JobCounts& c : overview.counts) {
    kinds[std::string(JobKindName(c.kind))] = {
        {"queued", c.queued}, {"running", c.running}, {"failed", c.failed}};
  }
  Json failed = Json::array();
  for (const Job& job : overview.failed) {
    failed.push_back({{"id", job.id},
                      {"kind", std::string(JobKindName(job.kind))},
                      {"asset_id", job.asset_id},
                      {"attempts", job.attempts},
                      {"error", job.last_error},
                      {"failed_at", Rfc3339(job.updated_at)}});
  }
  return {{"kinds", kinds}, {"failed", failed}};
}

}  // namespace

void AddAdminRoutes(http::Router& router, ApiServices& s) {
  auto admin = [&s](AuthedHandler handler) {
    return Authed(s, [&s, handler](http::HttpRequest& r, const Caller& caller) {
      if (auto allowed = s.policy.RequireAdmin(caller); !allowed) {
        return http::ErrorResponse(allowed.error());
      }
      return handler(r, caller);
    });
  };

  router.Add({"GET", "/api/v1/admin/storage", http::BodyMode::kNone,
              Authed(s, [&s](http::HttpRequest&, const Caller& caller) {
                return Respond(s.assets.Storage(caller), [](const ServerStorage& storage) {
                  return Ok({{"assets", storage.originals.assets},
                             {"original_bytes", storage.originals.bytes},
                             {"free_bytes", storage.free_bytes}});
                });
              })});

  router.Add({"GET", "/api/v1/admin/jobs", http::BodyMode::kNone,
              admin([&s](http::HttpRequest&, const Caller&) {
                return Respond(s.media.Overview(),
                               [](const JobOverview& o) { return Ok(JobOverviewJson(o)); });
              })});

  // Re-runs one kind of job for every asset (of one media kind when "only" says so).
  router.Add({"POST", "/api/v1/admin/jobs/{kind}/run", http::BodyMode::kBuffered,
              admin([&s](http::HttpRequest& r, const Caller&) {
                auto result = [&]() -> Result<std::int64_t> {
                  auto kind = ParseJobKind(r.path_params["kind"]);
                  if (!kind) return MakeError(ErrorCode::kNotFound, "no such job kind");
                  std::optional<MediaKind> only;
                  if (!r.body_text.empty()) {
                    SHOEBOX_ASSIGN(Json body, ParseJsonBody(r));
                    SHOEBOX_ASSIGN(auto only_name, OptionalString(body, "only"));
                    if (only_name) {
                      only = ParseMediaKind(*only_name);
                      if (only == MediaKind::kUnknown) {
                        return MakeError(ErrorCode::kBadRequest, "only must be photo or video");
                      }
                    }
                  }
                  return s.media.Rerun(*kind, only);
                }();
                return Respond(result, [](std::int64_t n) { return Ok({{"queued", n}}); });
              })});

  router.Add({"GET", "/api/v1/admin/users", http::BodyMode::kNone,
              admin([&s](http::HttpRequest&, const Caller&) {
                return Respond(s.users.List(), [](const std::vector<User>& users) {
                  Json list = Json::array();
                  for (const User& user : users) list.push_back(UserJson(user));
                  return Ok({{"users", list}});
                });
              })});

  router.Add({"POST", "/api/v1/admin/users", http::BodyMode::kBuffered,
              admin([&s](http::HttpRequest& r, const Caller&) {
                auto result = [&]() -> Result<User> {
                  SHOEBOX_ASSIGN(Json body, ParseJsonBody(r));
                  SHOEBOX_ASSIGN(NewUser request, NewUserFromJson(body));
                  SHOEBOX_ASSIGN(auto is_admin, OptionalBool(body, "is_admin"));
                  request.is_admin = is_admin.value_or(false);
                  SHOEBOX_ASSIGN(auto quota, QuotaField(body));
                  if (quota) request.quota_bytes = *quota;
                  return s.users.Create(request);
                }();
                return Respond(result, [](const User& user) { return Ok(UserJson(user), 201); });
              })});

  router.Add({"GET", "/api/v1/admin/users/{user_id}", http::BodyMode::kNone,
              admin([&s](http::HttpRequest& r, const Caller&) {
                return Respond(s.users.Get(r.path_params["user_id"]),
                               [](const User& user) { return Ok(UserJson(user)); });
              })});

  router.Add({"PATCH", "/api/v1/admin/users/{user_id}", http::BodyMode::kBuffered,
              admin([&s](http::HttpRequest& r, const Caller& caller) {
                auto result = [&]() -> Result<User> {
                  SHOEBOX_ASSIGN(Json body, ParseJsonBody(r));
                  UserChange change;
                  SHOEBOX_ASSIGN(change.name, OptionalString(body, "name"));
                  SHOEBOX_ASSIGN(change.password, OptionalString(body, "password"));
                  SHOEBOX_ASSIGN(change.is_admin, OptionalBool(body, "is_admin"));
                  SHOEBOX_ASSIGN(change.disabled, OptionalBool(body, "disabled"));
                  SHOEBOX_ASSIGN(change.quota_bytes, QuotaField(body));
                  const std::string& id = r.path_params["user_id"];
                  if (id == caller.user.id && ((change.disabled && *change.disabled) ||
                                               (change.is_admin && !*change.is_admin))) {
                    return MakeError(ErrorCode::kConflict,
                                     "you cannot disable yourself or drop your own admin rights");
                  }
                  return s.users.Change(id, change);
                }();
                return Respond(result, [](const User& user) { return Ok(UserJson(user)); });
              })});
}

}  // namespace shoebox::api
