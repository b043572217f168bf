#include <sstream>

#include "api/api_support.h"

namespace shoebox::api {
namespace {

void Metric(std::ostringstream& out, const char* name, const char* type, const char* help,
            std::int64_t value, const std::string& labels = "") {
  out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n"
      << name << labels << " " << value << "\n";
}

}  // namespace

void AddSystemRoutes(http::Router& router, ApiServices& s) {
  router.Add({"GET", "/healthz", http::BodyMode::kNone, [&s](http::HttpRequest&) {
                Json checks = Json::object();
                bool healthy = true;
                if (auto db = s.store.Ping(); !db) {
                  checks["database"] = db.error().message;
                  healthy = false;
                } else {
                  checks["database"] = "ok";
                }
                if (auto blobs = s.blobs.FreeBytes(); !blobs) {
                  checks["storage"] = blobs.error().message;
                  healthy = false;
                } else {
                  checks["storage"] = "ok";
                }
                return Ok({{"status", healthy ? "ok" : "unhealthy"}, {"checks", checks}},
                          healthy ? 200 : 503);
              }});

  router.Add({"GET", "/metrics", http::BodyMode::kNone, [&s](http::HttpRequest&) {
                if (!s.config.metrics_enabled) {
                  return http::ErrorResponse(MakeError(ErrorCode::kNotFound, "metrics are disabled"));
                }
                std::ostringstream out;
                if (s.stats != nullptr) {
                  const http::ServerStats& st = *s.stats;
                  Metric(out, "shoebox_http_requests_total", "counter", "HTTP requests received.",
                         st.requests_total.load());
                  out << "# HELP shoebox_http_responses_total HTTP responses by status class.\n"
                         "# TYPE shoebox_http_responses_total counter\n";
                  for (int c = 1; c <= 5; ++c) {
                    out << "shoebox_http_responses_total{class=\"" << c << "xx\"} "
                        << st.responses_by_class[c].load() << "\n";
                  }
                  Metric(out, "shoebox_http_received_bytes_total", "counter",
                         "Request body bytes received.", st.bytes_received.load());
                  Metric(out, "shoebox_http_sent_bytes_total", "counter",
                         "Response body bytes sent.", st.bytes_sent.load());
                  Metric(out, "shoebox_http_connections_open", "gauge", "Open connections.",
                         st.connections_open.load());
                }
                Metric(out, "shoebox_uploads_in_flight", "gauge",
                       "Upload requests receiving bytes on this instance.", s.uploads.InFlight());
                if (auto receiving = s.store.Uploads().CountReceiving()) {
                  Metric(out, "shoebox_uploads_unfinished", "gauge",
                         "Uploads started and not yet complete.", *receiving);
                }
                if (auto totals = s.store.Assets().Totals()) {
                  Metric(out, "shoebox_assets", "gauge", "Assets stored.", totals->assets);
                  Metric(out, "shoebox_storage_bytes", "gauge", "Bytes of stored originals.",
                         totals->bytes);
                }
                if (auto free = s.blobs.FreeBytes()) {
                  Metric(out, "shoebox_storage_free_bytes", "gauge", "Free bytes in the store.",
                         *free);
                }
                http::HttpResponse response;
                response.body = out.str();
                response.Set("Content-Type", "text/plain; version=0.0.4");
                return response;
              }});

  router.Add({"GET", "/api/v1/server/info", http::BodyMode::kNone, [&s](http::HttpRequest&) {
                const ServerConfig& c = s.config;
                return Ok({{"name", "Shoebox"},
                           {"version", SHOEBOX_VERSION},
                           {"api_version", 1},
                           {"limits",
                            {{"photo_max_bytes", c.photo_max_bytes},
                             {"photo_max_pixels", c.photo_max_pixels},
                             {"video_max_bytes", c.video_max_bytes}}},
                           {"uploads",
                            {{"protocol", "tus/1.0.0"},
                             {"endpoint", "/api/v1/uploads"},
                             {"max_request_body_bytes", c.max_patch_bytes},
                             {"max_size", std::max(c.photo_max_bytes, c.video_max_bytes)},
                             {"expire_hours", c.upload_expire_hours},
                             {"checksum_algorithms", {"sha1", "sha256", "md5"}}}},
                           {"exist_max_checksums", AssetService::kMaxChecksumsPerLookup},
                           {"trash_retention_days", c.trash_retention_days},
                           {"supported_media_types", s.inspector.SupportedTypes()}});
              }});
}

http::Router BuildRouter(ApiServices& services) {
  http::Router router(services.config.max_json_body_bytes);
  AddSystemRoutes(router, services);
  AddAuthRoutes(router, services);
  AddAdminRoutes(router, services);
  AddAssetRoutes(router, services);
  AddUploadRoutes(router, services);
  AddDeviceRoutes(router, services);
  AddAlbumRoutes(router, services);
  AddSharedLinkRoutes(router, services);
  AddWebRoutes(router, services);
  return router;
}

}  // namespace shoebox::api
