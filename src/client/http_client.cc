#include "client/http_client.h"

#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <vector>

#include "core/text.h"

namespace shoebox::client {
namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
}  // namespace

Result<ServerAddress> ServerAddress::Parse(const std::string& url) {
  std::string rest = url;
  if (rest.starts_with("http://")) rest = rest.substr(7);
  else if (rest.starts_with("https://")) {
    return MakeError(ErrorCode::kBadRequest, "https is not supported by this client yet");
  }
  auto slash = rest.find('/');
  if (slash != std::string::npos) rest = rest.substr(0, slash);
  auto colon = rest.rfind(':');
  if (rest.empty()) return MakeError(ErrorCode::kBadRequest, "no host in " + url);
  if (colon == std::string::npos) return ServerAddress{rest, "80"};
  return ServerAddress{rest.substr(0, colon), rest.substr(colon + 1)};
}

const std::string& HttpReply::Header(const std::string& lower_name) const {
  static const std::string kEmpty;
  auto it = headers.find(lower_name);
  return it == headers.end() ? kEmpty : it->second;
}

class HttpClient::Impl {
 public:
  Impl(ServerAddress server, int timeout_seconds)
      : server_(std::move(server)), timeout_seconds_(timeout_seconds) {}

  Result<void> EnsureConnected() {
    if (socket_ && socket_->is_open()) return {};
    boost::system::error_code ec;
    tcp::resolver resolver(io_);
    auto endpoints = resolver.resolve(server_.host, server_.port, ec);
    if (ec) return MakeError(ErrorCode::kUnavailable, "cannot resolve " + server_.host + ": " + ec.message());
    socket_.emplace(io_);
    asio::connect(*socket_, endpoints, ec);
    if (ec) {
      socket_.reset();
      return MakeError(ErrorCode::kUnavailable, "cannot connect to " + server_.host + ":" +
                                                    server_.port + ": " + ec.message());
    }
    socket_->set_option(tcp::no_delay(true));
    timeval tv{timeout_seconds_, 0};
    ::setsockopt(socket_->native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(socket_->native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    buffer_.clear();
    return {};
  }

  Result<HttpReply> Read() {
    boost::system::error_code ec;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(1ull << 32);
    bhttp::read(*socket_, buffer_, parser, ec);
    if (ec) {
      Disconnect();
      return MakeError(ErrorCode::kUnavailable, "reading the response failed: " + ec.message());
    }
    auto& message = parser.get();
    HttpReply reply;
    reply.status = static_cast<int>(message.result_int());
    for (const auto& field : message) {
      reply.headers[AsciiLower(field.name_string())] = std::string(field.value());
    }
    reply.body = std::move(message.body());
    if (!message.keep_alive()) Disconnect();
    return reply;
  }

  template <class Message>
  void AddHeaders(Message& message, const std::map<std::string, std::string>& headers) {
    message.set(bhttp::field::host, server_.host + ":" + server_.port);
    message.set(bhttp::field::user_agent, "shoebox/" SHOEBOX_VERSION);
    for (const auto& [name, value] : headers) message.set(name, value);
  }

  Result<HttpReply> Send(const std::string& method, const std::string& target,
                         const std::map<std::string, std::string>& headers,
                         const std::string& body) {
    SHOEBOX_TRY(EnsureConnected());
    bhttp::request<bhttp::string_body> request{bhttp::string_to_verb(method), target, 11};
    if (request.method() == bhttp::verb::unknown) request.method_string(method);
    AddHeaders(request, headers);
    if (!body.empty() && headers.find("Content-Type") == headers.end()) {
      request.set(bhttp::field::content_type, "application/json");
    }
    request.body() = body;
    if (!body.empty() || method == "POST" || method == "PATCH" || method == "PUT") {
      request.prepare_payload();
    }
    boost::system::error_code ec;
    bhttp::write(*socket_, request, ec);
    if (ec) {
      // As in SendStreaming: an answer sent before the body was read may be waiting.
      if (method != "HEAD") {
        auto early = Read();
        if (early) return early;
      }
      Disconnect();
      return MakeError(ErrorCode::kUnavailable, "sending the request failed: " + ec.message());
    }
    if (method == "HEAD") return ReadHead();
    return Read();
  }

  Result<HttpReply> ReadHead() {
    boost::system::error_code ec;
    bhttp::response_parser<bhttp::empty_body> parser;
    parser.skip(true);
    bhttp::read(*socket_, buffer_, parser, ec);
    if (ec) {
      Disconnect();
      return MakeError(ErrorCode::kUnavailable, "reading the response failed: " + ec.message());
    }
    HttpReply reply;
    reply.status = static_cast<int>(parser.get().result_int());
    for (const auto& field : parser.get()) {
      reply.headers[AsciiLower(field.name_string())] = std::string(field.value());
    }
    if (!parser.get().keep_alive()) Disconnect();
    return reply;
  }

  Result<HttpReply> SendStreaming(const std::string& method, const std::string& target,
                                  const std::map<std::string, std::string>& headers,
                                  std::int64_t length, const BodyProducer& producer) {
    SHOEBOX_TRY(EnsureConnected());
    bhttp::request<bhttp::empty_body> request{bhttp::string_to_verb(method), target, 11};
    AddHeaders(request, headers);
    request.content_length(length);
    boost::system::error_code ec;
    bhttp::request_serializer<bhttp::empty_body> serializer{request};
    bhttp::write_header(*socket_, serializer, ec);
    std::vector<char> chunk(1 << 20);
    std::int64_t sent = 0;
    while (!ec && sent < length) {
      std::size_t want = static_cast<std::size_t>(std::min<std::int64_t>(length - sent, chunk.size()));
      auto n = producer(std::span<char>(chunk.data(), want));
      if (!n) {
        Disconnect();
        return n.error();
      }
      if (*n == 0) {
        Disconnect();
        return MakeError(ErrorCode::kInternal, "the body ended early");
      }
      asio::write(*socket_, asio::buffer(chunk.data(), *n), ec);
      sent += static_cast<std::int64_t>(*n);
    }
    if (ec) {
      // The server may have answered early (e.g. 413) and closed; try to read that answer.
      auto early = Read();
      if (early) return early;
      return MakeError(ErrorCode::kUnavailable, "sending the body failed: " + ec.message());
    }
    return Read();
  }

  void Disconnect() {
    if (socket_) {
      boost::system::error_code ignored;
      socket_->shutdown(tcp::socket::shutdown_both, ignored);
      socket_->close(ignored);
      socket_.reset();
    }
    buffer_.clear();
  }

 private:
  ServerAddress server_;
  int timeout_seconds_;
  asio::io_context io_;
  std::optional<tcp::socket> socket_;
  beast::flat_buffer buffer_;
};

HttpClient::HttpClient(ServerAddress server, int timeout_seconds)
    : impl_(std::make_unique<Impl>(std::move(server), timeout_seconds)) {}
HttpClient::~HttpClient() = default;

Result<HttpReply> HttpClient::Send(const std::string& method, const std::string& target,
                                   const std::map<std::string, std::string>& headers,
                                   const std::string& body) {
  return impl_->Send(method, target, headers, body);
}

Result<HttpReply> HttpClient::SendStreaming(const std::string& method, const std::string& target,
                                            const std::map<std::string, std::string>& headers,
                                            std::int64_t length, const BodyProducer& producer) {
  return impl_->SendStreaming(method, target, headers, length, producer);
}

void HttpClient::Disconnect() { impl_->Disconnect(); }

}  // namespace shoebox::client
