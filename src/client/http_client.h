// A small blocking HTTP/1.1 client over one keep-alive connection (plain TCP), for the device
// side: the `shoebox` command, tests and benchmarks. Not thread-safe: one per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "core/error.h"

namespace shoebox::client {

struct ServerAddress {
  std::string host;
  std::string port;
  // Parses "http://host:port" (or "host:port"); https is not supported here yet.
  static Result<ServerAddress> Parse(const std::string& url);
};

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  const std::string& Header(const std::string& lower_name) const;
};

// Fills `buffer` with the next body bytes; returns how many (0 = end).
using BodyProducer = std::function<Result<std::size_t>(std::span<char> buffer)>;

class HttpClient {
 public:
  explicit HttpClient(ServerAddress server, int timeout_seconds = 60);
  ~HttpClient();

  // kUnavailable when the connection fails (the next call reconnects).
  Result<HttpReply> Send(const std::string& method, const std::string& target,
                         const std::map<std::string, std::string>& headers,
                         const std::string& body = "");
  // Sends a body of exactly `length` bytes pulled from `producer`.
  Result<HttpReply> SendStreaming(const std::string& method, const std::string& target,
                                  const std::map<std::string, std::string>& headers,
                                  std::int64_t length, const BodyProducer& producer);
  void Disconnect();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shoebox::client
