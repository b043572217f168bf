// Whole tables of the PostgreSQL store, for `shoebox-server migrate` (ports/library_tables.h).
// Booleans leave as "0"/"1" (SQLite's form) and arrive as either; JSONB and BIGINT as text.
#include "adapters/postgres/pg_migrations.h"
#include "adapters/postgres/pg_repositories.h"
#include "adapters/sql_rules.h"
#include "core/intern.h"

namespace shoebox::postgres {
namespace {

constexpr std::size_t kPage = 1000;

using sql::IsSqlName;

std::string Placeholders(std::size_t count) {
  std::string out;
  for (std::size_t i = 1; i <= count; ++i) out += (i > 1 ? ", $" : "$") + std::to_string(i);
  return out;
}

Params RowParams(const TableRow& row) {
  Params p;
  for (const auto& value : row) {
    if (value) {
      p.Add(std::string_view(*value));
    } else {
      p.AddNull();
    }
  }
  return p;
}

class PgLibraryTables final : public LibraryTables {
 public:
  explicit PgLibraryTables(Database& db) : db_(db) {}

  Result<int> SchemaVersion() override { return postgres::SchemaVersion(db_); }

  Result<std::int64_t> CountRows(const std::string& table) override {
    if (!IsSqlName(table)) return MakeError(ErrorCode::kBadRequest, "bad table name " + table);
    const char* sql = Intern("SELECT COUNT(*) FROM " + table);
    return db_.Read<std::int64_t>([&](Connection& c) -> Result<std::int64_t> {
      SHOEBOX_ASSIGN(Rows rows, c.Run(sql));
      return rows.Int(0, 0);
    });
  }

  Result<void> ForEachRow(const std::string& table, const std::vector<std::string>& columns,
                          std::size_t key,
                          const std::function<Result<void>(const TableRow&)>& visit) override {
    if (!IsSqlName(table)) return MakeError(ErrorCode::kBadRequest, "bad table name " + table);
    static constexpr char kBooleans[] =
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = $1 AND data_type = 'boolean'";
    SHOEBOX_ASSIGN(Rows booleans, db_.Query(kBooleans, Params().Add(table)));
    auto is_boolean = [&](const std::string& column) {
      for (int i = 0; i < booleans.size(); ++i) {
        if (booleans.Text(i, 0) == column) return true;
      }
      return false;
    };
    std::string list, keys;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (!IsSqlName(columns[i])) return MakeError(ErrorCode::kBadRequest, "bad column " + columns[i]);
      if (i > 0) list += ", ";
      list += is_boolean(columns[i]) ? "CASE WHEN " + columns[i] + " THEN '1' ELSE '0' END"
                                     : columns[i] + "::text";
      if (i < key) keys += (i > 0 ? ", " : "") + columns[i];
    }
    std::string base = "SELECT " + list + " FROM " + table;
    std::string order = " ORDER BY " + keys + " LIMIT " + std::to_string(kPage);
    const char* first = Intern(base + order);
    const char* next = Intern(base + " WHERE (" + keys + ") > (" + Placeholders(key) + ")" + order);
    std::optional<TableRow> last;
    while (true) {
      SHOEBOX_ASSIGN(Rows page, last ? db_.Query(next, RowParams(TableRow(last->begin(),
                                                                            last->begin() + key)))
                                     : db_.Query(first));
      TableRow row;
      for (int r = 0; r < page.size(); ++r) {
        row.clear();
        for (std::size_t i = 0; i < columns.size(); ++i) {
          int column = static_cast<int>(i);
          row.push_back(page.IsNull(r, column) ? std::nullopt : std::optional(page.Text(r, column)));
        }
        SHOEBOX_TRY(visit(row));
      }
      if (static_cast<std::size_t>(page.size()) < kPage) return {};
      last = row;
    }
  }

  Result<void> InsertRows(const std::string& table, const std::vector<std::string>& columns,
                          const std::vector<TableRow>& rows) override {
    if (!IsSqlName(table)) return MakeError(ErrorCode::kBadRequest, "bad table name " + table);
    std::string list;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (!IsSqlName(columns[i])) return MakeError(ErrorCode::kBadRequest, "bad column " + columns[i]);
      list += (i > 0 ? ", " : "") + columns[i];
    }
    const char* sql = Intern("INSERT INTO " + table + " (" + list + ") VALUES (" +
                             Placeholders(columns.size()) + ") ON CONFLICT DO NOTHING");
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      for (const TableRow& row : rows) SHOEBOX_TRY(c.Run(sql, RowParams(row)));
      return {};
    });
  }

  Result<void> ReplaceChangeFeed(const std::vector<TableRow>& rows) override {
    static constexpr char kClear[] = "DELETE FROM asset_changes";
    static constexpr char kInsert[] =
        "INSERT INTO asset_changes (seq, asset_id, owner_id) OVERRIDING SYSTEM VALUE "
        "VALUES ($1, $2, $3)";
    static constexpr char kContinue[] =
        "SELECT setval(pg_get_serial_sequence('asset_changes', 'seq'), "
        "GREATEST((SELECT MAX(seq) FROM asset_changes), 1))";
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_TRY(c.Run(kClear));
      for (const TableRow& row : rows) SHOEBOX_TRY(c.Run(kInsert, RowParams(row)));
      SHOEBOX_TRY(c.Run(kContinue));
      return {};
    });
  }

 private:
  Database& db_;
};

}  // namespace

std::unique_ptr<LibraryTables> NewPgLibraryTables(Database& db) {
  return std::make_unique<PgLibraryTables>(db);
}

}  // namespace shoebox::postgres
