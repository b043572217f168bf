#include "http/server.h"

#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <vector>

#include "core/ids.h"
#include "core/text.h"
#include "http/error_response.h"
#include "http/router.h"

namespace shoebox::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr std::size_t kChunkBytes = 1 << 20;

struct SessionState {
  asio::any_io_executor executor;
  beast::tcp_stream* stream = nullptr;  // null once the session ended; touched on `executor` only
  std::atomic<bool> busy{false};
  bool linger = false;  // an answer went out before its request body was read: drain before closing
};

// The request body as a ByteSource for a handler on a worker thread. Socket reads are started
// on the connection's strand and awaited through futures; while the handler works on one chunk,
// the next is already being read into the other buffer.
class SocketBody final : public ByteSource {
 public:
  SocketBody(beast::tcp_stream& stream, beast::flat_buffer& buffer,
             bhttp::request_parser<bhttp::buffer_body>& parser, std::chrono::seconds timeout,
             ServerStats& stats, bool has_body)
      : stream_(stream), buffer_(buffer), parser_(parser), timeout_(timeout), stats_(stats),
        timer_(stream.get_executor()), done_(!has_body || parser.is_done()) {
    // With a Content-Length the body is read straight from the socket into our buffers in
    // large reads; Beast's parser (small reads, a timer per read) is kept for chunked bodies.
    if (!done_ && !parser.get().chunked() && parser.content_length()) {
      direct_remaining_ = static_cast<std::int64_t>(*parser.content_length());
    }
  }

  Result<std::span<const char>> Next() override {
    while (true) {
      if (failed_) return Gone();
      if (!pending_) {
        if (done_) return std::span<const char>();
        Start(next_buffer_);
      }
      Chunk chunk = pending_->get();
      pending_.reset();
      if (chunk.error) {
        failed_ = true;
        return Gone();
      }
      done_ = chunk.done;
      stats_.bytes_received += static_cast<std::int64_t>(chunk.bytes);
      if (chunk.bytes == 0) continue;
      int ready = chunk.buffer;
      next_buffer_ = ready ^ 1;
      if (!done_) Start(next_buffer_);  // read ahead while the handler works on `ready`
      return std::span<const char>(buffers_[ready].data(), chunk.bytes);
    }
  }

  // Waits for a read in flight (cancelling it) so the connection may be used again.
  void Finish() {
    if (!pending_) return;
    asio::post(stream_.get_executor(), [this] { stream_.socket().cancel(); });
    Chunk chunk = pending_->get();
    pending_.reset();
    if (chunk.error) failed_ = true;
    done_ = chunk.done && !chunk.error;
  }

  bool complete() const { return done_ && !failed_; }
  bool failed() const { return failed_; }

 private:
  struct Chunk {
    int buffer = 0;
    std::size_t bytes = 0;
    bool done = false;
    bool error = false;
  };

  static Error Gone() {
    return MakeError(ErrorCode::kUnavailable, "the client stopped sending the request body");
  }

  void Start(int index) {
    if (buffers_[index].empty()) buffers_[index].resize(kChunkBytes);
    auto promise = std::make_shared<std::promise<Chunk>>();
    pending_ = promise->get_future();
    if (direct_remaining_ >= 0) {
      StartDirect(index, promise);
      return;
    }
    asio::post(stream_.get_executor(), [this, index, promise] {
      auto& body = parser_.get().body();
      body.data = buffers_[index].data();
      body.size = buffers_[index].size();
      stream_.expires_after(timeout_);
      bhttp::async_read(stream_, buffer_, parser_, [this, index, promise](error_code ec, std::size_t) {
        Chunk chunk;
        chunk.buffer = index;
        chunk.bytes = buffers_[index].size() - parser_.get().body().size;
        chunk.done = parser_.is_done();
        chunk.error = ec && ec != bhttp::error::need_buffer;
        promise->set_value(chunk);
      });
    });
  }

  void StartDirect(int index, std::shared_ptr<std::promise<Chunk>> promise) {
    asio::post(stream_.get_executor(), [this, index, promise] {
      std::size_t want = static_cast<std::size_t>(
          std::min<std::int64_t>(direct_remaining_, static_cast<std::int64_t>(kChunkBytes)));
      char* data = buffers_[index].data();
      auto complete = [this, index, promise](error_code ec, std::size_t n) {
        direct_remaining_ -= static_cast<std::int64_t>(n);
        // Remember an error that came with data: Asio would not report the end of the stream
        // to another read on this socket, so none is started.
        if (ec) direct_error_ = true;
        Chunk chunk;
        chunk.buffer = index;
        chunk.bytes = n;
        chunk.done = direct_remaining_ == 0;
        chunk.error = static_cast<bool>(ec) && n == 0;
        promise->set_value(chunk);
      };
      if (direct_error_) {
        complete(asio::error::eof, 0);
        return;
      }
      if (buffer_.size() > 0) {  // body bytes that arrived with the header
        std::size_t n = asio::buffer_copy(asio::buffer(data, want), buffer_.data());
        buffer_.consume(n);
        complete({}, n);
        return;
      }
      timer_.expires_after(timeout_);
      timer_.async_wait([this](error_code ec) {
        if (!ec) stream_.socket().cancel();  // no data for a whole timeout
      });
      // Wait for a fair amount per read (fewer hand-offs), but little enough that a slow client
      // (down to ~2 KB/s) still makes progress within one timeout.
      asio::async_read(
          stream_.socket(), asio::buffer(data, want),
          asio::transfer_at_least(std::min<std::size_t>(want, 64 * 1024)),
          [this, complete](error_code ec, std::size_t n) {
            timer_.cancel();
            complete(ec, n);
          });
    });
  }

