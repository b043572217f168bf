#include "adapters/sqlite/sqlite_db.h"

namespace shoebox::sqlite {

Error ErrorFromSqlite(int rc, sqlite3* db, std::string_view what) {
  std::string message = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return MakeError(ErrorCode::kUnavailable, "database busy: " + message);
    case SQLITE_FULL:
      return MakeError(ErrorCode::kInsufficientStorage, "database disk full: " + message);
    case SQLITE_IOERR:
      if (rc == SQLITE_IOERR_WRITE || rc == SQLITE_IOERR_FSYNC) {
        return MakeError(ErrorCode::kInsufficientStorage, "database write failed: " + message);
      }
      return MakeError(ErrorCode::kInternal, message);
    default:
      return MakeError(ErrorCode::kInternal, message);
  }
}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Statement& Statement::Bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::Bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}
Statement& Statement::Bind(int index, const std::optional<std::int64_t>& value) {
  return value ? Bind(index, *value) : BindNull(index);
}
Statement& Statement::BindDouble(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
  return *this;
}

Statement& Statement::BindBlob(int index, std::string_view bytes) {
  sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Result<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  if ((rc & 0xff) == SQLITE_CONSTRAINT) {
    constraint_failed_ = true;
    return MakeError(ErrorCode::kConflict, sqlite3_errmsg(db_));
  }
  return ErrorFromSqlite(rc, db_, sqlite3_sql(stmt_));
}

Result<void> Statement::Run() {
  SHOEBOX_ASSIGN(bool row, Step());
  (void)row;
  return {};
}

std::string Statement::Text(int column) const {
  auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  return text ? std::string(text, sqlite3_column_bytes(stmt_, column)) : std::string();
}
std::int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }
bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}
std::optional<std::int64_t> Statement::OptionalInt(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Int(column);
}
std::string Statement::Blob(int column) const {
  auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
  return bytes ? std::string(bytes, sqlite3_column_bytes(stmt_, column)) : std::string();
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Result<Statement> Connection::Prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return ErrorFromSqlite(rc, db_, sql);
    it = cache_.emplace(sql, stmt).first;
  }
  return Result<Statement>(boost::system::in_place_value, db_, it->second);
}

Result<void> Connection::Exec(const std::string& sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string text = message ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    Error error = ErrorFromSqlite(rc, nullptr, sql.substr(0, 60));
    error.message += ": " + text;
    return error;
  }
  return {};
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, int pool_size,
                                                 Durability durability) {
  std::unique_ptr<Database> database(new Database());
  for (int i = 0; i < pool_size; ++i) {
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &raw,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    auto connection = std::make_unique<Connection>(raw);
    if (rc != SQLITE_OK) return ErrorFromSqlite(rc, raw, "open " + path);
    sqlite3_busy_timeout(raw, 10000);
    // WAL lets readers run beside the one writer; synchronous=FULL syncs the WAL on every
    // commit, so an acknowledged upload survives power loss, not only a crash.
    SHOEBOX_TRY(connection->Exec(durability == Durability::kFull
                                     ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                                     : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"));
    database->idle_.push_back(connection.get());
    database->connections_.push_back(std::move(connection));
  }
  return database;
}

Database::~Database() = default;

Connection* Database::Acquire() {
  std::unique_lock lock(mutex_);
  available_.wait(lock, [&] { return !idle_.empty(); });
  Connection* connection = idle_.back();
  idle_.pop_back();
  return connection;
}

void Database::Release(Connection* connection) {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(connection);
  }
  available_.notify_one();
}

}  // namespace shoebox::sqlite
