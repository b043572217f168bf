// Requests and responses as handlers see them: plain values, no socket, so a unit test can call
// a handler directly. Bodies stream both ways: a request body is a ByteSource the handler pulls
// from; a response body is either a string or a function the server pulls chunks from.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/byte_source.h"
#include "core/error.h"

namespace shoebox::http {

struct HttpRequest {
  std::string method;  // "GET", "PATCH", ...
  std::string target;  // as sent, with the query
  std::string path;    // percent-decoded path without the query
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // names lower-cased; repeats joined with ", "
  std::map<std::string, std::string> path_params;
  std::optional<std::int64_t> content_length;
  bool has_body = false;  // Content-Length > 0 or chunked
  // The client's address: the socket peer, or the address a trusted proxy put in
  // X-Forwarded-For (see ClientAddress).
  std::string remote_address;
  std::string request_id;
  ByteSource* body = nullptr;  // never null while a handler runs
  std::string body_text;       // filled for routes that take a buffered (JSON) body

  // The header's value or "" when absent.
  const std::string& Header(const std::string& lower_name) const;
  std::optional<std::string> QueryParam(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When set, the body is streamed: called until it returns 0, `stream_length` bytes in all.
  std::function<Result<std::size_t>(std::span<char>)> stream;
  std::int64_t stream_length = 0;
  bool close_connection = false;
  // Filled by the API layer for the request log.
  std::string user_id;

  HttpResponse& Set(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  const std::string* Find(std::string_view name) const;
};

HttpResponse JsonResponse(int status, const std::string& json);

// The client's address given the socket `peer` and an X-Forwarded-For header: when the peer is
// one of `trusted_proxies`, the rightmost address in the header that is not a trusted proxy
// itself; otherwise the peer (a header from anyone else is not believed).
std::string ClientAddress(const std::string& peer, const std::string& forwarded_for,
                          const std::vector<std::string>& trusted_proxies);

// Drains a body into a string of at most `limit` bytes; kPayloadTooLarge beyond.
Result<std::string> ReadWholeBody(ByteSource& body, std::int64_t limit);

}  // namespace shoebox::http
