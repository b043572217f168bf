#include "api/api_support.h"

#include <filesystem>

#include "ports/media_info_json.h"

#include "core/text.h"

namespace shoebox::api {
std::string CookieValue(const std::string& header, std::string_view name) {
  for (std::string_view part : SplitAndTrim(header, ';')) {
    auto eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name) {
      return std::string(part.substr(eq + 1));
    }
  }
  return "";
}

namespace {

bool ChangesState(const std::string& method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

}  // namespace

http::Handler Authed(ApiServices& services, AuthedHandler handler) {
  return [&services, handler = std::move(handler)](http::HttpRequest& request) {
    std::string secret;
    bool from_cookie = false;
    const std::string& authorization = request.Header("authorization");
    if (authorization.size() > 7 && AsciiLower(authorization.substr(0, 7)) == "bearer ") {
      secret = std::string(TrimSpaces(std::string_view(authorization).substr(7)));
    } else if (!request.Header("x-api-key").empty()) {
      secret = request.Header("x-api-key");
    } else {
      secret = CookieValue(request.Header("cookie"), kSessionCookie);
      from_cookie = !secret.empty();
    }
    auto caller = services.auth.Authenticate(secret);
    if (!caller) return http::ErrorResponse(caller.error());
    if (from_cookie && ChangesState(request.method) && request.Header("x-shoebox-csrf").empty() &&
        request.Header("tus-resumable").empty()) {
      return http::ErrorResponse(MakeError(
          ErrorCode::kCsrfHeaderMissing,
          "requests signed in by cookie that change something must send X-Shoebox-Csrf: 1"));
    }
    http::HttpResponse response = handler(request, *caller);
    response.user_id = caller->user.id;
    return response;
  };
}

Result<Json> ParseJsonBody(const http::HttpRequest& request) {
  // A cross-site HTML form cannot send application/json without a CORS preflight, so this
  // also keeps other sites from posting to these routes (login CSRF included).
  if (!AsciiLower(request.Header("content-type")).starts_with("application/json")) {
    return Result<Json>(boost::system::in_place_error,
                        MakeError(ErrorCode::kUnsupportedMediaType,
                                  "send the body as JSON with Content-Type: application/json"));
  }
  Json body = Json::parse(request.body_text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return Result<Json>(boost::system::in_place_error,
                        MakeError(ErrorCode::kInvalidJson, "the request body must be a JSON object"));
  }
  return Result<Json>(boost::system::in_place_value, std::move(body));
}

Result<std::optional<std::string>> OptionalString(const Json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) {
    return MakeError(ErrorCode::kBadRequest, std::string(field) + " must be a string");
  }
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::vector<std::string>> StringArray(const Json& body, const char* field) {
  std::vector<std::string> out;
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return out;
  Error wrong = MakeError(ErrorCode::kBadRequest, std::string(field) + " must be an array of strings");
  if (!it->is_array()) return wrong;
  for (const Json& item : *it) {
    if (!item.is_string()) return wrong;
    out.push_back(item.get<std::string>());
  }
  return out;
}

Result<std::string> RequiredString(const Json& body, const char* field) {
  SHOEBOX_ASSIGN(auto value, OptionalString(body, field));
  if (!value) return MakeError(ErrorCode::kBadRequest, std::string(field) + " is required");
  return *value;
}

Result<std::optional<bool>> OptionalBool(const Json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean()) {
    return MakeError(ErrorCode::kBadRequest, std::string(field) + " must be true or false");
  }
  return std::optional<bool>(it->get<bool>());
}

Result<NewUser> NewUserFromJson(const Json& body) {
  NewUser request;
  SHOEBOX_ASSIGN(request.email, RequiredString(body, "email"));
  SHOEBOX_ASSIGN(request.password, RequiredString(body, "password"));
  SHOEBOX_ASSIGN(auto name, OptionalString(body, "name"));
  request.name = name.value_or("");
  return request;
}

Json UserJson(const User& user) {
  return {{"id", user.id},
          {"email", user.email},
          {"name", user.name},
          {"is_admin", user.is_admin},
          {"disabled", user.disabled},
          {"quota_bytes", user.quota_bytes ? Json(*user.quota_bytes) : Json(nullptr)},
          {"used_bytes", user.used_bytes},
          {"default_quality", QualityName(user.default_quality)},
          {"created_at", Rfc3339(user.created_at)}};
}

