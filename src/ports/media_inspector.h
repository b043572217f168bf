// The MediaInspector port: what kind of media a file is, from its first bytes alone (never from
// its name), and a photo's pixel dimensions from its header. Adapter: libmagic plus a header
// reader.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"
#include "ports/model.h"

namespace shoebox {

struct MediaProbe {
  std::string mime_type;  // e.g. "image/jpeg"; "application/octet-stream" when unknown
  MediaKind kind = MediaKind::kUnknown;  // kUnknown: not a supported photo or video
  // Pixel dimensions when the header tells them (checked against limits.photo_max_pixels).
  std::optional<std::int64_t> width;
  std::optional<std::int64_t> height;
};

// Thread-safe. Never decodes pixel data.
class MediaInspector {
 public:
  virtual ~MediaInspector() = default;
  // How many leading bytes ProbeHead wants (it copes with fewer when the file is shorter).
  virtual std::size_t HeadBytes() const = 0;
  virtual Result<MediaProbe> ProbeHead(std::span<const char> head) = 0;
  // The MIME types ProbeHead accepts as photo or video, for clients to filter before upload.
  virtual std::vector<std::string> SupportedTypes() const = 0;
};

}  // namespace shoebox
