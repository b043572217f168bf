// Moves a whole library from one pair of stores to another (`shoebox-server migrate`): SQLite +
// a folder to PostgreSQL + S3 and back, or any other pairing. Objects first, each verified by
// SHA-256 on both sides, then the tables, then the change feed with its numbers, so devices go
// on syncing where they were. Run with the servers stopped. Interrupted, it runs again: objects
// already there with the right bytes and rows already there are left as they are.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ports/blob_store.h"
#include "ports/metadata_store.h"

namespace shoebox {

struct LibraryStores {
  MetadataStore& metadata;
  BlobStore& blobs;
};

struct MigrateProgress {
  std::string stage;  // "objects", then a table name
  std::int64_t done = 0;
  std::int64_t total = 0;
  std::int64_t bytes = 0;  // objects stage: bytes copied so far
};

struct MigrateReport {
  std::int64_t objects_copied = 0;
  std::int64_t objects_present = 0;  // already in the target with the same bytes
  std::int64_t bytes_copied = 0;
  std::map<std::string, std::int64_t> rows;  // per table, as the target counts them afterwards
};

// `work_dir`: a local folder for one object at a time. kConflict when the target holds another
// library or an object with other bytes under the same name; kInternal when a source object
// does not match its checksum (nothing is copied over it).
Result<MigrateReport> MigrateLibrary(LibraryStores from, LibraryStores to,
                                     const std::string& work_dir,
                                     const std::function<void(const MigrateProgress&)>& progress);

}  // namespace shoebox
