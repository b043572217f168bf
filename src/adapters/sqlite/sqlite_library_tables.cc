#include "adapters/sqlite/sqlite_library_tables.h"

#include "adapters/sql_rules.h"
#include "core/intern.h"

namespace shoebox::sqlite {
namespace {

constexpr std::size_t kPage = 1000;

// Table and column names come from the migration's own list; anything else is refused.
using sql::IsSqlName;

Result<std::string> Join(const std::vector<std::string>& names, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    if (!IsSqlName(names[i])) return MakeError(ErrorCode::kBadRequest, "bad column name " + names[i]);
    if (i > 0) out += ", ";
    out += names[i];
  }
  return out;
}

std::string Placeholders(std::size_t count) {
  std::string out;
  for (std::size_t i = 1; i <= count; ++i) out += (i > 1 ? ", ?" : "?") + std::to_string(i);
  return out;
}

void BindRow(Statement& s, const TableRow& row) {
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (row[i]) {
      s.Bind(static_cast<int>(i + 1), std::string_view(*row[i]));
    } else {
      s.BindNull(static_cast<int>(i + 1));
    }
  }
}

class SqliteLibraryTables final : public LibraryTables {
 public:
  explicit SqliteLibraryTables(Database& db) : db_(db) {}

  Result<int> SchemaVersion() override {
    return db_.Read<int>([](Connection& c) -> Result<int> {
      static constexpr char kVersion[] = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
      SHOEBOX_ASSIGN(auto s, c.Prepare(kVersion));
      SHOEBOX_TRY(s.Step());
      return static_cast<int>(s.Int(0));
    });
  }

  Result<std::int64_t> CountRows(const std::string& table) override {
    if (!IsSqlName(table)) return MakeError(ErrorCode::kBadRequest, "bad table name " + table);
    const char* sql = Intern("SELECT COUNT(*) FROM " + table);
    return db_.Read<std::int64_t>([&](Connection& c) -> Result<std::int64_t> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(sql));
      SHOEBOX_TRY(s.Step());
      return s.Int(0);
    });
  }

  Result<void> ForEachRow(const std::string& table, const std::vector<std::string>& columns,
                          std::size_t key,
                          const std::function<Result<void>(const TableRow&)>& visit) override {
    if (!IsSqlName(table)) return MakeError(ErrorCode::kBadRequest, "bad table name " + table);
    SHOEBOX_ASSIGN(std::string list, Join(columns, columns.size()));
    SHOEBOX_ASSIGN(std::string keys, Join(columns, key));
    std::string base = "SELECT " + list + " FROM " + table;
    std::string order = " ORDER BY " + keys + " LIMIT " + std::to_string(kPage);
    const char* first = Intern(base + order);
    const char* next = Intern(base + " WHERE (" + keys + ") > (" + Placeholders(key) + ")" + order);
    std::optional<TableRow> last;
    while (true) {
      SHOEBOX_ASSIGN(std::vector<TableRow> page,
                     db_.Read<std::vector<TableRow>>([&](Connection& c) -> Result<std::vector<TableRow>> {
                       SHOEBOX_ASSIGN(auto s, c.Prepare(last ? next : first));
                       if (last) BindRow(s, TableRow(last->begin(), last->begin() + key));
                       std::vector<TableRow> rows;
                       while (true) {
                         SHOEBOX_ASSIGN(bool row, s.Step());
                         if (!row) return rows;
                         TableRow values;
                         for (std::size_t i = 0; i < columns.size(); ++i) {
                           int column = static_cast<int>(i);
                           values.push_back(s.IsNull(column) ? std::nullopt
                                                             : std::optional(s.Text(column)));
                         }
                         rows.push_back(std::move(values));
                       }
                     }));
      for (const TableRow& row : page) SHOEBOX_TRY(visit(row));
      if (page.size() < kPage) return {};
      last = page.back();
    }
  }

  Result<void> InsertRows(const std::string& table, const std::vector<std::string>& columns,
                          const std::vector<TableRow>& rows) override {
    if (!IsSqlName(table)) return MakeError(ErrorCode::kBadRequest, "bad table name " + table);
    SHOEBOX_ASSIGN(std::string list, Join(columns, columns.size()));
    const char* sql = Intern("INSERT OR IGNORE INTO " + table + " (" + list + ") VALUES (" +
                             Placeholders(columns.size()) + ")");
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      for (const TableRow& row : rows) {
        SHOEBOX_ASSIGN(auto s, c.Prepare(sql));
        BindRow(s, row);
        SHOEBOX_TRY(s.Run());
      }
      return {};
    });
  }

  Result<void> ReplaceChangeFeed(const std::vector<TableRow>& rows) override {
    static constexpr char kClear[] = "DELETE FROM asset_changes";
    static constexpr char kInsert[] =
        "INSERT INTO asset_changes (seq, asset_id, owner_id) VALUES (?1, ?2, ?3)";
    // AUTOINCREMENT goes on from the largest number inserted.
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(auto clear, c.Prepare(kClear));
      SHOEBOX_TRY(clear.Run());
      for (const TableRow& row : rows) {
        SHOEBOX_ASSIGN(auto s, c.Prepare(kInsert));
        BindRow(s, row);
        SHOEBOX_TRY(s.Run());
      }
      return {};
    });
  }

 private:
  Database& db_;
};

}  // namespace

std::unique_ptr<LibraryTables> NewSqliteLibraryTables(Database& db) {
  return std::make_unique<SqliteLibraryTables>(db);
}

}  // namespace shoebox::sqlite
