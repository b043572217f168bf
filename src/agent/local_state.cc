#include "agent/local_state.h"

#include <algorithm>

#include "adapters/sqlite/sqlite_db.h"

namespace shoebox::agent {
namespace {

namespace fs = std::filesystem;
using sqlite::Connection;
using sqlite::Statement;

constexpr const char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS files (
  path TEXT PRIMARY KEY,
  folder TEXT NOT NULL,
  size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  inode INTEGER NOT NULL,
  sha256 TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_try_at INTEGER NOT NULL DEFAULT 0,
  upload_url TEXT NOT NULL DEFAULT '',
  upload_offset INTEGER NOT NULL DEFAULT 0,
  asset_id TEXT NOT NULL DEFAULT '',
  done_at INTEGER NOT NULL DEFAULT 0,
  checked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS files_by_folder ON files(folder);
CREATE INDEX IF NOT EXISTS files_by_state ON files(state, mtime_ns);
CREATE INDEX IF NOT EXISTS files_by_asset ON files(asset_id) WHERE asset_id != '';
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS synced (asset_id TEXT PRIMARY KEY, path TEXT NOT NULL, version TEXT NOT NULL);
)sql";

#define FILE_COLUMNS                                                                            \
  "path, folder, size, mtime_ns, inode, sha256, kind, state, reason, attempts, next_try_at, " \
  "upload_url, upload_offset, asset_id, done_at, checked"

constexpr const char kSelectFolder[] =
    "SELECT path, size, mtime_ns, inode FROM files WHERE folder = ?1 ORDER BY path";
constexpr const char kInsertFile[] =
    "INSERT INTO files (path, folder, size, mtime_ns, inode, state) VALUES (?1, ?2, ?3, ?4, ?5, 'pending') "
    "ON CONFLICT (path) DO UPDATE SET folder = excluded.folder, size = excluded.size, "
    "mtime_ns = excluded.mtime_ns, inode = excluded.inode, sha256 = '', kind = '', "
    "state = 'pending', reason = '', attempts = 0, next_try_at = 0, upload_url = '', "
    "upload_offset = 0, asset_id = '', done_at = 0, checked = 0";
constexpr const char kUnprepared[] =
    "SELECT " FILE_COLUMNS " FROM files WHERE state = 'pending' AND sha256 = '' "
    "ORDER BY mtime_ns DESC LIMIT ?1";
constexpr const char kUnchecked[] =
    "SELECT " FILE_COLUMNS " FROM files WHERE state = 'pending' AND sha256 != '' AND checked = 0 "
    "LIMIT ?1";
constexpr const char kDeleteFile[] = "DELETE FROM files WHERE path = ?1";
constexpr const char kDeleteFolder[] = "DELETE FROM files WHERE folder = ?1";
constexpr const char kGetFile[] = "SELECT " FILE_COLUMNS " FROM files WHERE path = ?1";
constexpr const char kSaveFile[] =
    "UPDATE files SET sha256 = ?5, kind = ?6, state = ?7, reason = ?8, attempts = ?9, "
    "next_try_at = ?10, upload_url = ?11, upload_offset = ?12, asset_id = ?13, done_at = ?14, "
    "checked = ?15 "
    "WHERE path = ?1 AND size = ?2 AND mtime_ns = ?3 AND inode = ?4";
constexpr const char kDue[] =
    "SELECT * FROM (SELECT " FILE_COLUMNS " FROM files WHERE state IN ('pending', 'uploading') "
    "AND sha256 != '' UNION ALL SELECT " FILE_COLUMNS " FROM files WHERE state = 'failed' "
    "AND next_try_at <= ?1 AND sha256 != '') ORDER BY mtime_ns DESC LIMIT ?2";
constexpr const char kNextRetry[] = "SELECT MIN(next_try_at) FROM files WHERE state = 'failed'";
constexpr const char kListAll[] =
    "SELECT " FILE_COLUMNS " FROM files ORDER BY path LIMIT ?1";
constexpr const char kListState[] =
    "SELECT " FILE_COLUMNS " FROM files WHERE state = ?1 ORDER BY path LIMIT ?2";
constexpr const char kCounts[] = "SELECT state, COUNT(*), COALESCE(SUM(size), 0) FROM files GROUP BY state";
constexpr const char kUploadedPage[] =
    "SELECT " FILE_COLUMNS " FROM files WHERE state = 'uploaded' AND path > ?1 ORDER BY path LIMIT ?2";
constexpr const char kRequeue[] =
    "UPDATE files SET state = 'pending', reason = '', attempts = 0, next_try_at = 0 "
    "WHERE (state = 'skipped' AND ?1) OR (state = 'deleted_on_server' AND ?2) "
    "OR (state = 'failed' AND ?3)";
constexpr const char kUploadedAsset[] = "SELECT 1 FROM files WHERE asset_id = ?1 LIMIT 1";
constexpr const char kGetValue[] = "SELECT value FROM kv WHERE key = ?1";
constexpr const char kSetValue[] =
    "INSERT INTO kv (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
constexpr const char kSyncedPath[] = "SELECT path, version FROM synced WHERE asset_id = ?1";
constexpr const char kSetSynced[] =
    "INSERT INTO synced (asset_id, path, version) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (asset_id) DO UPDATE SET path = excluded.path, version = excluded.version";
constexpr const char kPathTaken[] = "SELECT 1 FROM synced WHERE path = ?1 AND asset_id != ?2";
constexpr const char kForgetSynced[] = "DELETE FROM synced WHERE asset_id = ?1";

FileRecord ReadRecord(const Statement& s) {
  FileRecord r;
  r.path = s.Text(0);
  r.folder = s.Text(1);
  r.size = s.Int(2);
  r.mtime_ns = s.Int(3);
  r.inode = s.Int(4);
  r.sha256 = s.Text(5);
  r.kind = s.Text(6);
  r.state = ParseFileState(s.Text(7)).value_or(FileState::kPending);
  r.reason = s.Text(8);
  r.attempts = static_cast<int>(s.Int(9));
  r.next_try_at = s.Int(10);
  r.upload_url = s.Text(11);
  r.upload_offset = s.Int(12);
  r.asset_id = s.Text(13);
  r.done_at = s.Int(14);
  r.checked = s.Int(15) != 0;
  return r;
}

Result<std::vector<FileRecord>> Collect(Statement& s) {
  return sqlite::CollectRows<FileRecord>(s, ReadRecord);
}

Result<void> Insert(Connection& c, const std::string& folder, const SeenFile& file) {
  SHOEBOX_ASSIGN(auto s, c.Prepare(kInsertFile));
  s.Bind(1, file.path).Bind(2, folder).Bind(3, file.size).Bind(4, file.mtime_ns).Bind(5, file.inode);
  return s.Run();
}

}  // namespace

std::string FileStateName(FileState state) {
  switch (state) {
    case FileState::kPending: return "pending";
    case FileState::kUploading: return "uploading";
    case FileState::kUploaded: return "uploaded";
    case FileState::kSkipped: return "skipped";
    case FileState::kFailed: return "failed";
    case FileState::kDeletedOnServer: return "deleted_on_server";
  }
  return "pending";
}

std::optional<FileState> ParseFileState(const std::string& name) {
  for (FileState s : {FileState::kPending, FileState::kUploading, FileState::kUploaded,
                      FileState::kSkipped, FileState::kFailed, FileState::kDeletedOnServer}) {
    if (FileStateName(s) == name) return s;
  }
  return std::nullopt;
}

LocalState::LocalState(std::unique_ptr<sqlite::Database> db) : db_(std::move(db)) {}
LocalState::~LocalState() = default;

Result<std::unique_ptr<LocalState>> LocalState::Open(const fs::path& file) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  if (ec) return MakeError(ErrorCode::kInternal, "cannot create " + file.parent_path().string() + ": " + ec.message());
  // The ledger is a cache of what the server knows (a lost last commit only means a file is
  // asked about or resumed again), so commits need not wait for the disk.
  SHOEBOX_ASSIGN(auto db, sqlite::Database::Open(file.string(), 4, sqlite::Database::Durability::kNormal));
  SHOEBOX_TRY(db->Write<void>([](Connection& c) { return c.Exec(kSchema); }));
  return std::unique_ptr<LocalState>(new LocalState(std::move(db)));
}

