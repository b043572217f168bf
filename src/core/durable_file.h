// The one spelling of durability: bytes are made durable before the name that points at them,
// and a name is made durable by syncing its directory. Every writer of originals, partial uploads
// and state files goes through these functions.
#pragma once

#include <filesystem>
#include <string_view>

#include "core/error.h"

namespace shoebox {

// Maps errno to an Error: ENOSPC/EDQUOT -> kInsufficientStorage, EIO and others -> kInternal.
Error ErrorFromErrno(int errno_value, std::string_view what);

// fsync of a directory, so that entries created, renamed or removed in it survive power loss.
Result<void> SyncDirectory(const std::filesystem::path& dir);

// Creates `dir` and its parents, syncing each parent whose entries changed.
Result<void> CreateDirectoriesDurably(const std::filesystem::path& dir);

// Writes `bytes` to `path` atomically: temp file in the same directory, write, fsync, rename,
// fsync directory. A reader sees the old content or the new, never a mix. The file is created
// with `mode` (less the umask).
Result<void> WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes,
                                 int mode = 0640);

// Creates `to` as a new hard link of `from` (fails with kConflict if `to` exists), then syncs
// `to`'s directory. `from` must already be synced.
Result<void> LinkDurably(const std::filesystem::path& from, const std::filesystem::path& to);

// Removes `path` (no error if missing) and syncs its directory.
Result<void> RemoveDurably(const std::filesystem::path& path);

}  // namespace shoebox
