// The device's own record of every file in its backed-up folders (SQLite in the data folder):
// what each file was when last seen (size, mtime, inode), its SHA-256 (computed once per
// version), and where its backup stands. The ledger `shoebox status --items` prints.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace shoebox::sqlite {
class Database;
}

namespace shoebox::agent {

enum class FileState {
  kPending,          // seen, not yet on the server
  kUploading,        // a tus upload exists (upload_url, upload_offset)
  kUploaded,         // on the server as asset_id
  kSkipped,          // will not be sent until it changes (reason says why)
  kFailed,           // sending failed; retried at next_try_at
  kDeletedOnServer,  // its owner deleted it on the server: not sent again unless asked
};

std::string FileStateName(FileState state);
std::optional<FileState> ParseFileState(const std::string& name);

struct FileRecord {
  std::string path;
  std::string folder;        // the backed-up folder it is in
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t inode = 0;
  std::string sha256;        // empty until hashed
  std::string kind;          // "photo", "video" or "" before the content was looked at
  FileState state = FileState::kPending;
  std::string reason;        // why skipped / the last error / what it waits for
  int attempts = 0;
  std::int64_t next_try_at = 0;  // unix millis
  std::string upload_url;
  std::int64_t upload_offset = 0;
  std::string asset_id;
  std::int64_t done_at = 0;  // unix millis of the upload
  bool checked = false;      // the server was asked whether it has this checksum
};

// A file as the scanner found it.
struct SeenFile {
  std::string path;
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t inode = 0;
};

// A file two-way sync wrote: where, and which version of the server's file (its ETag).
struct SyncedFile {
  std::string path;
  std::string version;
};

struct StateCounts {
  std::map<FileState, std::int64_t> files;
  std::map<FileState, std::int64_t> bytes;
  std::int64_t Files(FileState s) const { auto it = files.find(s); return it == files.end() ? 0 : it->second; }
  std::int64_t Bytes(FileState s) const { auto it = bytes.find(s); return it == bytes.end() ? 0 : it->second; }
};

struct ScanChanges {
  std::int64_t added = 0;    // new files, or files whose size/mtime/inode changed
  std::int64_t removed = 0;  // gone from the folder
};

class LocalState {
 public:
  // Creates the database (and its folder) when missing.
  static Result<std::unique_ptr<LocalState>> Open(const std::filesystem::path& file);
  ~LocalState();

  // Records one folder's scan: new and changed files become pending (their hash and upload
  // forgotten), unchanged files keep everything, files not in `seen` are forgotten. With
  // `complete` false (a partial look, e.g. files the watcher reported) nothing is forgotten.
  Result<ScanChanges> RecordScan(const std::string& folder, const std::vector<SeenFile>& seen,
                                 bool complete);
  // Forgets every file under `folder` (the folder was removed from the backup).
  Result<void> ForgetFolder(const std::string& folder);
  Result<std::optional<FileRecord>> Get(const std::string& path);
  // Saves `record` only if the file is still the version the record describes (same size,
  // mtime and inode); false when it changed in between (the caller's work is stale).
  Result<bool> Save(const FileRecord& record);
  // Hashed files to send now: pending, uploading, and failed ones whose retry time has come;
  // newest first (as phones do), at most `limit`.
  Result<std::vector<FileRecord>> Due(std::int64_t now_ms, int limit);
  // Pending files not yet looked at (content, limits, hash), newest first.
  Result<std::vector<FileRecord>> Unprepared(int limit);
  // Hashed pending files the server was not yet asked about.
  Result<std::vector<FileRecord>> Unchecked(int limit);
  Result<void> Forget(const std::string& path);
  // The earliest retry time of a failed file, if any.
  Result<std::optional<std::int64_t>> NextRetry();
  Result<std::vector<FileRecord>> List(std::optional<FileState> state, int limit);
  Result<StateCounts> Counts();
  Result<std::vector<FileRecord>> UploadedWithChecksums(int limit, const std::string& after_path);
  // Skipped files become pending again (after the limits changed) and deleted-on-server ones
  // too when `deleted_too`.
  Result<void> Requeue(bool skipped, bool deleted_too, bool failed);
  // Which of these asset ids did this device upload itself?
  Result<bool> UploadedAsset(const std::string& asset_id);

  // Small values: the sync cursor, the last backup time, the agent's reported state.
  Result<std::optional<std::string>> GetValue(const std::string& key);
  Result<void> SetValue(const std::string& key, const std::string& value);

  // Two-way sync: the files mirrored from the server, by asset id.
  Result<std::optional<SyncedFile>> Synced(const std::string& asset_id);
  // Whether another asset's mirrored file already has this path.
  Result<bool> SyncedPathTaken(const std::string& path, const std::string& asset_id);
  Result<void> SetSynced(const std::string& asset_id, const SyncedFile& file);
  Result<void> ForgetSynced(const std::string& asset_id);

 private:
  explicit LocalState(std::unique_ptr<sqlite::Database> db);
  std::unique_ptr<sqlite::Database> db_;
};

}  // namespace shoebox::agent
