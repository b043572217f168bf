#include "tests/support/s3_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace shoebox::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kServerDir = fs::path(SHOEBOX_SOURCE_DIR) / "tests" / "s3";

std::string FindInPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    fs::path candidate = fs::path(dir) / program;
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return "";
}

}  // namespace

S3Server::S3Server() {
  std::string node = FindInPath("node");
  if (node.empty()) throw std::runtime_error("node is not installed (scripts/install-deps)");
  if (!fs::exists(kServerDir / "node_modules" / "s3rver")) {
    throw std::runtime_error("s3rver is not installed: run scripts/build (npm ci in tests/s3)");
  }
  fs::create_directories(data_dir());
  fs::path log = dir_.path() / "log";

  int out[2], in[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(in, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  std::vector<std::string> argv = {
      node, (kServerDir / "serve.mjs").string(), "--dir", data_dir().string(), "--bucket", kBucket};
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    // Only async-signal-safe calls between fork and exec (the test process has threads).
    int err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    if (err >= 0) ::dup2(err, 2);
    ::chdir(kServerDir.c_str());
    ::execv(args[0], args.data());
    _exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  stdin_fd_ = in[1];
  if (pid_ < 0) {
    ::close(out[0]);
    throw std::runtime_error("fork failed");
  }

  // Wait for "ready s3=PORT proxy=PORT".
  std::string output;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (output.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{out[0], POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    char buffer[256];
    ssize_t n = ::read(out[0], buffer, sizeof buffer);
    if (n <= 0) break;  // node exited
    output.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  if (std::sscanf(output.c_str(), "ready s3=%d proxy=%d", &s3_port_, &proxy_port_) != 2) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    throw std::runtime_error("s3rver did not start: " + output + ReadFile(log));
  }
}

S3Server::~S3Server() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
}

std::string S3Server::Control(const std::string& method, const std::string& path,
                              const std::string& body) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(proxy_port_));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot reach the fault proxy");
  }
  std::string request =
      method + " " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n" +
      "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n" + body;
  for (std::size_t sent = 0; sent < request.size();) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  std::string response;
  char buffer[65536];
  while (true) {
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    response.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (!response.starts_with("HTTP/1.1 200 ") && !response.starts_with("HTTP/1.0 200 ")) {
    throw std::runtime_error("fault proxy " + method + " " + path + ": " + response);
  }
  std::size_t start = response.find("\r\n\r\n");
  return start == std::string::npos ? "" : response.substr(start + 4);
}

void S3Server::SetFaults(const std::string& rules_json) { Control("PUT", "/__faults", rules_json); }

std::string S3Server::Requests() { return Control("GET", "/__requests"); }

void S3Server::ClearRequests() { Control("DELETE", "/__requests"); }

int S3Server::OpenMultipartUploads() const {
  fs::path uploads = data_dir() / kBucket / "._S3rver_uploads";
  std::error_code ec;
  int count = 0;
  for (auto it = fs::directory_iterator(uploads, ec); !ec && it != fs::directory_iterator(); ++it) {
    ++count;
  }
  return count;
}

}  // namespace shoebox::testing
