#include "http/router.h"

#include <exception>

#include "core/text.h"
#include "http/error_response.h"

namespace shoebox::http {
namespace {

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    segments.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return segments;
}

bool Match(std::string_view pattern, std::string_view path,
           std::map<std::string, std::string>& params) {
  auto want = Segments(pattern);
  auto have = Segments(path);
  if (want.size() != have.size()) return false;
  std::map<std::string, std::string> found;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (want[i].size() > 2 && want[i].front() == '{' && want[i].back() == '}') {
      if (have[i].empty()) return false;
      found.emplace(std::string(want[i].substr(1, want[i].size() - 2)), std::string(have[i]));
    } else if (want[i] != have[i]) {
      return false;
    }
  }
  params = std::move(found);
  return true;
}

}  // namespace

std::map<std::string, std::string> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    auto eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    auto decoded_key = PercentDecode(key);
    auto decoded_value = PercentDecode(value);
    if (!key.empty()) {
      out[decoded_key ? *decoded_key : std::string(key)] =
          decoded_value ? *decoded_value : std::string(value);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

void Router::Add(Route route) { routes_.push_back(std::move(route)); }

HttpResponse Router::Dispatch(HttpRequest& request) const {
  std::string allowed;
  for (const Route& route : routes_) {
    std::map<std::string, std::string> params;
    if (!Match(route.pattern, request.path, params)) continue;
    if (route.method != request.method) {
      allowed += (allowed.empty() ? "" : ", ") + route.method;
      continue;
    }
    request.path_params = std::move(params);
    try {
      if (route.body_mode != BodyMode::kStreamed && request.has_body) {
        auto body = ReadWholeBody(*request.body, max_buffered_body_);
        if (!body) return ErrorResponse(body.error());
        if (route.body_mode == BodyMode::kBuffered) request.body_text = std::move(*body);
      }
      return route.handler(request);
    } catch (const std::exception& e) {
      return ErrorResponse(MakeError(ErrorCode::kInternal, std::string("internal error: ") + e.what()));
    }
  }
  if (!allowed.empty()) {
    HttpResponse response = ErrorResponse(
        MakeError(ErrorCode::kMethodNotAllowed, request.method + " is not allowed here"));
    response.Set("Allow", allowed);
    return response;
  }
  if (fallback_ && (request.method == "GET" || request.method == "HEAD")) {
    try {
      return fallback_(request);
    } catch (const std::exception& e) {
      return ErrorResponse(MakeError(ErrorCode::kInternal, std::string("internal error: ") + e.what()));
    }
  }
  return ErrorResponse(MakeError(ErrorCode::kNotFound, "no such endpoint: " + request.path));
}

}  // namespace shoebox::http
