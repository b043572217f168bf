// A thin RAII layer over the sqlite3 C API: a pool of connections to one database file in WAL
// mode with synchronous=FULL, cached prepared statements, and transactions as functions.
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace shoebox::sqlite {

Error ErrorFromSqlite(int rc, sqlite3* db, std::string_view what);

// A prepared statement, reset on destruction so its connection can reuse it.
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(const Statement&) = delete;
  Statement(Statement&& other) noexcept
      : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)),
        constraint_failed_(other.constraint_failed_) {}
  ~Statement();

  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, std::int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<std::int64_t>(value)); }
  Statement& Bind(int index, bool value) { return Bind(index, static_cast<std::int64_t>(value)); }
  // Without this, a string literal would silently bind as the bool `true`.
  Statement& Bind(int index, const char* text) { return Bind(index, std::string_view(text)); }
  Statement& Bind(int index, const std::optional<std::int64_t>& value);
  Statement& BindBlob(int index, std::string_view bytes);
  Statement& BindDouble(int index, double value);
  Statement& BindNull(int index);

  // Advances to the next row: true while there is one.
  Result<bool> Step();
  // Runs a statement that returns no rows.
  Result<void> Run();

  std::string Text(int column) const;
  std::int64_t Int(int column) const;
  bool IsNull(int column) const;
  std::optional<std::int64_t> OptionalInt(int column) const;
  std::string Blob(int column) const;
  int Changes() const { return sqlite3_changes(db_); }
  bool ConstraintFailed() const { return constraint_failed_; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool constraint_failed_ = false;
};

// Steps `statement` to its end, turning each row into a T with `read`.
template <class T, class Read>
Result<std::vector<T>> CollectRows(Statement& statement, Read read) {
  std::vector<T> rows;
  while (true) {
    SHOEBOX_ASSIGN(bool more, statement.Step());
    if (!more) return rows;
    rows.push_back(read(statement));
  }
}

class Connection {
 public:
  explicit Connection(sqlite3* db) : db_(db) {}
  Connection(const Connection&) = delete;
  ~Connection();
  // `sql` must be a string with static storage (the cache keys on its address).
  Result<Statement> Prepare(const char* sql);
  Result<void> Exec(const std::string& sql);
  sqlite3* raw() { return db_; }

 private:
  sqlite3* db_;
  std::map<const char*, sqlite3_stmt*> cache_;
};

class Database {
 public:
  enum class Durability {
    kFull,    // every commit survives power loss (the server: acknowledged uploads)
    kNormal,  // commits survive a crash of the process; the last ones may not survive power loss
  };
  // Opens (creating) the database at `path` with `pool_size` connections.
  static Result<std::unique_ptr<Database>> Open(const std::string& path, int pool_size,
                                                Durability durability = Durability::kFull);
  ~Database();

  // Runs `work` on a pooled connection in a read transaction (a consistent snapshot).
  template <class T>
  Result<T> Read(const std::function<Result<T>(Connection&)>& work) {
    return Transaction<T>("BEGIN", work);
  }
  // Runs `work` in a write transaction (BEGIN IMMEDIATE); commits if it succeeds, else rolls
  // back. Busy waiting is bounded by the busy timeout; then kUnavailable.
  template <class T>
  Result<T> Write(const std::function<Result<T>(Connection&)>& work) {
    // SQLite has one writer at a time and makes the others poll with sleeps of milliseconds;
    // queueing this process's writers on a mutex hands the lock over at once instead. (The
    // busy timeout still covers other processes, such as `admin create-user`.)
    std::lock_guard writer(write_mutex_);
    return Transaction<T>("BEGIN IMMEDIATE", work);
  }

 private:
  Database() = default;
  template <class T>
  Result<T> Transaction(const char* begin, const std::function<Result<T>(Connection&)>& work);
  Connection* Acquire();
  void Release(Connection* connection);

  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<Connection*> idle_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::mutex write_mutex_;
};

template <class T>
Result<T> Database::Transaction(const char* begin,
                                const std::function<Result<T>(Connection&)>& work) {
  Connection* connection = Acquire();
  struct Releaser {
    Database* db;
    Connection* c;
    ~Releaser() { db->Release(c); }
  } releaser{this, connection};
  int rc = sqlite3_exec(connection->raw(), begin, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return ErrorFromSqlite(rc, connection->raw(), begin);
  Result<T> result = work(*connection);
  if (!result) {
    sqlite3_exec(connection->raw(), "ROLLBACK", nullptr, nullptr, nullptr);
    return result;
  }
  rc = sqlite3_exec(connection->raw(), "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    Error error = ErrorFromSqlite(rc, connection->raw(), "COMMIT");
    sqlite3_exec(connection->raw(), "ROLLBACK", nullptr, nullptr, nullptr);
    return error;
  }
  return result;
}

}  // namespace shoebox::sqlite