  beast::tcp_stream& stream_;
  beast::flat_buffer& buffer_;
  bhttp::request_parser<bhttp::buffer_body>& parser_;
  std::chrono::seconds timeout_;
  ServerStats& stats_;
  asio::steady_timer timer_;
  std::int64_t direct_remaining_ = -1;  // >= 0: reading a Content-Length body directly
  bool direct_error_ = false;
  std::vector<char> buffers_[2];
  int next_buffer_ = 0;
  std::optional<std::future<Chunk>> pending_;
  bool done_;
  bool failed_ = false;
};

HttpRequest BuildRequest(const bhttp::request<bhttp::buffer_body>& message,
                         const std::string& peer, bool has_body,
                         const std::vector<std::string>& trusted_proxies) {
  HttpRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  std::string_view target = message.target();
  auto question = target.find('?');
  std::string_view raw_path = target.substr(0, question);
  auto decoded = PercentDecode(raw_path);
  request.path = decoded ? *decoded : std::string(raw_path);
  if (question != std::string_view::npos) request.query = ParseQuery(target.substr(question + 1));
  for (const auto& field : message) {
    std::string name = AsciiLower(field.name_string());
    auto [it, inserted] = request.headers.emplace(name, std::string(field.value()));
    if (!inserted) it->second += ", " + std::string(field.value());
  }
  if (auto length = message.find(bhttp::field::content_length); length != message.end()) {
    request.content_length = ParseNonNegativeInt(length->value());
  }
  request.has_body = has_body;
  request.remote_address = ClientAddress(peer, request.Header("x-forwarded-for"), trusted_proxies);
  const std::string& incoming_id = request.Header("x-request-id");
  request.request_id = (!incoming_id.empty() && incoming_id.size() <= 64 && IsCleanUtf8(incoming_id))
                           ? incoming_id
                           : RandomToken(9);
  return request;
}

}  // namespace

class Server::Impl {
 public:
  Impl(ServerOptions options, Dispatch dispatch)
      : options_(std::move(options)), dispatch_(std::move(dispatch)),
        io_(options_.io_threads), workers_(static_cast<std::size_t>(options_.worker_threads)),
        control_(asio::make_strand(io_)), acceptor_(control_), signals_(control_),
        grace_timer_(control_) {}

