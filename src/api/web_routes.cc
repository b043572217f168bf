// The web app's static files: hashed assets cached for a year, index.html never cached and
// served for every app path (the app routes in the browser), all under a strict CSP.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/api_support.h"

namespace shoebox::api {
namespace {

namespace fs = std::filesystem;

// No inline script or style anywhere; media and images only from this server (and blob: URLs
// the app makes itself).
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

const char* ContentType(const fs::path& file) {
  std::string ext = file.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".json" || ext == ".webmanifest") return "application/json";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

fs::path DefaultRoot() {
  std::error_code ec;
  auto self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path("web") : self.parent_path().parent_path() / "web";
}

http::HttpResponse NotFound(const std::string& path) {
  return http::ErrorResponse(MakeError(ErrorCode::kNotFound, "no such page: " + path));
}

}  // namespace

void AddWebRoutes(http::Router& router, ApiServices& s) {
  fs::path root = s.config.web_root.empty() ? DefaultRoot() : fs::path(s.config.web_root);
  root = fs::weakly_canonical(root);
  router.SetFallback([root](http::HttpRequest& r) -> http::HttpResponse {
    if (r.path.rfind("/api/", 0) == 0) {
      return http::ErrorResponse(MakeError(ErrorCode::kNotFound, "no such endpoint: " + r.path));
    }
    fs::path relative = fs::path(r.path).relative_path().lexically_normal();
    if (!relative.empty() && *relative.begin() == "..") return NotFound(r.path);
    fs::path file = root / relative;
    std::error_code ec;
    bool is_asset = r.path.rfind("/assets/", 0) == 0;
    if (r.path == "/" || !fs::is_regular_file(file, ec)) {
      // An app path (/albums/x) gets the app; a missing file (/assets/old.js, /favicon.png) a 404.
      if (is_asset || fs::path(r.path).has_extension()) return NotFound(r.path);
      file = root / "index.html";
      if (!fs::is_regular_file(file, ec)) {
        return http::ErrorResponse(MakeError(
            ErrorCode::kNotFound, "the web app is not built (scripts/build builds it into " + root.string() + ")"));
      }
    }
    std::ifstream in(file, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    http::HttpResponse response;
    response.status = 200;
    response.Set("Content-Type", ContentType(file));
    // Vite names every built asset by its content hash: the same URL never changes.
    response.Set("Cache-Control", is_asset ? "public, max-age=31536000, immutable" : "no-cache");
    response.Set("Content-Security-Policy", kContentSecurityPolicy);
    response.Set("X-Content-Type-Options", "nosniff");
    response.Set("Referrer-Policy", "same-origin");
    response.Set("X-Frame-Options", "DENY");
    response.body = bytes.str();  // the server sends only the headers for HEAD
    return response;
  });
}

}  // namespace shoebox::api
