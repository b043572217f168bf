#include "services/migrate_service.h"

#include <filesystem>
#include <fstream>
#include <set>

#include "core/hashing.h"
#include "core/ids.h"
#include "services/blob_hashing.h"

namespace shoebox {
namespace {

// The tables a library is, parents before children, each with the columns copied (the leading
// `key` of them identify a row). Left out: unfinished uploads (their clients start again), failed
// sign-ins and zip requests (minutes-long), job ids (each store numbers its own).
struct Table {
  const char* name;
  std::vector<std::string> columns;
  std::size_t key;
};

const std::vector<Table>& LibraryTableList() {
  static const std::vector<Table> tables = {
      {"users",
       {"id", "email", "name", "password_hash", "is_admin", "disabled", "quota_bytes",
        "used_bytes", "storage_label", "created_at", "default_quality"},
       1},
      {"credentials",
       {"id", "user_id", "secret_hash", "kind", "name", "created_at", "last_used_at", "expires_at"},
       1},
      {"assets",
       {"id", "owner_id", "sha256", "blob_key", "original_name", "mime_type", "kind",
        "size_bytes", "taken_at", "file_mtime", "uploaded_at", "device_id", "device_asset_id",
        "is_favorite", "is_archived", "trashed_at", "taken_offset_minutes", "media_json",
        "media_state", "media_error", "thumbnail_key", "preview_key", "playback_key",
        "live_pair_id", "is_live_motion", "quality", "content_sha256", "source_key",
        "source_size_bytes", "source_until", "location_free_key"},
       1},
      {"tombstones", {"owner_id", "sha256", "deleted_at"}, 2},
      {"pending_blob_deletions", {"blob_key", "queued_at"}, 1},
      {"jobs",
       {"kind", "asset_id", "state", "attempts", "run_after", "lease_holder", "lease_until",
        "rerun", "last_error", "created_at", "updated_at"},
       2},
      {"device_status", {"device_id", "user_id", "status_json", "reported_at"}, 1},
      {"albums",
       {"id", "owner_id", "name", "description", "cover_asset_id", "created_at", "updated_at"}, 1},
      {"album_assets", {"album_id", "asset_id", "position", "added_by", "added_at"}, 2},
      {"album_members", {"album_id", "user_id", "role", "added_at"}, 2},
      {"share_links",
       {"id", "album_id", "link_key", "password_hash", "expires_at", "allow_download",
        "show_location", "created_at"},
       1},
  };
  return tables;
}

// One object to copy, with the checksum its bytes must have when the library knows it.
struct Object {
  std::string key;
  std::string sha256;  // empty for derived files
};

Result<std::vector<Object>> ObjectsOf(AssetRepository& assets) {
  std::vector<Object> objects;
  SHOEBOX_TRY(assets.ForEach([&](const Asset& a) {
    // After a storage-saver conversion blob_key holds the converted bytes and source_key the
    // original ones.
    objects.push_back({a.blob_key, a.content_sha256.empty() ? a.sha256 : a.content_sha256});
    if (!a.source_key.empty()) objects.push_back({a.source_key, a.sha256});
    for (const std::string* derived :
         {&a.thumbnail_key, &a.preview_key, &a.playback_key, &a.location_free_key}) {
      if (!derived->empty()) objects.push_back({*derived, ""});
    }
  }));
  return objects;
}

Result<std::string> HashOf(BlobStore& blobs, const std::string& key, std::int64_t size) {
  SHOEBOX_ASSIGN(auto reader, blobs.Read(key, 0, size));
  Sha256Stream hash;
  SHOEBOX_TRY(HashInto(*reader, hash));
  return hash.FinishHex();
}

// Copies `key` from `from` to `to` through `scratch` unless `to` has it already; verifies the
// bytes against the source's checksum on both sides. Returns the bytes copied (0: present).
Result<std::int64_t> CopyObject(BlobStore& from, BlobStore& to, const Object& object,
                                const std::filesystem::path& scratch) {
  SHOEBOX_ASSIGN(BlobInfo info, from.Stat(object.key));
  std::string expected = object.sha256;
  if (auto there = to.Stat(object.key); there) {
    if (expected.empty()) {
      SHOEBOX_ASSIGN(expected, HashOf(from, object.key, info.size));
    }
    SHOEBOX_ASSIGN(std::string present, HashOf(to, object.key, there->size));
    if (present != expected) {
      return MakeError(ErrorCode::kConflict,
                       "the target already holds other bytes under " + object.key);
    }
    return std::int64_t{0};
  } else if (there.error().code != ErrorCode::kNotFound) {
    return there.error();
  }
  SHOEBOX_ASSIGN(auto reader, from.Read(object.key, 0, info.size));
  Sha256Stream hash;
  {
    std::ofstream out(scratch, std::ios::binary | std::ios::trunc);
    std::vector<char> buffer(1 << 20);
    while (true) {
      SHOEBOX_ASSIGN(std::size_t n, reader->Read(buffer));
      if (n == 0) break;
      hash.Update(std::span<const char>(buffer.data(), n));
      out.write(buffer.data(), static_cast<std::streamsize>(n));
    }
    if (!out.flush()) return MakeError(ErrorCode::kInsufficientStorage, "cannot write " + scratch.string());
  }
  std::string read = hash.FinishHex();
  if (!expected.empty() && read != expected) {
    std::filesystem::remove(scratch);
    return MakeError(ErrorCode::kInternal, "source object " + object.key +
                                               " does not match its checksum; run verify");
  }
  SHOEBOX_TRY(to.PutFile(object.key, scratch.string()));
  SHOEBOX_ASSIGN(std::string stored, HashOf(to, object.key, info.size));
  if (stored != read) {
    return MakeError(ErrorCode::kInternal, "the target stored other bytes for " + object.key);
  }
  return info.size;
}

}  // namespace

Result<MigrateReport> MigrateLibrary(LibraryStores from, LibraryStores to,
                                     const std::string& work_dir,
                                     const std::function<void(const MigrateProgress&)>& progress) {
  LibraryTables& source = from.metadata.Tables();
  LibraryTables& target = to.metadata.Tables();
  SHOEBOX_ASSIGN(int source_version, source.SchemaVersion());
  SHOEBOX_ASSIGN(int target_version, target.SchemaVersion());
  if (source_version != target_version) {
    return MakeError(ErrorCode::kConflict, "schema versions differ (" +
                                               std::to_string(source_version) + " and " +
                                               std::to_string(target_version) + ")");
  }
  // A target with users is only welcome when it is this library, half copied.
  SHOEBOX_ASSIGN(std::vector<User> target_users, to.metadata.Users().List());
  if (!target_users.empty()) {
    auto mine = from.metadata.Users().Get(target_users.front().id);
    if (!mine) {
      return MakeError(ErrorCode::kConflict,
                       "the target already holds another library; migrate into empty stores");
    }
  }

  MigrateReport report;
  std::filesystem::create_directories(work_dir);
  std::filesystem::path scratch = std::filesystem::path(work_dir) / ("migrate-" + RandomToken(6));
  SHOEBOX_ASSIGN(std::vector<Object> objects, ObjectsOf(from.metadata.Assets()));
  std::set<std::string> seen;
  MigrateProgress step{"objects", 0, static_cast<std::int64_t>(objects.size()), 0};
  for (const Object& object : objects) {
    ++step.done;
    if (!seen.insert(object.key).second) continue;
    auto copied = CopyObject(from.blobs, to.blobs, object, scratch);
    if (!copied) {
      std::filesystem::remove(scratch);
      return copied.error();
    }
    if (*copied > 0) {
      ++report.objects_copied;
      report.bytes_copied += *copied;
    } else {
      ++report.objects_present;
    }
    step.bytes = report.bytes_copied;
    if (progress) progress(step);
  }

  for (const Table& table : LibraryTableList()) {
    SHOEBOX_ASSIGN(std::int64_t total, source.CountRows(table.name));
    MigrateProgress rows{table.name, 0, total, 0};
    std::vector<TableRow> batch;
    auto flush = [&]() -> Result<void> {
      SHOEBOX_TRY(target.InsertRows(table.name, table.columns, batch));
      rows.done += static_cast<std::int64_t>(batch.size());
      batch.clear();
      if (progress) progress(rows);
      return {};
    };
    SHOEBOX_TRY(source.ForEachRow(table.name, table.columns, table.key,
                                  [&](const TableRow& row) -> Result<void> {
                                    batch.push_back(row);
                                    if (batch.size() >= 500) return flush();
                                    return {};
                                  }));
    SHOEBOX_TRY(flush());
    SHOEBOX_ASSIGN(report.rows[table.name], target.CountRows(table.name));
    if (report.rows[table.name] != total) {
      return MakeError(ErrorCode::kConflict, std::string("table ") + table.name + " has " +
                                                 std::to_string(report.rows[table.name]) +
                                                 " rows in the target, " + std::to_string(total) +
                                                 " in the source");
    }
  }
  std::vector<TableRow> feed;
  SHOEBOX_TRY(source.ForEachRow("asset_changes", {"seq", "asset_id", "owner_id"}, 1,
                                [&](const TableRow& row) -> Result<void> {
                                  feed.push_back(row);
                                  return {};
                                }));
  SHOEBOX_TRY(target.ReplaceChangeFeed(feed));
  report.rows["asset_changes"] = static_cast<std::int64_t>(feed.size());
  return report;
}

}  // namespace shoebox