  Result<std::string> Start() {
    auto colon = options_.listen.rfind(':');
    if (colon == std::string::npos) {
      return MakeError(ErrorCode::kBadRequest, "listen address must be host:port");
    }
    std::string host = options_.listen.substr(0, colon);
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    auto port = ParseNonNegativeInt(options_.listen.substr(colon + 1));
    error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (ec || !port || *port > 65535) {
      return MakeError(ErrorCode::kBadRequest, "bad listen address " + options_.listen);
    }
    tcp::endpoint endpoint(address, static_cast<unsigned short>(*port));
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return MakeError(ErrorCode::kUnavailable,
                       "cannot listen on " + options_.listen + ": " + ec.message());
    }
    auto bound = acceptor_.local_endpoint();
    std::string where = bound.address().is_v6() ? "[" + bound.address().to_string() + "]"
                                                : bound.address().to_string();
    return where + ":" + std::to_string(bound.port());
  }

  void Run() {
    if (options_.handle_signals) {
      signals_.add(SIGINT);
      signals_.add(SIGTERM);
      signals_.async_wait([this](error_code ec, int signal) {
        if (ec) return;
        spdlog::info(R"({{"event":"shutdown","signal":{}}})", signal);
        BeginShutdown();
      });
    }
    asio::co_spawn(control_, AcceptLoop(), asio::detached);
    std::vector<std::thread> threads;
    for (int i = 1; i < options_.io_threads; ++i) threads.emplace_back([this] { io_.run(); });
    io_.run();
    for (auto& thread : threads) thread.join();
    workers_.join();
  }

  void Stop() {
    asio::post(control_, [this] { BeginShutdown(); });
  }

  ServerStats stats;

 private:
  void BeginShutdown() {
    if (stopping_.exchange(true)) return;
    error_code ignored;
    acceptor_.close(ignored);
    signals_.cancel(ignored);
    CancelSessions(/*busy_too=*/false);
    grace_timer_.expires_after(std::chrono::seconds(options_.shutdown_grace_seconds));
    grace_timer_.async_wait([this](error_code ec) {
      if (!ec) CancelSessions(/*busy_too=*/true);
    });
    CheckDrained();
  }

  void CancelSessions(bool busy_too) {
    std::lock_guard lock(sessions_mutex_);
    for (const auto& session : sessions_) {
      if (!busy_too && session->busy) continue;
      asio::post(session->executor, [session] {
        if (session->stream != nullptr) session->stream->socket().cancel();
      });
    }
  }

  void CheckDrained() {
    std::lock_guard lock(sessions_mutex_);
    if (stopping_ && sessions_.empty()) {
      asio::post(control_, [this] { grace_timer_.cancel(); });
    }
  }

  asio::awaitable<void> AcceptLoop() {
    while (!stopping_) {
      error_code ec;
      tcp::socket socket(asio::make_strand(io_));
      co_await acceptor_.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (stopping_ || ec == asio::error::operation_aborted) co_return;
        continue;
      }
      auto executor = socket.get_executor();
      asio::co_spawn(executor, Session(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> Session(tcp::socket socket) {
    auto state = std::make_shared<SessionState>();
    state->executor = socket.get_executor();
    error_code ec;
    socket.set_option(tcp::no_delay(true), ec);
    auto remote_endpoint = socket.remote_endpoint(ec);
    std::string remote = ec ? "unknown" : remote_endpoint.address().to_string();
    beast::tcp_stream stream(std::move(socket));
    state->stream = &stream;
    {
      std::lock_guard lock(sessions_mutex_);
      sessions_.insert(state);
    }
    ++stats.connections_open;
    try {
      co_await ServeConnection(stream, *state, remote);
    } catch (const std::exception& e) {
      spdlog::warn(R"({{"event":"connection_error","message":{}}})", nlohmann::json(e.what()).dump());
    }
    if (state->linger) co_await DrainBeforeClose(stream);
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream.close();
    state->stream = nullptr;
    --stats.connections_open;
    {
      std::lock_guard lock(sessions_mutex_);
      sessions_.erase(state);
    }
    CheckDrained();
  }

  asio::awaitable<void> ServeConnection(beast::tcp_stream& stream, SessionState& state,
                                        const std::string& remote) {
    beast::flat_buffer buffer;
    auto timeout = std::chrono::seconds(options_.idle_timeout_seconds);
    while (!stopping_) {
      bhttp::request_parser<bhttp::buffer_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
      parser.body_limit(boost::none);  // handlers decide; bodies are never held whole
      stream.expires_after(timeout);
      error_code ec;
      co_await bhttp::async_read_header(stream, buffer, parser,
                                        asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (ec == bhttp::error::header_limit) {
          co_await WriteSimpleError(stream, ErrorCode::kHeaderTooLarge, "request headers too large");
        } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
                   ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
          co_await WriteSimpleError(stream, ErrorCode::kBadRequest, "malformed request: " + ec.message());
        }
        co_return;
      }
      state.busy = true;
      auto started = std::chrono::steady_clock::now();
      auto& message = parser.get();
      bool has_body = !parser.is_done() && (message.chunked() || parser.content_length().value_or(0) > 0);
      HttpRequest request = BuildRequest(message, remote, has_body, options_.trusted_proxies);
      ++stats.requests_total;
      if (has_body && beast::iequals(message[bhttp::field::expect], "100-continue")) {
        bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, 11};
        co_await bhttp::async_write(stream, go_on, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
      }
      SocketBody body(stream, buffer, parser, std::chrono::seconds(options_.body_timeout_seconds),
                      stats, has_body);
      request.body = &body;
      HttpResponse response = co_await asio::co_spawn(
          workers_.get_executor(),
          [&]() -> asio::awaitable<HttpResponse> {
            HttpResponse result = dispatch_(request);
            body.Finish();
            co_return result;
          },
          asio::use_awaitable);
      bool keep_alive = message.keep_alive() && !response.close_connection && body.complete() &&
                        !stopping_;
      if (!response.Find("X-Request-Id")) response.Set("X-Request-Id", request.request_id);
      bool written = co_await WriteResponse(stream, response, keep_alive, message.version(),
                                            request.method == "HEAD");
      int status_class = std::clamp(response.status / 100, 0, 5);
      ++stats.responses_by_class[status_class];
      auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started).count();
      nlohmann::json line = {{"event", "request"},       {"request_id", request.request_id},
                             {"method", request.method}, {"path", request.path},
                             {"status", response.status}, {"ms", millis},
                             {"remote", request.remote_address}};
      if (!response.user_id.empty()) line["user_id"] = response.user_id;
      if (!written) line["aborted"] = true;
      spdlog::info(line.dump());
      state.busy = false;
      state.linger = written && !body.complete() && !body.failed();
      if (!written || !keep_alive) co_return;
    }
  }

  // Closing a socket with unread bytes sends a reset, and a client still sending its body (an
  // upload refused early with 423 or 413) then loses the answer. Like nginx's lingering close:
  // stop sending, read and drop what keeps arriving for a while, then close.
  asio::awaitable<void> DrainBeforeClose(beast::tcp_stream& stream) {
    error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) co_return;
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::array<char, 64 * 1024> sink;
    while (!stopping_ && std::chrono::steady_clock::now() < give_up) {
      stream.expires_after(std::chrono::seconds(2));
      co_await stream.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
    }
  }

  asio::awaitable<void> WriteSimpleError(beast::tcp_stream& stream, ErrorCode code,
                                         std::string message) {
    HttpResponse response = ErrorResponse(MakeError(code, std::move(message)));
    co_await WriteResponse(stream, response, false, 11, false);
  }

  // Returns false when the connection failed mid-response.
  asio::awaitable<bool> WriteResponse(beast::tcp_stream& stream, HttpResponse& response,
                                      bool keep_alive, unsigned version, bool head) {
    error_code ec;
    auto timeout = std::chrono::seconds(options_.body_timeout_seconds);
    stream.expires_after(timeout);
    if (!response.stream) {
      bhttp::response<bhttp::string_body> message{static_cast<bhttp::status>(response.status),
                                                  version};
      for (auto& [name, value] : response.headers) message.insert(name, value);
      message.keep_alive(keep_alive);
      std::size_t size = response.body.size();
      if (!head) message.body() = std::move(response.body);
      message.prepare_payload();
      if (head && !response.Find("Content-Length")) message.content_length(size);
      co_await bhttp::async_write(stream, message, asio::redirect_error(asio::use_awaitable, ec));
      stats.bytes_sent += static_cast<std::int64_t>(head ? 0 : size);
      co_return !ec;
    }
    bhttp::response<bhttp::buffer_body> message{static_cast<bhttp::status>(response.status),
                                                version};
    for (auto& [name, value] : response.headers) message.insert(name, value);
    message.keep_alive(keep_alive);
    message.content_length(response.stream_length);
    bhttp::response_serializer<bhttp::buffer_body> serializer{message};
    co_await bhttp::async_write_header(stream, serializer,
                                       asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return false;
    if (head) co_return true;
    std::vector<char> chunk(kChunkBytes);
    std::int64_t remaining = response.stream_length;
    while (remaining > 0) {
      std::size_t want = static_cast<std::size_t>(std::min<std::int64_t>(remaining, kChunkBytes));
      std::size_t got = co_await asio::co_spawn(
          workers_.get_executor(),
          [&]() -> asio::awaitable<std::size_t> {
            auto n = response.stream(std::span<char>(chunk.data(), want));
            co_return n ? *n : 0;
          },
          asio::use_awaitable);
      if (got == 0) co_return false;  // the source failed: the client sees a short body
      message.body().data = chunk.data();
      message.body().size = got;
      message.body().more = true;
      stream.expires_after(timeout);
      co_await bhttp::async_write(stream, serializer, asio::redirect_error(asio::use_awaitable, ec));
      if (ec && ec != bhttp::error::need_buffer) co_return false;
      stats.bytes_sent += static_cast<std::int64_t>(got);
      remaining -= static_cast<std::int64_t>(got);
    }
    message.body().data = nullptr;
    message.body().size = 0;
    message.body().more = false;
    co_await bhttp::async_write(stream, serializer, asio::redirect_error(asio::use_awaitable, ec));
    co_return !ec || ec == bhttp::error::need_buffer;
  }

  ServerOptions options_;
  Dispatch dispatch_;
  asio::io_context io_;
  asio::thread_pool workers_;
  // Serialises the listener, the signals and the shutdown timer across the I/O threads.
  asio::strand<asio::io_context::executor_type> control_;
  tcp::acceptor acceptor_;
  asio::signal_set signals_;
  asio::steady_timer grace_timer_;
  std::atomic<bool> stopping_{false};
  std::mutex sessions_mutex_;
  std::set<std::shared_ptr<SessionState>> sessions_;
};

Server::Server(ServerOptions options, Dispatch dispatch)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(dispatch))) {}
Server::~Server() = default;
Result<std::string> Server::Start() { return impl_->Start(); }
void Server::Run() { impl_->Run(); }
void Server::Stop() { impl_->Stop(); }
const ServerStats& Server::stats() const { return impl_->stats; }

}  // namespace shoebox::http
