// A pull-based stream of bytes, e.g. an HTTP request body arriving from a socket, handed to
// services so they consume large bodies chunk by chunk without knowing about sockets.
#pragma once

#include <span>

#include "core/error.h"

namespace shoebox {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // The next chunk, valid until the next call; an empty span at the end of the stream. Fails
  // with kUnavailable when the peer went away or timed out (the stream is then unusable).
  virtual Result<std::span<const char>> Next() = 0;
};

}  // namespace shoebox
