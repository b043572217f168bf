#include "tests/support/test_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <stdexcept>

#include "core/clock.h"
#include "core/ids.h"
#include "tests/support/postgres_server.h"
#include "tests/support/s3_server.h"

namespace shoebox::testing {
namespace fs = std::filesystem;

TempDir::TempDir() {
  path_ = fs::temp_directory_path() / ("shoebox-test-" + RandomToken(8));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  if (std::getenv("SHOEBOX_TEST_KEEP") != nullptr) {
    std::fprintf(stderr, "kept %s\n", path_.c_str());
    return;
  }
  std::error_code ec;
  fs::remove_all(path_, ec);
}

namespace {
std::string RandomBytes(std::size_t size, unsigned seed) {
  std::string bytes(size, '\0');
  std::mt19937_64 random(seed);
  for (std::size_t i = 0; i + 8 <= size; i += 8) {
    std::uint64_t v = random();
    std::memcpy(bytes.data() + i, &v, 8);
  }
  return bytes;
}
}  // namespace

std::string FakeJpeg(std::size_t size, unsigned seed) {
  static const char kHeader[] = "\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00";
  std::string bytes = RandomBytes(std::max<std::size_t>(size, 32), seed);
  std::memcpy(bytes.data(), kHeader, sizeof kHeader - 1);
  bytes.resize(size);
  return bytes;
}

std::string FakeMp4(std::size_t size, unsigned seed) {
  static const char kHeader[] = "\x00\x00\x00\x18" "ftypmp42\x00\x00\x00\x00mp42isom";
  std::string bytes = RandomBytes(std::max<std::size_t>(size, 32), seed);
  std::memcpy(bytes.data(), kHeader, sizeof kHeader - 1);
  bytes.resize(size);
  return bytes;
}

void WriteFile(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  int port = ntohs(address.sin_port);
  ::close(fd);
  return port;
}

bool SharedBackend() {
  const char* backend = std::getenv("SHOEBOX_TEST_BACKEND");
  return backend != nullptr && std::string_view(backend) == "postgres-s3";
}

PostgresServer& SharedPostgres() {
  static PostgresServer server;
  return server;
}

S3Server& SharedS3() {
  static S3Server server;
  return server;
}

std::map<std::string, std::string> SharedBackendSettings() {
  static int libraries = 0;
  std::string n = std::to_string(++libraries);
  return {{"database.url", SharedPostgres().CreateDatabase("shoebox_" + n)},
          {"storage.s3_endpoint", SharedS3().endpoint()},
          {"storage.s3_bucket", S3Server::kBucket},
          {"storage.s3_access_key", S3Server::kAccessKey},
          {"storage.s3_secret_key", S3Server::kSecretKey},
          {"storage.s3_prefix", "test" + n + "/"}};
}

TestServer::TestServer(const std::map<std::string, std::string>& settings) {
  std::map<std::string, std::string> flags = settings;
  if (SharedBackend()) flags.merge(SharedBackendSettings());
  flags["storage.data_dir"] = data_.path().string();
  flags["server.listen"] = "127.0.0.1:0";
  flags.try_emplace("server.shutdown_grace_seconds", "2");
  flags.try_emplace("server.worker_threads", "16");
  settings_ = flags;
  auto config = LoadServerConfig("", {}, flags);
  if (!config) throw std::runtime_error(config.error().message);
  static SystemClock clock;
  auto runtime = Runtime::Open(*config, clock);
  if (!runtime) throw std::runtime_error(runtime.error().message);
  runtime_ = std::move(*runtime);
  app_ = std::make_unique<ServerApp>(*runtime_);
  auto bound = app_->Start();
  if (!bound) throw std::runtime_error(bound.error().message);
  address_ = *bound;
  thread_ = std::thread([this] { app_->Run(); });
}

TestServer::~TestServer() {
  app_->Stop();
  thread_.join();
}

client::ServerAddress TestServer::address() const {
  return *client::ServerAddress::Parse(url());
}

std::optional<std::string> TestServer::StoredBlob(const std::string& key) {
  auto info = runtime_->blobs().Stat(key);
  if (!info) return std::nullopt;
  auto reader = runtime_->blobs().Read(key, 0, info->size);
  if (!reader) return std::nullopt;
  std::string bytes;
  char buffer[65536];
  while (true) {
    auto n = (*reader)->Read(buffer);
    if (!n) return std::nullopt;
    if (*n == 0) return bytes;
    bytes.append(buffer, *n);
  }
}

std::vector<std::string> TestServer::BlobKeys(const std::string& prefix) {
  std::vector<std::string> keys;
  auto listed = runtime_->blobs().ForEach(
      prefix, [&](const std::string& key, std::int64_t) { keys.push_back(key); });
  if (!listed) throw std::runtime_error(listed.error().message);
  return keys;
}

bool TestServer::StagingEmpty() {
  bool empty = true;
  auto listed = runtime_->blobs().ForEachStaging(
      [&](const std::string&, std::int64_t) { empty = false; });
  if (!listed) throw std::runtime_error(listed.error().message);
  return empty;
}

std::vector<std::string> TestServer::CommandArgs() const {
  std::vector<std::string> args;
  for (const auto& [key, value] : settings_) {
    if (key == "server.listen") continue;
    args.push_back("--set");
    args.push_back(key + "=" + value);
  }
  return args;
}

std::unique_ptr<client::HttpClient> TestServer::Client() const {
  return std::make_unique<client::HttpClient>(address(), 30);
}

std::string TestServer::CreateUserAndLogin(const std::string& email, const std::string& password,
                                           bool admin) {
  NewUser request;
  request.email = email;
  request.password = password;
  request.is_admin = admin;
  auto user = runtime_->users().Create(request);
  if (!user) throw std::runtime_error(user.error().message);
  auto issued = runtime_->auth().Login(email, password, "test", "test");
  if (!issued) throw std::runtime_error(issued.error().message);
  return issued->secret;
}

std::map<std::string, std::string> Bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

std::map<std::string, std::string> Tus(const std::string& token) {
  return {{"Authorization", "Bearer " + token}, {"Tus-Resumable", "1.0.0"}};
}

// ------------------------------------------------------------------ child process server.
ServerProcess::ServerProcess(const fs::path& data_dir, const std::vector<std::string>& extra_args,
                             const std::string& listen, const std::string& log_file) {
  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    int devnull = ::open("/dev/null", O_WRONLY);
    if (!log_file.empty()) {
      int log = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(log, STDERR_FILENO);
    } else if (std::getenv("SHOEBOX_TEST_SERVER_LOGS") == nullptr) {
      ::dup2(devnull, STDERR_FILENO);
    }
    std::vector<std::string> args = {SHOEBOX_SERVER_BIN, "--data", data_dir.string(), "--listen",
                                     listen};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  // The first stdout line says where it listens.
  std::string line;
  char c;
  while (::read(out[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  ::close(out[0]);
  auto at = line.find("http://");
  if (at == std::string::npos) {
    Stop(SIGKILL);
    throw std::runtime_error("server did not start: " + line);
  }
  address_ = line.substr(at + 7, line.find(' ', at) - at - 7);
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Stop(SIGKILL);
}

client::ServerAddress ServerProcess::address() const {
  return *client::ServerAddress::Parse("http://" + address_);
}

int ServerProcess::Stop(int signal) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, signal);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

std::pair<int, std::string> RunServerCommand(const std::vector<std::string>& args) {
  std::string command = SHOEBOX_SERVER_BIN;
  for (const std::string& arg : args) command += " '" + arg + "'";
  command += " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  std::string output;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

}  // namespace shoebox::testing

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

namespace shoebox::testing {

RawConnection::RawConnection(const client::ServerAddress& address) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(std::stoi(address.port)));
  ::inet_pton(AF_INET, address.host.c_str(), &addr.sin_addr);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("connect failed");
  }
}

RawConnection::~RawConnection() { Close(); }

void RawConnection::Send(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

std::string RawConnection::ReadAll(int timeout_ms) {
  std::string out;
  char buffer[65536];
  while (true) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) break;
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

void RawConnection::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace shoebox::testing
