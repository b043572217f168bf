// A thin RAII layer over libpq for the PostgreSQL MetadataStore: a pool of connections to one
// database, statements prepared once per connection, typed parameters sent as text, and
// transactions as functions (retried on serialization failures and deadlocks, which PostgreSQL
// asks the client to retry). Mirrors sqlite_db.h so the two adapters read alike.
#pragma once

#include <libpq-fe.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace shoebox::postgres {

// Positional parameters ($1, $2, …), as text or NULL.
class Params {
 public:
  Params& Add(std::string_view text) {
    values_.emplace_back(std::string(text));
    return *this;
  }
  Params& Add(const char* text) { return Add(std::string_view(text)); }
  Params& Add(std::int64_t value) {
    values_.emplace_back(std::to_string(value));
    return *this;
  }
  Params& Add(int value) { return Add(static_cast<std::int64_t>(value)); }
  Params& Add(bool value) {
    values_.emplace_back(value ? "true" : "false");
    return *this;
  }
  Params& Add(const std::optional<std::int64_t>& value) {
    return value ? Add(*value) : AddNull();
  }
  Params& AddDouble(double value);
  // Bytes of any value (BYTEA), sent as hex.
  Params& AddBytes(std::string_view bytes);
  // A text[] array literal, for "= ANY($n::text[])".
  Params& AddTextArray(const std::vector<std::string>& items);
  Params& AddNull() {
    values_.emplace_back(std::nullopt);
    return *this;
  }
  const std::vector<std::optional<std::string>>& values() const { return values_; }

 private:
  std::vector<std::optional<std::string>> values_;
};

// The rows of one statement. Columns are read as text and converted.
class Rows {
 public:
  explicit Rows(PGresult* result) : result_(result, &PQclear) {}
  int size() const { return PQntuples(result_.get()); }
  bool empty() const { return size() == 0; }
  std::string Text(int row, int column) const;
  std::int64_t Int(int row, int column) const;
  double Double(int row, int column) const;
  bool Bool(int row, int column) const;
  bool IsNull(int row, int column) const;
  std::optional<std::int64_t> OptionalInt(int row, int column) const;
  std::string Bytes(int row, int column) const;  // a BYTEA column
  // Rows a statement without RETURNING changed.
  std::int64_t Changed() const;

 private:
  std::shared_ptr<PGresult> result_;
};

class Connection {
 public:
  explicit Connection(PGconn* connection) : connection_(connection) {}
  Connection(const Connection&) = delete;
  ~Connection() { PQfinish(connection_); }

  // Runs `sql` (a string with static storage: it is prepared once per connection, keyed on its
  // address). kConflict for a unique or foreign-key violation; kUnavailable when the server is
  // gone, too busy, or asks for a retry (serialization failure, deadlock).
  Result<Rows> Run(const char* sql, const Params& params = {});
  // Runs a script of statements without parameters (migrations).
  Result<void> Script(const std::string& sql);
  bool Broken() const { return PQstatus(connection_) != CONNECTION_OK; }
  // The SQLSTATE of the last failure ("40001", "23505"…), for the retry decision.
  const std::string& last_state() const { return last_state_; }

 private:
  Error ErrorOf(PGresult* result, std::string_view what);

  PGconn* connection_;
  std::map<const char*, std::string> prepared_;  // sql address -> statement name
  std::string last_state_;
};

class Database {
 public:
  // Connects `pool_size` times to `url` (postgresql://user@host:port/database?…).
  static Result<std::unique_ptr<Database>> Open(const std::string& url, int pool_size);

  // A transaction that sees one snapshot (REPEATABLE READ, READ ONLY).
  template <class T>
  Result<T> Read(const std::function<Result<T>(Connection&)>& work) {
    return Transaction<T>("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", work);
  }
  // A read-write transaction (READ COMMITTED; statements that must not race lock their rows).
  // Retried from the start, a few times, when PostgreSQL reports a serialization failure or a
  // deadlock; then kUnavailable.
  template <class T>
  Result<T> Write(const std::function<Result<T>(Connection&)>& work) {
    return Transaction<T>("BEGIN", work);
  }
  // One statement as a transaction of its own: the rows it changed (Write), or the rows it
  // returns (Read).
  Result<std::int64_t> Change(const char* sql, const Params& params = {});
  Result<Rows> Query(const char* sql, const Params& params = {});

 private:
  Database() = default;
  template <class T>
  Result<T> Transaction(const char* begin, const std::function<Result<T>(Connection&)>& work);
  Result<Connection*> Acquire();
  void Release(Connection* connection);

  std::string url_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<Connection*> idle_;
  std::mutex mutex_;
  std::condition_variable available_;
};

// Whether a failed transaction may simply be run again.
bool RetryableState(const std::string& sqlstate);

template <class T>
Result<T> Database::Transaction(const char* begin,
                                const std::function<Result<T>(Connection&)>& work) {
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    SHOEBOX_ASSIGN(Connection * connection, Acquire());
    struct Releaser {
      Database* db;
      Connection* c;
      ~Releaser() { db->Release(c); }
    } releaser{this, connection};
    auto finish = [&](const char* sql) { return connection->Script(sql); };
    if (auto begun = connection->Script(begin); !begun) return begun.error();
    Result<T> result = work(*connection);
    if (result) {
      auto committed = finish("COMMIT");
      if (committed) return result;
      result = committed.error();
    } else {
      (void)finish("ROLLBACK");
    }
    if (attempt < kAttempts && RetryableState(connection->last_state())) continue;
    return result;
  }
}

}  // namespace shoebox::postgres
