// The embedded MetadataStore: SQLite in WAL mode, one file in the data folder.
#pragma once

#include <memory>
#include <string>

#include "ports/metadata_store.h"

namespace shoebox::sqlite {

// Opens (creating) the database at `path` and applies pending migrations, forward only.
// kInternal when the file was written by a newer Shoebox (unknown migration).
Result<std::unique_ptr<MetadataStore>> OpenSqliteMetadataStore(const std::string& path,
                                                               int pool_size = 8);

// The schema version this build writes.
int LatestSchemaVersion();

}  // namespace shoebox::sqlite
