// The HTTP/1.1 server on Boost.Beast: coroutines own connections (keep-alive, header limits,
// idle timeouts) and hand each request to a bounded worker pool, where the handler runs as plain
// blocking code and pulls the request body from the socket chunk by chunk (with one chunk read
// ahead). A 10 GB body or download never sits in memory.
//
// Shutdown (Stop(), SIGINT or SIGTERM): stop accepting, close idle connections, let requests in
// flight finish for the grace period, then cancel their socket operations; handlers see the body
// end with kUnavailable and record what they received.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "http/http_message.h"

namespace shoebox::http {

struct ServerOptions {
  std::string listen = "127.0.0.1:3420";  // host:port; port 0 picks a free one
  int io_threads = 2;
  int worker_threads = 32;
  std::int64_t idle_timeout_seconds = 75;  // between requests on a keep-alive connection
  std::int64_t body_timeout_seconds = 30;  // while a body is being read or written
  std::int64_t max_header_bytes = 16 * 1024;
  std::int64_t shutdown_grace_seconds = 10;
  bool handle_signals = true;
  // Proxies (exact addresses) whose X-Forwarded-For is believed, e.g. {"127.0.0.1"}.
  std::vector<std::string> trusted_proxies;
};

// Process-lifetime counters for /metrics; all atomics, read without locks.
struct ServerStats {
  std::atomic<std::int64_t> requests_total{0};
  std::atomic<std::int64_t> responses_by_class[6] = {};  // index = status / 100
  std::atomic<std::int64_t> bytes_received{0};
  std::atomic<std::int64_t> bytes_sent{0};
  std::atomic<std::int64_t> connections_open{0};
};

class Server {
 public:
  using Dispatch = std::function<HttpResponse(HttpRequest&)>;
  Server(ServerOptions options, Dispatch dispatch);
  ~Server();

  // Binds the listening socket; returns "host:port" actually bound. kBadRequest for a
  // malformed address, kUnavailable when the port is taken.
  Result<std::string> Start();
  // Serves until stopped; returns when every connection has closed. Call once, after Start().
  void Run();
  // Thread-safe; returns at once.
  void Stop();
  const ServerStats& stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shoebox::http
