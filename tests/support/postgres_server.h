// A private PostgreSQL server for tests: Debian's postgresql-15 binaries, a fresh cluster in a
// temp folder, listening on a free port of 127.0.0.1, stopped and removed on destruction. When
// the tests run as root (CI containers) the server runs as the `postgres` user, which PostgreSQL
// requires. Durability is off (fsync, synchronous_commit): tests need speed, not crash safety.
#pragma once

#include <sys/types.h>

#include <string>

#include "tests/support/test_support.h"

namespace shoebox::testing {

class PostgresServer {
 public:
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;

  // postgresql://shoebox@127.0.0.1:PORT/DATABASE; CreateDatabase makes a fresh one.
  std::string Url(const std::string& database = "postgres") const;
  std::string CreateDatabase(const std::string& name);
  int port() const { return port_; }
  pid_t pid() const { return pid_; }

  // Where Debian installs the server binaries; empty when PostgreSQL is not installed.
  static std::string BinDir();

 private:
  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace shoebox::testing
