#include "adapters/localfs/local_blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>

#include "core/durable_file.h"
#include "core/ids.h"

namespace shoebox::localfs {
namespace {
namespace fs = std::filesystem;

constexpr const char* kStagingDir = "uploads";


class FileReader final : public BlobReader {
 public:
  FileReader(int fd, std::int64_t offset, std::int64_t length)
      : fd_(fd), position_(offset), remaining_(length) {}
  ~FileReader() override { ::close(fd_); }

  Result<std::size_t> Read(std::span<char> buffer) override {
    std::size_t want = static_cast<std::size_t>(
        std::min<std::int64_t>(remaining_, static_cast<std::int64_t>(buffer.size())));
    if (want == 0) return std::size_t{0};
    while (true) {
      ssize_t n = ::pread(fd_, buffer.data(), want, position_);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrorFromErrno(errno, "read");
      if (n == 0) return MakeError(ErrorCode::kInternal, "file is shorter than expected");
      position_ += n;
      remaining_ -= n;
      return static_cast<std::size_t>(n);
    }
  }

 private:
  int fd_;
  std::int64_t position_;
  std::int64_t remaining_;
};

class FileStagingWriter final : public StagingWriter {
 public:
  FileStagingWriter(int fd, std::int64_t position, fs::path unsynced_dir)
      : fd_(fd), position_(position), unsynced_dir_(std::move(unsynced_dir)) {}
  ~FileStagingWriter() override { ::close(fd_); }

  Result<void> Write(std::span<const char> bytes) override {
    std::size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrorFromErrno(errno, "write upload");
      done += static_cast<std::size_t>(n);
    }
    position_ += static_cast<std::int64_t>(bytes.size());
    return {};
  }

  Result<void> Sync() override {
    if (::fdatasync(fd_) != 0) return ErrorFromErrno(errno, "fdatasync upload");
    if (!unsynced_dir_.empty()) {
      SHOEBOX_TRY(SyncDirectory(unsynced_dir_));
      unsynced_dir_.clear();
    }
    return {};
  }

 private:
  int fd_;
  std::int64_t position_;
  fs::path unsynced_dir_;  // the staging folder, until the new file's name is durable
};

Result<std::unique_ptr<BlobReader>> OpenRange(const fs::path& path, std::int64_t offset,
                                              std::int64_t length) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrorFromErrno(errno, "open " + path.filename().string());
  struct stat st {};
  ::fstat(fd, &st);
  if (offset < 0 || length < 0 || offset + length > st.st_size) {
    ::close(fd);
    return MakeError(ErrorCode::kRangeNotSatisfiable, "range beyond the end of the blob");
  }
  ::posix_fadvise(fd, offset, length, POSIX_FADV_SEQUENTIAL);
  return std::unique_ptr<BlobReader>(new FileReader(fd, offset, length));
}

class LocalBlobStore final : public BlobStore {
 public:
  explicit LocalBlobStore(fs::path root) : root_(std::move(root)) {}

  Result<std::unique_ptr<StagingWriter>> OpenStaging(const std::string& upload_id,
                                                     std::int64_t offset) override {
    SHOEBOX_ASSIGN(fs::path path, StagingPath(upload_id));
    int flags = O_WRONLY | O_CLOEXEC | (offset == 0 ? O_CREAT : 0);
    int fd = ::open(path.c_str(), flags, 0640);
    if (fd < 0) {
      if (errno == ENOENT) return MakeError(ErrorCode::kConflict, "upload bytes are missing");
      return ErrorFromErrno(errno, "open upload");
    }
    struct stat st {};
    ::fstat(fd, &st);
    if (st.st_size < offset) {
      ::close(fd);
      return MakeError(ErrorCode::kConflict, "upload holds fewer bytes than recorded");
    }
    if ((st.st_size != offset && ::ftruncate(fd, offset) != 0) ||
        ::lseek(fd, offset, SEEK_SET) < 0) {
      int saved = errno;
      ::close(fd);
      return ErrorFromErrno(saved, "position upload");
    }
    // A new staging file's name becomes durable with its first Sync(), before any offset that
    // depends on it is recorded.
    return std::unique_ptr<StagingWriter>(
        new FileStagingWriter(fd, offset, offset == 0 ? path.parent_path() : fs::path()));
  }

  Result<std::unique_ptr<BlobReader>> ReadStaging(const std::string& upload_id,
                                                  std::int64_t offset,
                                                  std::int64_t length) override {
    SHOEBOX_ASSIGN(fs::path path, StagingPath(upload_id));
    return OpenRange(path, offset, length);
  }

  Result<void> RemoveStaging(const std::string& upload_id) override {
    SHOEBOX_ASSIGN(fs::path path, StagingPath(upload_id));
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrorFromErrno(errno, "unlink upload");
    return {};
  }

