#include "agent/scanner.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "core/text.h"

namespace shoebox::agent {
namespace {

bool Matches(const std::vector<std::string>& patterns, const std::string& name) {
  for (const std::string& pattern : patterns) {
    if (::fnmatch(pattern.c_str(), name.c_str(), FNM_CASEFOLD) == 0) return true;
  }
  return false;
}

SeenFile FromStat(std::string path, const struct stat& st) {
  return SeenFile{std::move(path), static_cast<std::int64_t>(st.st_size),
                  static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
                  static_cast<std::int64_t>(st.st_ino)};
}

// Depth-first over file descriptors (openat/fstatat): no path re-resolution per entry, and
// O_NOFOLLOW so a symbolic link is never entered.
void Walk(int dir_fd, const std::string& dir_path, const Settings& settings, FolderScan& out,
          int depth) {
  if (depth > 64) {
    out.problems.push_back("too deep, not walked: " + dir_path);
    ::close(dir_fd);
    return;
  }
  DIR* dir = ::fdopendir(dir_fd);
  if (!dir) {
    out.problems.push_back("cannot read " + dir_path + ": " + std::strerror(errno));
    ::close(dir_fd);
    return;
  }
  while (dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    std::string path = dir_path + "/" + name;
    unsigned char type = entry->d_type;
    if (type == DT_LNK) continue;
    if (type == DT_DIR || type == DT_UNKNOWN) {
      struct stat st {};
      if (::fstatat(::dirfd(dir), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (S_ISDIR(st.st_mode)) {
        if (!FolderIsIncluded(name)) continue;
        int child = ::openat(::dirfd(dir), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (child < 0) {
          out.problems.push_back("cannot read " + path + ": " + std::strerror(errno));
          continue;
        }
        Walk(child, path, settings, out, depth + 1);
        continue;
      }
      if (!S_ISREG(st.st_mode) || !NameIsIncluded(name, settings)) continue;
      out.files.push_back(FromStat(path, st));
      continue;
    }
    if (type != DT_REG || !NameIsIncluded(name, settings)) continue;
    struct stat st {};
    if (::fstatat(::dirfd(dir), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISREG(st.st_mode)) out.files.push_back(FromStat(path, st));
  }
  ::closedir(dir);
}

}  // namespace

bool NameIsIncluded(const std::string& file_name, const Settings& settings) {
  if (!settings.include.empty() && !Matches(settings.include, file_name)) return false;
  return !Matches(settings.exclude, file_name);
}

bool FolderIsIncluded(const std::string& name) {
  // Hidden folders (.thumbnails, .Trash-1000) and the trash folders phones and desktops keep.
  if (!name.empty() && name[0] == '.') return false;
  std::string lower = AsciiLower(name);
  return lower != "trash" && lower != "$recycle.bin" && lower != "lost+found";
}

Result<FolderScan> ScanFolder(const std::string& folder, const Settings& settings) {
  int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return MakeError(ErrorCode::kNotFound, "cannot open folder " + folder + ": " + std::strerror(errno));
  }
  FolderScan scan;
  scan.files.reserve(4096);
  Walk(fd, folder, settings, scan, 0);
  return scan;
}

std::optional<SeenFile> StatFile(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return FromStat(path, st);
}

}  // namespace shoebox::agent
