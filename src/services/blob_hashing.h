// Feeding a blob into a SHA-256, shared by uploads (re-hashing a staging area) and verify.
#pragma once

#include <vector>

#include "core/hashing.h"
#include "ports/blob_store.h"

namespace shoebox {

// Reads `reader` to its end into `hash`; the reader's error on failure.
inline Result<void> HashInto(BlobReader& reader, Sha256Stream& hash) {
  std::vector<char> buffer(1 << 20);
  while (true) {
    SHOEBOX_ASSIGN(std::size_t n, reader.Read(buffer));
    if (n == 0) return {};
    hash.Update(std::span<const char>(buffer.data(), n));
  }
}

}  // namespace shoebox
