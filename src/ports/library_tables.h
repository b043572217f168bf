// Whole tables of the metadata store, for moving a library between databases (`shoebox-server
// migrate`). Both adapters keep the same tables at the same schema version, so a row read from
// one inserts into the other. Values travel as text or NULL, in one form whatever the database
// stores: booleans "0"/"1", integers in decimal, JSON as its text.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace shoebox {

using TableRow = std::vector<std::optional<std::string>>;

class LibraryTables {
 public:
  virtual ~LibraryTables() = default;
  virtual Result<int> SchemaVersion() = 0;
  virtual Result<std::int64_t> CountRows(const std::string& table) = 0;
  // Calls `visit` with `columns` of every row of `table`, in the order of `key` (leading columns
  // of `columns` that identify a row), a page at a time.
  virtual Result<void> ForEachRow(const std::string& table, const std::vector<std::string>& columns,
                                  std::size_t key,
                                  const std::function<Result<void>(const TableRow&)>& visit) = 0;
  // Inserts `rows`; a row whose key or unique columns exist already is left as it is, so an
  // interrupted copy can simply run again.
  virtual Result<void> InsertRows(const std::string& table, const std::vector<std::string>& columns,
                                  const std::vector<TableRow>& rows) = 0;
  // Replaces the change feed with `rows` (seq, asset_id, owner_id), keeping their numbers, and
  // makes new changes number after them: devices keep syncing from where they were.
  virtual Result<void> ReplaceChangeFeed(const std::vector<TableRow>& rows) = 0;
};

}  // namespace shoebox