Result<Quality> ParseQualityName(const std::string& name) {
  if (auto quality = ParseQuality(name)) return *quality;
  if (name == "storage-saver") return Quality::kStorageSaver;
  return MakeError(ErrorCode::kBadRequest, "quality must be original or storage_saver");
}

Json AssetJson(const Asset& asset, std::int64_t trash_retention_days, const AssetJsonView& view) {
  Json json = {{"id", asset.id},
               {"original_name", asset.original_name},
               {"mime_type", asset.mime_type},
               {"kind", MediaKindName(asset.kind)},
               {"size_bytes", asset.size_bytes},
               {"taken_at", Rfc3339(asset.taken_at)},
               {"is_favorite", asset.is_favorite},
               {"is_archived", asset.is_archived}};
  // The capture time as the camera's clock showed it, and that clock's offset when known.
  std::string local = Rfc3339(asset.taken_at + asset.media.utc_offset_minutes.value_or(0) * 60'000LL);
  if (!local.empty() && local.back() == 'Z') local.pop_back();
  json["taken_at_local"] = local;
  json["utc_offset_minutes"] = asset.media.utc_offset_minutes ? Json(*asset.media.utc_offset_minutes)
                                                              : Json(nullptr);
  MediaInfo media = asset.media;
  if (!view.show_location) media.latitude = media.longitude = media.altitude = std::nullopt;
  json["media"] = MediaInfoToJson(media);
  json["media_state"] = MediaStateName(asset.media_state);
  // Versioned URLs: a new thumbnail gets a new URL, so browsers may cache each one forever.
  std::string base = (view.url_base.empty() ? std::string("/api/v1/assets/") : view.url_base) +
                     asset.id + "/";
  auto versioned = [&](const std::string& key, const char* path) -> Json {
    if (key.empty()) return nullptr;
    return base + path + "?v=" + std::filesystem::path(key).stem().string();
  };
  json["thumbnail_url"] = versioned(asset.thumbnail_key, "thumbnail");
  json["preview_url"] = versioned(asset.preview_key, "preview");
  json["playback_url"] = !asset.playback_key.empty() ? versioned(asset.playback_key, "playback")
                         : asset.kind == MediaKind::kVideo ? Json(base + "playback")
                                                           : Json(nullptr);
  json["original_url"] = view.allow_download ? Json(base + "original") : Json(nullptr);
  json["live_pair_id"] = asset.live_pair_id.empty() ? Json(nullptr) : Json(asset.live_pair_id);
  json["is_live_motion"] = asset.is_live_motion;
  if (view.for_link) return json;
  // What only the owner and album members see: where it came from, storage and trash details.
  json["sha256"] = asset.sha256;
  json["file_mtime"] = asset.file_mtime ? Json(Rfc3339(*asset.file_mtime)) : Json(nullptr);
  json["uploaded_at"] = Rfc3339(asset.uploaded_at);
  json["device_id"] = asset.device_id;
  json["device_asset_id"] = asset.device_asset_id;
  json["owner_id"] = asset.owner_id;
  json["trashed_at"] = asset.trashed_at ? Json(Rfc3339(*asset.trashed_at)) : Json(nullptr);
  if (asset.trashed_at) {
    json["purge_at"] = Rfc3339(*asset.trashed_at + trash_retention_days * kMillisPerDay);
  }
  json["media_error"] = asset.media_error.empty() ? Json(nullptr) : Json(asset.media_error);
  json["quality"] = QualityName(asset.quality);
  json["converted"] = asset.converted();
  json["source_until"] = asset.source_until && !asset.source_key.empty()
                             ? Json(Rfc3339(*asset.source_until))
                             : Json(nullptr);
  return json;
}

http::HttpResponse Ok(const Json& body, int status) {
  return http::JsonResponse(status, body.dump());
}

http::HttpResponse NoContent() {
  http::HttpResponse response;
  response.status = 204;
  return response;
}

std::string SessionCookie(const std::string& secret, std::int64_t max_age_seconds, bool secure) {
  return std::string(kSessionCookie) + "=" + secret + "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" +
         std::to_string(max_age_seconds) + (secure ? "; Secure" : "");
}

}  // namespace shoebox::api
