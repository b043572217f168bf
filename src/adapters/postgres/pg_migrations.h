// The PostgreSQL schema, in numbered forward-only migrations. Version numbers match the SQLite
// adapter's (sqlite_migrations.cc): version N means the same tables and rules on both, so a
// library moves between them (shoebox-server migrate) at equal versions. The PostgreSQL history
// starts at version 4, the schema SQLite reached through versions 1-4.
#pragma once

#include <vector>

#include "adapters/postgres/pg_db.h"

namespace shoebox::postgres {

struct Migration {
  int version;
  const char* sql;
};

const std::vector<Migration>& Migrations();

// Applies the migrations this database lacks. Several instances may start at once: a
// transaction-scoped advisory lock lets one migrate while the others wait, then find nothing to
// do. kInternal when the database was written by a newer Shoebox.
Result<void> Migrate(Database& db);

// The schema version of the database (0 when empty).
Result<int> SchemaVersion(Database& db);

}  // namespace shoebox::postgres
