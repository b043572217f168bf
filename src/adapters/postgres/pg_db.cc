#include "adapters/postgres/pg_db.h"

#include <charconv>
#include <cstdio>

namespace shoebox::postgres {

Params& Params::AddDouble(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  values_.emplace_back(std::string(buffer));
  return *this;
}

Params& Params::AddBytes(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text = "\\x";
  text.reserve(2 + bytes.size() * 2);
  for (unsigned char c : bytes) {
    text.push_back(kHex[c >> 4]);
    text.push_back(kHex[c & 15]);
  }
  values_.emplace_back(std::move(text));
  return *this;
}

Params& Params::AddTextArray(const std::vector<std::string>& items) {
  std::string text = "{";
  for (const std::string& item : items) {
    if (text.size() > 1) text += ',';
    text += '"';
    for (char c : item) {
      if (c == '"' || c == '\\') text += '\\';
      text += c;
    }
    text += '"';
  }
  text += '}';
  values_.emplace_back(std::move(text));
  return *this;
}

std::string Rows::Text(int row, int column) const {
  return std::string(PQgetvalue(result_.get(), row, column),
                     PQgetlength(result_.get(), row, column));
}

std::int64_t Rows::Int(int row, int column) const {
  std::int64_t value = 0;
  const char* text = PQgetvalue(result_.get(), row, column);
  std::from_chars(text, text + PQgetlength(result_.get(), row, column), value);
  return value;
}

double Rows::Double(int row, int column) const {
  return std::strtod(PQgetvalue(result_.get(), row, column), nullptr);
}

bool Rows::Bool(int row, int column) const {
  return PQgetvalue(result_.get(), row, column)[0] == 't';
}

bool Rows::IsNull(int row, int column) const {
  return PQgetisnull(result_.get(), row, column) != 0;
}

std::optional<std::int64_t> Rows::OptionalInt(int row, int column) const {
  if (IsNull(row, column)) return std::nullopt;
  return Int(row, column);
}

std::string Rows::Bytes(int row, int column) const {
  std::size_t length = 0;
  unsigned char* raw = PQunescapeBytea(
      reinterpret_cast<const unsigned char*>(PQgetvalue(result_.get(), row, column)), &length);
  if (raw == nullptr) return "";
  std::string bytes(reinterpret_cast<char*>(raw), length);
  PQfreemem(raw);
  return bytes;
}

std::int64_t Rows::Changed() const {
  const char* text = PQcmdTuples(result_.get());
  std::int64_t value = 0;
  std::from_chars(text, text + std::char_traits<char>::length(text), value);
  return value;
}

bool RetryableState(const std::string& sqlstate) {
  return sqlstate == "40001" || sqlstate == "40P01";
}

Error Connection::ErrorOf(PGresult* result, std::string_view what) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  last_state_ = state ? state : "";
  std::string message = std::string(what) + ": " + PQerrorMessage(connection_);
  if (Broken() || last_state_.starts_with("08") || last_state_ == "57P01" ||
      last_state_ == "53300" || RetryableState(last_state_)) {
    return MakeError(ErrorCode::kUnavailable, "database unavailable: " + message);
  }
  if (last_state_ == "23505" || last_state_ == "23503") return MakeError(ErrorCode::kConflict, message);
  if (last_state_ == "53100") return MakeError(ErrorCode::kInsufficientStorage, "database disk full: " + message);
  return MakeError(ErrorCode::kInternal, message);
}

Result<Rows> Connection::Run(const char* sql, const Params& params) {
  last_state_.clear();
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "s" + std::to_string(prepared_.size());
    PGresult* made = PQprepare(connection_, name.c_str(), sql, 0, nullptr);
    bool ok = PQresultStatus(made) == PGRES_COMMAND_OK;
    if (!ok) {
      Error error = ErrorOf(made, "preparing a statement");
      PQclear(made);
      return error;
    }
    PQclear(made);
    it = prepared_.emplace(sql, name).first;
  }
  std::vector<const char*> values;
  values.reserve(params.values().size());
  for (const auto& value : params.values()) values.push_back(value ? value->c_str() : nullptr);
  PGresult* result = PQexecPrepared(connection_, it->second.c_str(), static_cast<int>(values.size()),
                                    values.data(), nullptr, nullptr, 0);
  ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    Error error = ErrorOf(result, "a statement");
    PQclear(result);
    return error;
  }
  return Rows(result);
}

Result<void> Connection::Script(const std::string& sql) {
  last_state_.clear();
  PGresult* result = PQexec(connection_, sql.c_str());
  ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    Error error = ErrorOf(result, "a script");
    PQclear(result);
    return error;
  }
  PQclear(result);
  return {};
}

namespace {

// Connects; the server's notices ("relation ... already exists, skipping") are not errors and
// would only clutter the server's stderr.
PGconn* Connect(const std::string& url) {
  PGconn* raw = PQconnectdb(url.c_str());
  PQsetNoticeProcessor(raw, [](void*, const char*) {}, nullptr);
  return raw;
}

}  // namespace

Result<std::unique_ptr<Database>> Database::Open(const std::string& url, int pool_size) {
  std::unique_ptr<Database> db(new Database());
  db->url_ = url;
  for (int i = 0; i < pool_size; ++i) {
    PGconn* raw = Connect(url);
    auto connection = std::make_unique<Connection>(raw);
    if (connection->Broken()) {
      return MakeError(ErrorCode::kUnavailable,
                       std::string("cannot connect to PostgreSQL: ") + PQerrorMessage(raw));
    }
    db->idle_.push_back(connection.get());
    db->connections_.push_back(std::move(connection));
  }
  return db;
}

Result<std::int64_t> Database::Change(const char* sql, const Params& params) {
  return Write<std::int64_t>([&](Connection& c) -> Result<std::int64_t> {
    SHOEBOX_ASSIGN(Rows rows, c.Run(sql, params));
    return rows.Changed();
  });
}

Result<Rows> Database::Query(const char* sql, const Params& params) {
  return Read<Rows>([&](Connection& c) { return c.Run(sql, params); });
}

Result<Connection*> Database::Acquire() {
  std::unique_lock lock(mutex_);
  available_.wait(lock, [&] { return !idle_.empty(); });
  Connection* connection = idle_.back();
  idle_.pop_back();
  if (connection->Broken()) {
    // The server restarted or the network dropped: connect again in place.
    for (auto& owned : connections_) {
      if (owned.get() != connection) continue;
      PGconn* raw = Connect(url_);
      owned = std::make_unique<Connection>(raw);
      connection = owned.get();
      break;
    }
    if (connection->Broken()) {
      idle_.push_back(connection);
      available_.notify_one();
      return MakeError(ErrorCode::kUnavailable, "cannot reach PostgreSQL");
    }
  }
  return connection;
}

void Database::Release(Connection* connection) {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(connection);
  }
  available_.notify_one();
}

}  // namespace shoebox::postgres
