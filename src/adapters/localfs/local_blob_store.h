// The BlobStore on a local folder. Originals stay browsable as plain files under
// `<root>/library/...`; staging areas are `<root>/uploads/<upload id>`. Writes follow
// core/durable_file.h; a committed original is a hard link of its synced staging file, so
// committing costs no copy.
#pragma once

#include <filesystem>
#include <memory>

#include "ports/blob_store.h"

namespace shoebox::localfs {

// Creates the folders it needs under `root`.
Result<std::unique_ptr<BlobStore>> OpenLocalBlobStore(const std::filesystem::path& root);

}  // namespace shoebox::localfs
