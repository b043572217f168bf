#include "api/api_support.h"
#include "core/text.h"

#include <cmath>

namespace shoebox::api {
namespace {

struct ByteRange {
  std::int64_t offset = 0;
  std::int64_t length = 0;
};

// A single "bytes=a-b", "bytes=a-" or "bytes=-n" range. nullopt means "serve it all" (no Range,
// several ranges, or a syntax we ignore as RFC 9110 allows); kRangeNotSatisfiable when the range
// lies outside the file.
Result<std::optional<ByteRange>> ParseRange(const std::string& header, std::int64_t size) {
  if (header.empty() || header.find(',') != std::string::npos) return std::optional<ByteRange>();
  std::string_view spec(header);
  if (!spec.starts_with("bytes=")) return std::optional<ByteRange>();
  spec.remove_prefix(6);
  auto dash = spec.find('-');
  if (dash == std::string_view::npos) return std::optional<ByteRange>();
  auto first = spec.substr(0, dash), last = spec.substr(dash + 1);
  Error unsatisfiable =
      MakeError(ErrorCode::kRangeNotSatisfiable, "the file has " + std::to_string(size) + " bytes");
  if (first.empty()) {
    auto suffix = ParseNonNegativeInt(last);
    if (!suffix) return std::optional<ByteRange>();
    if (*suffix == 0 || size == 0) return unsatisfiable;
    std::int64_t n = std::min(*suffix, size);
    return std::optional<ByteRange>(ByteRange{size - n, n});
  }
  auto start = ParseNonNegativeInt(first);
  if (!start) return std::optional<ByteRange>();
  std::int64_t end = size - 1;
  if (!last.empty()) {
    auto parsed = ParseNonNegativeInt(last);
    if (!parsed || *parsed < *start) return std::optional<ByteRange>();
    end = std::min(*parsed, size - 1);
  }
  if (*start >= size) return unsatisfiable;
  return std::optional<ByteRange>(ByteRange{*start, end - *start + 1});
}

bool EtagMatches(const std::string& if_none_match, const std::string& etag) {
  if (TrimSpaces(if_none_match) == "*") return true;
  for (std::string_view candidate : SplitAndTrim(if_none_match, ',')) {
    if (candidate.starts_with("W/")) candidate.remove_prefix(2);
    if (candidate == etag) return true;
  }
  return false;
}

std::string ContentDisposition(const std::string& name) {
  std::string ascii;
  for (unsigned char c : name) {
    ascii.push_back(c < 0x20 || c >= 0x7f || c == '"' || c == '\\' ? '_' : static_cast<char>(c));
  }
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + PercentEncode(name);
}

Result<AssetListRequest> ListRequestFrom(const http::HttpRequest& r) {
  AssetListRequest request;
  std::string visibility = r.QueryParam("visibility").value_or("timeline");
  if (visibility == "timeline")
    request.visibility = AssetVisibility::kTimeline;
  else if (visibility == "archive")
    request.visibility = AssetVisibility::kArchive;
  else if (visibility == "trash")
    request.visibility = AssetVisibility::kTrash;
  else if (visibility == "all")
    request.visibility = AssetVisibility::kAll;
  else if (visibility == "library")
    request.visibility = AssetVisibility::kLibrary;
  else
    return MakeError(ErrorCode::kBadRequest, "visibility must be timeline, archive, trash, library or all");
  request.favorites_only = r.QueryParam("favorite").value_or("") == "true";
  request.cursor = r.QueryParam("cursor").value_or("");
  if (auto limit = r.QueryParam("limit")) {
    auto parsed = ParseNonNegativeInt(*limit);
    if (!parsed || *parsed > 1000)
      return MakeError(ErrorCode::kBadRequest, "limit must be 1..1000");
    request.limit = static_cast<int>(*parsed);
  }
  return request;
}

// A day "2023-01-02" as the UTC millisecond of its start.
Result<UnixMillis> DayStart(const std::string& field, const std::string& day) {
  auto at = ParseRfc3339(day + "T00:00:00Z");
  if (day.size() != 10 || !at) return MakeError(ErrorCode::kBadRequest, field + " must be a date like 2023-01-31");
  return *at;
}

Result<double> Number(const std::string& field, const std::string& text) {
  try {
    std::size_t used = 0;
    double value = std::stod(text, &used);
    if (used == text.size() && std::isfinite(value)) return value;
  } catch (const std::exception&) {
  }
  return MakeError(ErrorCode::kBadRequest, field + " must be a number");
}

// GET /api/v1/search: the listing's parameters (visibility defaults to the whole library, not
// the trash) plus the filters. Dates are capture days, both ends included; `near` is a place
// "lat,lon" with `radius_km` (default 10) around it.
Result<AssetListRequest> SearchRequestFrom(const http::HttpRequest& r) {
  SHOEBOX_ASSIGN(AssetListRequest request, ListRequestFrom(r));
  if (!r.QueryParam("visibility")) request.visibility = AssetVisibility::kLibrary;
  AssetFilter& f = request.filter;
  if (auto from = r.QueryParam("from")) {
    SHOEBOX_ASSIGN(f.taken_from, DayStart("from", *from));
  }
  if (auto to = r.QueryParam("to")) {
    SHOEBOX_ASSIGN(UnixMillis start, DayStart("to", *to));
    f.taken_before = start + kMillisPerDay;
  }
  f.camera = r.QueryParam("camera").value_or("");
  f.name = r.QueryParam("name").value_or("");
  if (auto type = r.QueryParam("type")) {
    if (*type == "photo") {
      f.kind = MediaKind::kPhoto;
    } else if (*type == "video") {
      f.kind = MediaKind::kVideo;
    } else if (!type->empty()) {
      return MakeError(ErrorCode::kBadRequest, "type must be photo or video");
    }
  }
  if (auto near = r.QueryParam("near"); near && !near->empty()) {
    auto comma = near->find(',');
    if (comma == std::string::npos) return MakeError(ErrorCode::kBadRequest, "near must be lat,lon");
    SHOEBOX_ASSIGN(double lat, Number("near", near->substr(0, comma)));
    SHOEBOX_ASSIGN(double lon, Number("near", near->substr(comma + 1)));
    double radius = 10;
    if (auto text = r.QueryParam("radius_km")) {
      SHOEBOX_ASSIGN(radius, Number("radius_km", *text));
    }
    if (lat < -90 || lat > 90 || lon < -180 || lon > 180 || radius <= 0 || radius > 20000) {
      return MakeError(ErrorCode::kBadRequest, "near must be a latitude and longitude, radius_km 0..20000");
    }
    // A box around the place (a degree of latitude is 111 km; of longitude, less off the equator).
    double dlat = radius / 111.0;
    double dlon = radius / (111.0 * std::max(0.01, std::cos(lat * M_PI / 180.0)));
    f.latitude_range = std::make_pair(lat - dlat, lat + dlat);
    f.longitude_range = std::make_pair(lon - dlon, lon + dlon);
  }
  return request;
}

}  // namespace

// Serves one of an asset's files with ETag, If-None-Match, a single Range and If-Range.
http::HttpResponse ServeStoredFile(AssetService& assets, http::HttpRequest& r,
                                   const StoredFile& file, AssetFile which) {
  const std::string& etag = file.etag;
  // Derived files live at versioned URLs (the asset's *_url fields): cache them forever.
  std::string cache = file.immutable ? "private, max-age=31536000, immutable"
                                     : "private, max-age=86400";
  if (!r.Header("if-none-match").empty() && EtagMatches(r.Header("if-none-match"), etag)) {
    http::HttpResponse not_modified;
    not_modified.status = 304;
    not_modified.Set("ETag", etag);
    not_modified.Set("Cache-Control", cache);
    return not_modified;
  }
  std::string range_header = r.Header("range");
  // If-Range with another validator means the client's partial copy is stale.
  if (!r.Header("if-range").empty() && r.Header("if-range") != etag) range_header.clear();
  auto range = ParseRange(range_header, file.size);
  if (!range) {
    http::HttpResponse response = http::ErrorResponse(range.error());
    response.Set("Content-Range", "bytes */" + std::to_string(file.size));
    return response;
  }
  std::int64_t offset = *range ? (*range)->offset : 0;
  std::int64_t length = *range ? (*range)->length : file.size;
  auto reader = assets.Open(file, offset, length);
  if (!reader) return http::ErrorResponse(reader.error());
  http::HttpResponse response;
  response.status = *range ? 206 : 200;
  auto shared = std::shared_ptr<BlobReader>(std::move(*reader));
  response.stream = [shared](std::span<char> buffer) { return shared->Read(buffer); };
  response.stream_length = length;
  response.Set("Content-Type", file.mime_type.empty() ? "application/octet-stream" : file.mime_type);
  response.Set("ETag", etag);
  response.Set("Accept-Ranges", "bytes");
  response.Set("Cache-Control", cache);
  if (which == AssetFile::kOriginal || which == AssetFile::kSource) {
    response.Set("Content-Disposition", ContentDisposition(file.file_name));
  }
  response.Set("X-Content-Type-Options", "nosniff");
  if (*range) {
    response.Set("Content-Range", "bytes " + std::to_string(offset) + "-" +
                                      std::to_string(offset + length - 1) + "/" +
                                      std::to_string(file.size));
  }
  return response;
}

http::HttpResponse ServeZip(const ZipDownload& download) {
  http::HttpResponse response;
  auto zip = download.zip;
  response.stream = [zip](std::span<char> buffer) { return zip->Read(buffer); };
  response.stream_length = zip->length();
  response.Set("Content-Type", "application/zip");
  response.Set("Content-Disposition", ContentDisposition(download.file_name));
  response.Set("Cache-Control", "no-store");
  response.Set("X-Content-Type-Options", "nosniff");
  return response;
}

void AddAssetRoutes(http::Router& router, ApiServices& s) {
  std::int64_t retention = s.assets.trash_retention_days();

  // The timeline and the other listings; search is the same listing with filters.
  for (auto [path, parse] : {std::pair{"/api/v1/assets", &ListRequestFrom},
                             std::pair{"/api/v1/search", &SearchRequestFrom}}) {
    router.Add({"GET", path, http::BodyMode::kNone,
                Authed(s, [&s, retention, parse](http::HttpRequest& r, const Caller& caller) {
                  auto page = [&]() -> Result<AssetPage> {
                    SHOEBOX_ASSIGN(AssetListRequest request, parse(r));
                    return s.assets.List(caller, request);
                  }();
                  return Respond(page, [&](const AssetPage& p) {
                    Json list = Json::array();
                    for (const Asset& asset : p.assets) list.push_back(AssetJson(asset, retention));
                    return Ok({{"assets", list},
                               {"next_cursor",
                                p.next_cursor.empty() ? Json(nullptr) : Json(p.next_cursor)}});
                  });
                })});
  }

  // Which of these checksums does the caller have (or deliberately delete)? Devices ask this
  // before uploading, so nothing already on the server is sent twice.
  router.Add(
      {"POST", "/api/v1/assets/exist", http::BodyMode::kBuffered,
       Authed(s, [&s](http::HttpRequest& r, const Caller& caller) {
         auto lookup = [&]() -> Result<ChecksumLookup> {
           SHOEBOX_ASSIGN(Json body, ParseJsonBody(r));
           auto it = body.find("checksums");
           if (it == body.end() || !it->is_array()) {
             return MakeError(ErrorCode::kBadRequest, "checksums must be an array");
           }
           std::vector<std::string> checksums;
           for (const Json& item : *it) {
             if (!item.is_string()) {
               return MakeError(ErrorCode::kBadRequest, "checksums must hold strings");
             }
             checksums.push_back(item.get<std::string>());
           }
           return s.assets.Exist(caller, checksums);
         }();
         return Respond(lookup, [](const ChecksumLookup& found) {
           Json existing = Json::array(), deleted = Json::array();
           for (const ChecksumMatch& m : found.matches) {
             if (m.deleted) {
               deleted.push_back({{"sha256", m.sha256}, {"deleted_at", Rfc3339(m.deleted_at)}});
             } else {
               existing.push_back({{"sha256", m.sha256},
                                   {"asset_id", m.asset_id},
                                   {"quality", QualityName(m.quality)},
                                   {"in_trash", m.in_trash}});
             }
           }
           return Ok({{"existing", existing}, {"deleted", deleted}});
         });
       })});

  // One action on many of the caller's assets (the web app's selection).
  router.Add({"POST", "/api/v1/assets/bulk", http::BodyMode::kBuffered,
              Authed(s, [&s](http::HttpRequest& r, const Caller& caller) {
                auto result = [&]() -> Result<std::int64_t> {
                  SHOEBOX_ASSIGN(Json body, ParseJsonBody(r));
                  SHOEBOX_ASSIGN(std::vector<std::string> ids, StringArray(body, "asset_ids"));
                  SHOEBOX_ASSIGN(std::string action, RequiredString(body, "action"));
                  static const std::pair<const char*, BulkAction> kActions[] = {
                      {"favorite", BulkAction::kFavorite}, {"unfavorite", BulkAction::kUnfavorite},
                      {"archive", BulkAction::kArchive},   {"unarchive", BulkAction::kUnarchive},
                      {"trash", BulkAction::kTrash},       {"restore", BulkAction::kRestore}};
                  for (auto [name, value] : kActions) {
                    if (action == name) return s.assets.Bulk(caller, ids, value);
                  }
                  return MakeError(ErrorCode::kBadRequest,
                                   "action must be favorite, unfavorite, archive, unarchive, "
                                   "trash or restore");
                }();
                return Respond(result, [](std::int64_t n) { return Ok({{"updated", n}}); });
              })});

  // Several assets as one zip: the POST names them, the GET (a navigation) streams the archive.
  router.Add({"POST", "/api/v1/downloads", http::BodyMode::kBuffered,
              Authed(s, [&s](http::HttpRequest& r, const Caller& caller) {
                auto result = [&]() -> Result<Json> {
                  SHOEBOX_ASSIGN(Json body, ParseJsonBody(r));
                  SHOEBOX_ASSIGN(std::vector<std::string> ids, StringArray(body, "asset_ids"));
                  SHOEBOX_ASSIGN(PreparedDownload prepared, s.downloads.Create(caller, ids));
                  const DownloadRequest& request = prepared.request;
                  const ZipDownload& zip = prepared.zip;
                  Json answer = {{"id", request.id},
                                 {"url", "/api/v1/downloads/" + request.id},
                                 {"name", zip.file_name},
                                 {"size", zip.zip->length()},
                                 {"expires_at", Rfc3339(request.expires_at)}};
                  return Result<Json>(boost::system::in_place_value, std::move(answer));
                }();
                return Respond(result, [](const Json& j) { return Ok(j, 201); });
              })});
  router.Add({"GET", "/api/v1/downloads/{download_id}", http::BodyMode::kNone,
              Authed(s, [&s](http::HttpRequest& r, const Caller& caller) {
                auto zip = s.downloads.Open(caller, r.path_params["download_id"]);
                if (!zip) return http::ErrorResponse(zip.error());
                return ServeZip(*zip);
              })});

  router.Add({"GET", "/api/v1/assets/{asset_id}", http::BodyMode::kNone,
              Authed(s, [&s, retention](http::HttpRequest& r, const Caller& caller) {
                return Respond(s.assets.Get(caller, r.path_params["asset_id"]),
                               [&](const Asset& a) { return Ok(AssetJson(a, retention)); });
              })});

  router.Add({"PATCH", "/api/v1/assets/{asset_id}", http::BodyMode::kBuffered,
              Authed(s, [&s, retention](http::HttpRequest& r, const Caller& caller) {
                auto result = [&]() -> Result<Asset> {
                  SHOEBOX_TRY(s.assets.Get(caller, r.path_params["asset_id"]));
                  SHOEBOX_ASSIGN(Json body, ParseJsonBody(r));
                  AssetFlagsPatch patch;
                  SHOEBOX_ASSIGN(patch.is_favorite, OptionalBool(body, "is_favorite"));
                  SHOEBOX_ASSIGN(patch.is_archived, OptionalBool(body, "is_archived"));
                  return s.assets.UpdateFlags(caller, r.path_params["asset_id"], patch);
                }();
                return Respond(result, [&](const Asset& a) { return Ok(AssetJson(a, retention)); });
              })});

  router.Add({"DELETE", "/api/v1/assets/{asset_id}", http::BodyMode::kNone,
              Authed(s, [&s](http::HttpRequest& r, const Caller& caller) {
                return Respond(s.assets.Trash(caller, r.path_params["asset_id"]),
                               [] { return NoContent(); });
              })});

  router.Add({"POST", "/api/v1/assets/{asset_id}/restore", http::BodyMode::kNone,
              Authed(s, [&s, retention](http::HttpRequest& r, const Caller& caller) {
                return Respond(s.assets.Restore(caller, r.path_params["asset_id"]),
                               [&](const Asset& a) { return Ok(AssetJson(a, retention)); });
              })});

  router.Add({"POST", "/api/v1/trash/empty", http::BodyMode::kNone,
              Authed(s, [&s](http::HttpRequest&, const Caller& caller) {
                return Respond(s.assets.EmptyTrash(caller), [](std::int64_t n) {
                  return Ok({{"deleted", n}});
                });
              })});

  auto serve = [&s](AssetFile which) {
    return [&s, which](http::HttpRequest& r, const Caller& caller) {
      auto file = s.assets.Describe(caller, r.path_params["asset_id"], which);
      if (!file) return http::ErrorResponse(file.error());
      return ServeStoredFile(s.assets, r, *file, which);
    };
  };
  for (auto [path, which] : {std::pair{"original", AssetFile::kOriginal},
                             std::pair{"source", AssetFile::kSource},
                             std::pair{"thumbnail", AssetFile::kThumbnail},
                             std::pair{"preview", AssetFile::kPreview},
                             std::pair{"playback", AssetFile::kPlayback}}) {
    std::string pattern = std::string("/api/v1/assets/{asset_id}/") + path;
    router.Add({"GET", pattern, http::BodyMode::kNone, Authed(s, serve(which))});
    router.Add({"HEAD", pattern, http::BodyMode::kNone, Authed(s, serve(which))});
  }

  router.Add({"POST", "/api/v1/assets/{asset_id}/restore-source", http::BodyMode::kNone,
              Authed(s, [&s, retention](http::HttpRequest& r, const Caller& caller) {
                return Respond(s.assets.RestoreSource(caller, r.path_params["asset_id"]),
                               [&](const Asset& a) { return Ok(AssetJson(a, retention)); });
              })});

  router.Add({"GET", "/api/v1/timeline/buckets", http::BodyMode::kNone,
              Authed(s, [&s](http::HttpRequest& r, const Caller& caller) {
                auto result = [&]() -> Result<std::vector<MonthBucket>> {
                  SHOEBOX_ASSIGN(AssetListRequest request, ListRequestFrom(r));
                  return s.assets.Buckets(caller, request.visibility);
                }();
                return Respond(result, [](const std::vector<MonthBucket>& buckets) {
                  Json list = Json::array();
                  for (const MonthBucket& b : buckets) {
                    list.push_back({{"month", b.month}, {"count", b.count}});
                  }
                  return Ok({{"buckets", list}});
                });
              })});
}

}  // namespace shoebox::api
