// Walks a backed-up folder: every regular file that the include/exclude patterns let through,
// without following symbolic links (so link loops cannot trap it) and skipping folders it may not
// read, hidden folders and trash folders.
#pragma once

#include <string>
#include <vector>

#include "agent/local_state.h"
#include "agent/settings.h"

namespace shoebox::agent {

struct FolderScan {
  std::vector<SeenFile> files;
  std::vector<std::string> problems;  // e.g. "cannot read /x/y: permission denied"
};

// kNotFound when the folder itself is missing or not a folder (nothing is forgotten then: a
// removable disk that is not mounted must not look like every file was deleted).
Result<FolderScan> ScanFolder(const std::string& folder, const Settings& settings);

// Whether a file name is backed up at all (before its content is looked at).
bool NameIsIncluded(const std::string& file_name, const Settings& settings);
// Whether a folder under a backed-up one is walked into.
bool FolderIsIncluded(const std::string& folder_name);

// Stats one file the way a scan does; nullopt when it is not a regular file any more.
std::optional<SeenFile> StatFile(const std::string& path);

}  // namespace shoebox::agent