Result<ScanChanges> LocalState::RecordScan(const std::string& folder,
                                           const std::vector<SeenFile>& seen, bool complete) {
  std::vector<const SeenFile*> changed;
  std::vector<std::string> removed;
  auto differs = [](const SeenFile& file, std::int64_t size, std::int64_t mtime_ns, std::int64_t inode) {
    return file.size != size || file.mtime_ns != mtime_ns || file.inode != inode;
  };
  if (complete) {
    // One ordered read of the folder's rows merged with the sorted scan: a rescan that finds
    // nothing new writes nothing and holds no second copy of the paths. (SQLite's BINARY order
    // is std::string's: bytes compared unsigned.)
    std::vector<const SeenFile*> sorted;
    sorted.reserve(seen.size());
    for (const SeenFile& file : seen) sorted.push_back(&file);
    std::sort(sorted.begin(), sorted.end(),
              [](const SeenFile* a, const SeenFile* b) { return a->path < b->path; });
    std::size_t next = 0;
    SHOEBOX_TRY(db_->Read<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kSelectFolder));
      s.Bind(1, folder);
      while (true) {
        SHOEBOX_ASSIGN(bool row, s.Step());
        if (!row) return {};
        std::string path = s.Text(0);
        while (next < sorted.size() && sorted[next]->path < path) changed.push_back(sorted[next++]);
        if (next < sorted.size() && sorted[next]->path == path) {
          if (differs(*sorted[next], s.Int(1), s.Int(2), s.Int(3))) changed.push_back(sorted[next]);
          ++next;
        } else {
          removed.push_back(std::move(path));
        }
      }
    }));
    while (next < sorted.size()) changed.push_back(sorted[next++]);
  } else {
    for (const SeenFile& file : seen) {
      SHOEBOX_ASSIGN(auto record, Get(file.path));
      if (!record || differs(file, record->size, record->mtime_ns, record->inode)) changed.push_back(&file);
    }
  }
  ScanChanges out{static_cast<std::int64_t>(changed.size()), static_cast<std::int64_t>(removed.size())};
  if (changed.empty() && removed.empty()) return out;
  SHOEBOX_TRY(db_->Write<void>([&](Connection& c) -> Result<void> {
    for (const SeenFile* file : changed) SHOEBOX_TRY(Insert(c, folder, *file));
    for (const std::string& path : removed) {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kDeleteFile));
      s.Bind(1, path);
      SHOEBOX_TRY(s.Run());
    }
    return {};
  }));
  return out;
}