  Result<void> ForEachStaging(
      const std::function<void(const std::string&, std::int64_t)>& visit) override {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root_ / kStagingDir, ec)) {
      struct stat st {};
      if (::stat(entry.path().c_str(), &st) != 0) continue;
      visit(entry.path().filename().string(),
            static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000);
    }
    if (ec) return MakeError(ErrorCode::kInternal, "list uploads: " + ec.message());
    return {};
  }

  Result<std::string> FreeKey(const std::string& wanted,
                              const std::function<bool(const std::string&)>& unavailable) override {
    if (!IsValidBlobKey(wanted)) return InvalidBlobKey(wanted);
    fs::path path(wanted);
    std::string stem = path.stem().string();
    std::string extension = path.extension().string();
    std::string parent = path.parent_path().string();
    for (int n = 0; n < 100000; ++n) {
      std::string key = n == 0 ? wanted
                               : parent + "/" + stem + " (" + std::to_string(n) + ")" + extension;
      struct stat st {};
      if (::lstat((root_ / key).c_str(), &st) != 0) {
        if (errno == ENOENT && !unavailable(key)) return key;
        if (errno == ENOENT) continue;
        return ErrorFromErrno(errno, "stat " + key);
      }
    }
    return MakeError(ErrorCode::kConflict, "no free name for " + wanted);
  }

  Result<void> CommitStaging(const std::string& upload_id, const std::string& key) override {
    if (!IsValidBlobKey(key)) return InvalidBlobKey(key);
    SHOEBOX_ASSIGN(fs::path staging, StagingPath(upload_id));
    fs::path target = root_ / key;
    SHOEBOX_TRY(CreateDirectoriesDurably(target.parent_path()));
    auto linked = LinkDurably(staging, target);
    if (linked) return {};
    if (linked.error().code != ErrorCode::kConflict) return linked.error();
    // `key` exists: fine if it is this very file from an earlier attempt.
    struct stat a {}, b {};
    if (::stat(staging.c_str(), &a) == 0 && ::stat(target.c_str(), &b) == 0 &&
        a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
      return SyncDirectory(target.parent_path());
    }
    return MakeError(ErrorCode::kConflict, key + " is taken");
  }

  Result<std::unique_ptr<BlobReader>> Read(const std::string& key, std::int64_t offset,
                                           std::int64_t length) override {
    if (!IsValidBlobKey(key)) return InvalidBlobKey(key);
    return OpenRange(root_ / key, offset, length);
  }

  Result<void> PutFile(const std::string& key, const std::string& file) override {
    if (!IsValidBlobKey(key)) return InvalidBlobKey(key);
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrorFromErrno(errno, "open " + file);
    int synced = ::fsync(fd);
    int saved = errno;
    ::close(fd);
    if (synced != 0) return ErrorFromErrno(saved, "fsync " + file);
    fs::path target = root_ / key;
    SHOEBOX_TRY(CreateDirectoriesDurably(target.parent_path()));
    SHOEBOX_TRY(LinkDurably(file, target));
    ::unlink(file.c_str());
    return {};
  }

  std::optional<std::string> LocalPath(const std::string& key) override {
    if (!IsValidBlobKey(key)) return std::nullopt;
    return (root_ / key).string();
  }

  Result<BlobInfo> Stat(const std::string& key) override {
    if (!IsValidBlobKey(key)) return InvalidBlobKey(key);
    struct stat st {};
    if (::stat((root_ / key).c_str(), &st) != 0) return ErrorFromErrno(errno, "stat " + key);
    return BlobInfo{static_cast<std::int64_t>(st.st_size)};
  }

  Result<void> Remove(const std::string& key) override {
    if (!IsValidBlobKey(key)) return InvalidBlobKey(key);
    return RemoveDurably(root_ / key);
  }

  Result<void> RemoveCommitted(const std::string& upload_id, const std::string& key) override {
    if (!IsValidBlobKey(key)) return InvalidBlobKey(key);
    SHOEBOX_ASSIGN(fs::path staging, StagingPath(upload_id));
    struct stat a {}, b {};
    if (::stat(staging.c_str(), &a) != 0 || ::stat((root_ / key).c_str(), &b) != 0) return {};
    if (a.st_ino != b.st_ino || a.st_dev != b.st_dev) return {};  // someone else's file
    return RemoveDurably(root_ / key);
  }

  Result<void> ForEach(const std::string& prefix,
                       const std::function<void(const std::string&, std::int64_t)>& visit) override {
    fs::path base = root_ / prefix;
    std::error_code ec;
    if (!fs::exists(base, ec)) return {};
    for (auto it = fs::recursive_directory_iterator(base, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      visit(fs::relative(it->path(), root_).generic_string(),
            static_cast<std::int64_t>(it->file_size(ec)));
    }
    if (ec) return MakeError(ErrorCode::kInternal, "list " + prefix + ": " + ec.message());
    return {};
  }

  Result<std::int64_t> FreeBytes() override {
    struct statvfs st {};
    if (::statvfs(root_.c_str(), &st) != 0) return ErrorFromErrno(errno, "statvfs");
    return static_cast<std::int64_t>(st.f_bavail) * static_cast<std::int64_t>(st.f_frsize);
  }

 private:
  Result<fs::path> StagingPath(const std::string& upload_id) const {
    if (!IsCanonicalId(upload_id)) {
      return MakeError(ErrorCode::kBadRequest, "invalid upload id");
    }
    return root_ / kStagingDir / upload_id;
  }

  fs::path root_;
};

}  // namespace

Result<std::unique_ptr<BlobStore>> OpenLocalBlobStore(const fs::path& root) {
  SHOEBOX_TRY(CreateDirectoriesDurably(root / kStagingDir));
  SHOEBOX_TRY(CreateDirectoriesDurably(root / "library"));
  return std::unique_ptr<BlobStore>(new LocalBlobStore(root));
}

}  // namespace shoebox::localfs
