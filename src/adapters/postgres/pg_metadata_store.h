// The MetadataStore on PostgreSQL, for libraries and teams past one machine: several server
// instances share one database. Selected by `database.url = "postgresql://…"`.
#pragma once

#include <memory>
#include <string>

#include "ports/metadata_store.h"

namespace shoebox::postgres {

// Connects `pool_size` times to `url` and applies pending migrations (under a lock, so
// instances starting together migrate once). kUnavailable when the server cannot be reached;
// kInternal when the database was written by a newer Shoebox.
Result<std::unique_ptr<MetadataStore>> OpenPgMetadataStore(const std::string& url,
                                                           int pool_size = 8);

}  // namespace shoebox::postgres