Result<void> LocalState::ForgetFolder(const std::string& folder) {
  return db_->Write<void>([&](Connection& c) -> Result<void> {
    SHOEBOX_ASSIGN(auto s, c.Prepare(kDeleteFolder));
    s.Bind(1, folder);
    return s.Run();
  });
}

Result<std::optional<FileRecord>> LocalState::Get(const std::string& path) {
  return db_->Read<std::optional<FileRecord>>([&](Connection& c) -> Result<std::optional<FileRecord>> {
    SHOEBOX_ASSIGN(auto s, c.Prepare(kGetFile));
    s.Bind(1, path);
    SHOEBOX_ASSIGN(bool row, s.Step());
    if (!row) return std::optional<FileRecord>();
    return std::optional<FileRecord>(ReadRecord(s));
  });
}

Result<bool> LocalState::Save(const FileRecord& r) {
  return db_->Write<bool>([&](Connection& c) -> Result<bool> {
    SHOEBOX_ASSIGN(auto s, c.Prepare(kSaveFile));
    s.Bind(1, r.path).Bind(2, r.size).Bind(3, r.mtime_ns).Bind(4, r.inode);
    s.Bind(5, r.sha256).Bind(6, r.kind).Bind(7, FileStateName(r.state)).Bind(8, r.reason);
    s.Bind(9, r.attempts).Bind(10, r.next_try_at).Bind(11, r.upload_url);
    s.Bind(12, r.upload_offset).Bind(13, r.asset_id).Bind(14, r.done_at).Bind(15, r.checked);
    SHOEBOX_TRY(s.Run());
    return s.Changes() > 0;
  });
}

Result<std::vector<FileRecord>> LocalState::Due(std::int64_t now_ms, int limit) {
  return db_->Read<std::vector<FileRecord>>([&](Connection& c) -> Result<std::vector<FileRecord>> {
    SHOEBOX_ASSIGN(auto s, c.Prepare(kDue));
    s.Bind(1, now_ms).Bind(2, limit);
    return Collect(s);
  });
}

Result<std::vector<FileRecord>> LocalState::Unprepared(int limit) {
  return db_->Read<std::vector<FileRecord>>([&](Connection& c) -> Result<std::vector<FileRecord>> {
    SHOEBOX_ASSIGN(auto s, c.Prepare(kUnprepared));
    s.Bind(1, limit);
    return Collect(s);
  });
}

Result<std::vector<FileRecord>> LocalState::Unchecked(int limit) {
  return db_->Read<std::vector<FileRecord>>([&](Connection& c) -> Result<std::vector<FileRecord>> {
    SHOEBOX_ASSIGN(auto s, c.Prepare(kUnchecked));
    s.Bind(1, limit);
    return Collect(s);
  });
}

Result<void> LocalState::Forget(const std::string& path) {
  return db_->Write<void>([&](Connection& c) -> Result<void> {
    SHOEBOX_ASSIGN(auto s, c.Prepare(kDeleteFile));
    s.Bind(1, path);
    return s.Run();
  });
}

Result<std::optional<std::int64_t>> LocalState::NextRetry() {
  return db_->Read<std::optional<std::int64_t>>([&](Connection& c) -> Result<std::optional<std::int64_t>> {
    SHOEBOX_ASSIGN(auto s, c.Prepare(kNextRetry));
    SHOEBOX_ASSIGN(bool row, s.Step());
    if (!row) return std::optional<std::int64_t>();
    return s.OptionalInt(0);
  });
}

