#include "http/http_message.h"

#include <algorithm>

#include "core/text.h"

namespace shoebox::http {

const std::string& HttpRequest::Header(const std::string& lower_name) const {
  static const std::string kEmpty;
  auto it = headers.find(lower_name);
  return it == headers.end() ? kEmpty : it->second;
}

std::optional<std::string> HttpRequest::QueryParam(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

const std::string* HttpResponse::Find(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (AsciiLower(key) == AsciiLower(name)) return &value;
  }
  return nullptr;
}

HttpResponse JsonResponse(int status, const std::string& json) {
  HttpResponse response;
  response.status = status;
  response.body = json;
  response.Set("Content-Type", "application/json");
  // Answers about private, changing state: never kept by a browser or a proxy (a cached 410 of
  // a link would outlive the link's new settings).
  response.Set("Cache-Control", "no-store");
  return response;
}

std::string ClientAddress(const std::string& peer, const std::string& forwarded_for,
                          const std::vector<std::string>& trusted_proxies) {
  auto trusted = [&](std::string_view address) {
    return std::find(trusted_proxies.begin(), trusted_proxies.end(), address) !=
           trusted_proxies.end();
  };
  if (!trusted(peer) || forwarded_for.empty()) return peer;
  auto hops = SplitAndTrim(forwarded_for, ',');
  for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
    if (!hop->empty() && !trusted(*hop)) return std::string(*hop);
  }
  return peer;
}

Result<std::string> ReadWholeBody(ByteSource& body, std::int64_t limit) {
  std::string text;
  while (true) {
    SHOEBOX_ASSIGN(auto chunk, body.Next());
    if (chunk.empty()) return text;
    if (static_cast<std::int64_t>(text.size() + chunk.size()) > limit) {
      return MakeError(ErrorCode::kPayloadTooLarge,
                       "request body larger than " + std::to_string(limit) + " bytes");
    }
    text.append(chunk.data(), chunk.size());
  }
}

}  // namespace shoebox::http
