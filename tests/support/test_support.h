// Test helpers: temporary folders, a real server on 127.0.0.1 (in-process or as a child
// process), and small helpers to make media-looking files.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "app/runtime.h"
#include "client/http_client.h"
#include "client/tus_uploader.h"

namespace shoebox::testing {

// A fresh folder under /tmp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// `size` bytes that libmagic sniffs as image/jpeg (JFIF header + pseudo-random bytes).
std::string FakeJpeg(std::size_t size, unsigned seed = 1);
// `size` bytes that sniff as video/mp4 (an ftyp box + pseudo-random bytes).
std::string FakeMp4(std::size_t size, unsigned seed = 1);
void WriteFile(const std::filesystem::path& path, const std::string& bytes);
// A TCP port of 127.0.0.1 free at the time of the call.
int FreePort();
std::string ReadFile(const std::filesystem::path& path);

class PostgresServer;
class S3Server;
// One private PostgreSQL and one S3 server per test process, started when first asked for.
PostgresServer& SharedPostgres();
S3Server& SharedS3();
// The settings of a fresh library on them: a new database and a new key prefix in the bucket.
std::map<std::string, std::string> SharedBackendSettings();

// Whether this test run uses PostgreSQL + S3 (SHOEBOX_TEST_BACKEND=postgres-s3) instead of the
// embedded SQLite + data folder: the same service-level tests run on both.
bool SharedBackend();

// A server running in this process on a free port, with its own data folder (and, under
// SharedBackend(), its own database and S3 key prefix).
class TestServer {
 public:
  // `settings` override configuration keys ("limits.photo_max_bytes" -> "1000").
  explicit TestServer(const std::map<std::string, std::string>& settings = {});
  ~TestServer();

  std::string url() const { return "http://" + address_; }
  client::ServerAddress address() const;
  Runtime& runtime() { return *runtime_; }
  const std::filesystem::path& data_dir() const { return data_.path(); }

  // Creates a user and returns a session token for it.
  std::string CreateUserAndLogin(const std::string& email, const std::string& password = "password123",
                                 bool admin = false);
  std::unique_ptr<client::HttpClient> Client() const;

  // What the server stores, read through its BlobStore (so on disk or in S3 alike).
  std::optional<std::string> StoredBlob(const std::string& key);
  std::vector<std::string> BlobKeys(const std::string& prefix = "");
  bool StagingEmpty();
  // Arguments that point a `shoebox-server` command at this server's storage and database.
  std::vector<std::string> CommandArgs() const;

 private:
  TempDir data_;
  std::map<std::string, std::string> settings_;
  std::unique_ptr<Runtime> runtime_;
  std::unique_ptr<ServerApp> app_;
  std::thread thread_;
  std::string address_;
};

// The shoebox-server binary started as a child process (for crash and signal tests).
class ServerProcess {
 public:
  // `listen`: a fixed address lets a test restart the server where its clients expect it.
  // `log_file`: where its stderr (the JSON log) goes; empty: nowhere (SHOEBOX_TEST_SERVER_LOGS
  // set: the test's stderr).
  ServerProcess(const std::filesystem::path& data_dir, const std::vector<std::string>& extra_args = {},
                const std::string& listen = "127.0.0.1:0", const std::string& log_file = "");
  ~ServerProcess();
  client::ServerAddress address() const;
  pid_t pid() const { return pid_; }
  // Sends `signal` and waits for the exit; returns the wait status.
  int Stop(int signal);

 private:
  pid_t pid_ = -1;
  std::string address_;
};

// Runs `shoebox-server` with `args` to completion; returns {exit code, stdout}.
std::pair<int, std::string> RunServerCommand(const std::vector<std::string>& args);

std::map<std::string, std::string> Bearer(const std::string& token);
std::map<std::string, std::string> Tus(const std::string& token);

}  // namespace shoebox::testing

namespace shoebox::testing {
// A raw TCP connection for sending malformed or cut-off requests.
class RawConnection {
 public:
  explicit RawConnection(const client::ServerAddress& address);
  ~RawConnection();
  void Send(const std::string& bytes);
  // Reads until the peer closes or `timeout_ms` passes without data.
  std::string ReadAll(int timeout_ms = 3000);
  void Close();

 private:
  int fd_ = -1;
};
}  // namespace shoebox::testing
