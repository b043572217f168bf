#include "tests/support/postgres_server.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <vector>

namespace shoebox::testing {
namespace {

namespace fs = std::filesystem;

// Runs `argv`, as `user` when given (we are root), with output to `log`; returns the child.
pid_t Spawn(const std::vector<std::string>& argv, const passwd* user, const fs::path& log) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  if (user != nullptr && (::setgid(user->pw_gid) != 0 || ::setuid(user->pw_uid) != 0)) _exit(126);
  // Only async-signal-safe calls between fork and exec (the test process has threads).
  int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (out >= 0) {
    ::dup2(out, 1);
    ::dup2(out, 2);
  }
  ::execv(args[0], args.data());
  _exit(127);
}

int Wait(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

std::string PostgresServer::BinDir() {
  for (const char* dir : {"/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin",
                          "/usr/lib/postgresql/17/bin"}) {
    if (fs::exists(fs::path(dir) / "postgres")) return dir;
  }
  return "";
}

PostgresServer::PostgresServer() {
  std::string bin = BinDir();
  if (bin.empty()) throw std::runtime_error("PostgreSQL is not installed (scripts/install-deps)");
  const passwd* user = ::geteuid() == 0 ? ::getpwnam("postgres") : nullptr;
  if (::geteuid() == 0 && user == nullptr) throw std::runtime_error("no postgres user to run as");
  if (user != nullptr) {
    // The cluster lives in our temp folder; the postgres user must own it.
    if (::chown(dir_.path().c_str(), user->pw_uid, user->pw_gid) != 0) {
      throw std::runtime_error("cannot hand the temp folder to the postgres user");
    }
  }
  fs::path data = dir_.path() / "data", log = dir_.path() / "log";
  int initdb = Wait(Spawn({bin + "/initdb", "-D", data.string(), "-U", "shoebox", "--auth=trust",
                           "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"},
                          user, log));
  if (initdb != 0) throw std::runtime_error("initdb failed: " + ReadFile(log));
  port_ = FreePort();
  pid_ = Spawn({bin + "/postgres", "-D", data.string(), "-k", dir_.path().string(), "-h",
                "127.0.0.1", "-p", std::to_string(port_), "-c", "fsync=off", "-c",
                "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=100"},
               user, log);
  for (int i = 0; i < 300; ++i) {
    PGconn* connection = PQconnectdb(Url().c_str());
    bool ready = PQstatus(connection) == CONNECTION_OK;
    PQfinish(connection);
    if (ready) return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("postgres exited: " + ReadFile(log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("postgres did not start: " + ReadFile(log));
}

PostgresServer::~PostgresServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGINT);  // fast shutdown: disconnects clients, stops at once
    Wait(pid_);
  }
}

std::string PostgresServer::Url(const std::string& database) const {
  return "postgresql://shoebox@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PostgresServer::CreateDatabase(const std::string& name) {
  PGconn* connection = PQconnectdb(Url().c_str());
  PGresult* result = PQexec(connection, ("CREATE DATABASE \"" + name + "\"").c_str());
  bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
  std::string error = PQerrorMessage(connection);
  PQclear(result);
  PQfinish(connection);
  if (!ok) throw std::runtime_error("CREATE DATABASE failed: " + error);
  return Url(name);
}

}  // namespace shoebox::testing
