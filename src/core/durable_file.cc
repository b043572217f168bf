#include "core/durable_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/ids.h"

namespace shoebox {
namespace fs = std::filesystem;

Error ErrorFromErrno(int errno_value, std::string_view what) {
  std::string message = std::string(what) + ": " + std::strerror(errno_value);
  if (errno_value == ENOSPC || errno_value == EDQUOT) {
    return MakeError(ErrorCode::kInsufficientStorage, "storage is full (" + message + ")");
  }
  if (errno_value == ENOENT) return MakeError(ErrorCode::kNotFound, message);
  if (errno_value == EEXIST) return MakeError(ErrorCode::kConflict, message);
  return MakeError(ErrorCode::kInternal, message);
}

Result<void> SyncDirectory(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrorFromErrno(errno, "open directory " + dir.string());
  int rc = ::fsync(fd);
  int saved = errno;
  ::close(fd);
  if (rc != 0) return ErrorFromErrno(saved, "fsync directory " + dir.string());
  return {};
}

Result<void> CreateDirectoriesDurably(const fs::path& dir) {
  if (dir.empty() || fs::is_directory(dir)) return {};
  SHOEBOX_TRY(CreateDirectoriesDurably(dir.parent_path()));
  if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) {
    return ErrorFromErrno(errno, "mkdir " + dir.string());
  }
  fs::path parent = dir.parent_path().empty() ? fs::path(".") : dir.parent_path();
  return SyncDirectory(parent);
}

Result<void> WriteFileAtomically(const fs::path& path, std::string_view bytes, int mode) {
  fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  fs::path temp = dir / ("." + path.filename().string() + ".tmp-" + RandomToken(6));
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return ErrorFromErrno(errno, "create " + temp.string());
  std::size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return ErrorFromErrno(saved, "write " + temp.string());
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int saved = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    return ErrorFromErrno(saved, "fsync " + temp.string());
  }
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    ::unlink(temp.c_str());
    return ErrorFromErrno(saved, "rename to " + path.string());
  }
  return SyncDirectory(dir);
}

Result<void> LinkDurably(const fs::path& from, const fs::path& to) {
  if (::link(from.c_str(), to.c_str()) != 0) {
    return ErrorFromErrno(errno, "link " + to.string());
  }
  return SyncDirectory(to.parent_path());
}

Result<void> RemoveDurably(const fs::path& path) {
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return {};
    return ErrorFromErrno(errno, "unlink " + path.string());
  }
  return SyncDirectory(path.parent_path());
}

}  // namespace shoebox