Result<std::vector<FileRecord>> LocalState::List(std::optional<FileState> state, int limit) {
  return db_->Read<std::vector<FileRecord>>([&](Connection& c) -> Result<std::vector<FileRecord>> {
    if (!state) {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kListAll));
      s.Bind(1, limit);
      return Collect(s);
    }
    SHOEBOX_ASSIGN(auto s, c.Prepare(kListState));
    s.Bind(1, FileStateName(*state)).Bind(2, limit);
    return Collect(s);
  });
}

Result<StateCounts> LocalState::Counts() {
  return db_->Read<StateCounts>([&](Connection& c) -> Result<StateCounts> {
    SHOEBOX_ASSIGN(auto s, c.Prepare(kCounts));
    StateCounts counts;
    while (true) {
      SHOEBOX_ASSIGN(bool row, s.Step());
      if (!row) return counts;
      auto state = ParseFileState(s.Text(0));
      if (!state) continue;
      counts.files[*state] = s.Int(1);
      counts.bytes[*state] = s.Int(2);
    }
  });
}

Result<std::vector<FileRecord>> LocalState::UploadedWithChecksums(int limit, const std::string& after_path) {
  return db_->Read<std::vector<FileRecord>>([&](Connection& c) -> Result<std::vector<FileRecord>> {
    SHOEBOX_ASSIGN(auto s, c.Prepare(kUploadedPage));
    s.Bind(1, after_path).Bind(2, limit);
    return Collect(s);
  });
}

Result<void> LocalState::Requeue(bool skipped, bool deleted_too, bool failed) {
  return db_->Write<void>([&](Connection& c) -> Result<void> {
    SHOEBOX_ASSIGN(auto s, c.Prepare(kRequeue));
    s.Bind(1, skipped).Bind(2, deleted_too).Bind(3, failed);
    return s.Run();
  });
}

Result<bool> LocalState::UploadedAsset(const std::string& asset_id) {
  return db_->Read<bool>([&](Connection& c) -> Result<bool> {
    SHOEBOX_ASSIGN(auto s, c.Prepare(kUploadedAsset));
    s.Bind(1, asset_id);
    return s.Step();
  });
}

Result<std::optional<std::string>> LocalState::GetValue(const std::string& key) {
  return db_->Read<std::optional<std::string>>([&](Connection& c) -> Result<std::optional<std::string>> {
    SHOEBOX_ASSIGN(auto s, c.Prepare(kGetValue));
    s.Bind(1, key);
    SHOEBOX_ASSIGN(bool row, s.Step());
    if (!row) return std::optional<std::string>();
    return std::optional<std::string>(s.Text(0));
  });
}

Result<void> LocalState::SetValue(const std::string& key, const std::string& value) {
  return db_->Write<void>([&](Connection& c) -> Result<void> {
    SHOEBOX_ASSIGN(auto s, c.Prepare(kSetValue));
    s.Bind(1, key).Bind(2, value);
    return s.Run();
  });
}

Result<std::optional<SyncedFile>> LocalState::Synced(const std::string& asset_id) {
  return db_->Read<std::optional<SyncedFile>>([&](Connection& c) -> Result<std::optional<SyncedFile>> {
    SHOEBOX_ASSIGN(auto s, c.Prepare(kSyncedPath));
    s.Bind(1, asset_id);
    SHOEBOX_ASSIGN(bool row, s.Step());
    if (!row) return std::optional<SyncedFile>();
    return std::optional<SyncedFile>(SyncedFile{s.Text(0), s.Text(1)});
  });
}

Result<bool> LocalState::SyncedPathTaken(const std::string& path, const std::string& asset_id) {
  return db_->Read<bool>([&](Connection& c) -> Result<bool> {
    SHOEBOX_ASSIGN(auto s, c.Prepare(kPathTaken));
    s.Bind(1, path).Bind(2, asset_id);
    return s.Step();
  });
}

Result<void> LocalState::SetSynced(const std::string& asset_id, const SyncedFile& file) {
  return db_->Write<void>([&](Connection& c) -> Result<void> {
    SHOEBOX_ASSIGN(auto s, c.Prepare(kSetSynced));
    s.Bind(1, asset_id).Bind(2, file.path).Bind(3, file.version);
    return s.Run();
  });
}

Result<void> LocalState::ForgetSynced(const std::string& asset_id) {
  return db_->Write<void>([&](Connection& c) -> Result<void> {
    SHOEBOX_ASSIGN(auto s, c.Prepare(kForgetSynced));
    s.Bind(1, asset_id);
    return s.Run();
  });
}

}  // namespace shoebox::agent
