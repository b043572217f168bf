// Routes: method + path pattern ("/api/v1/assets/{asset_id}") -> handler. The route table is
// data, so tests can walk every route (e.g. to check that no route leaks another user's ids).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "http/http_message.h"

namespace shoebox::http {

// How the server treats a route's request body before calling the handler.
enum class BodyMode {
  kNone,      // a body is read and ignored up to the JSON limit
  kBuffered,  // read into HttpRequest::body_text, up to the JSON limit (413 beyond)
  kStreamed,  // the handler pulls HttpRequest::body itself
};

using Handler = std::function<HttpResponse(HttpRequest&)>;

struct Route {
  std::string method;
  std::string pattern;
  BodyMode body_mode = BodyMode::kNone;
  Handler handler;
};

class Router {
 public:
  explicit Router(std::int64_t max_buffered_body) : max_buffered_body_(max_buffered_body) {}
  void Add(Route route);
  // Answers GET and HEAD requests no route matches (the web app's files).
  void SetFallback(Handler handler) { fallback_ = std::move(handler); }
  // Finds the route, fills path_params, reads a buffered body, calls the handler. 404 for an
  // unknown path, 405 (with Allow) for a known path and another method. Must not throw.
  HttpResponse Dispatch(HttpRequest& request) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
  Handler fallback_;
  std::int64_t max_buffered_body_;
};

// Splits "a=1&b=x%20y" into decoded pairs; malformed escapes keep the raw text.
std::map<std::string, std::string> ParseQuery(std::string_view query);

}  // namespace shoebox::http
