// Whole tables of the SQLite store, for `shoebox-server migrate` (ports/library_tables.h).
#pragma once

#include <memory>

#include "adapters/sqlite/sqlite_db.h"
#include "ports/library_tables.h"

namespace shoebox::sqlite {

std::unique_ptr<LibraryTables> NewSqliteLibraryTables(Database& db);

}  // namespace shoebox::sqlite
