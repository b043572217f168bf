// Photo decoding with libvips: header-only dimensions, thumbnail + preview from one decode, and
// Storage saver re-encoding. Runs only inside the sandboxed media child.
#pragma once

#include <cstdint>
#include <string>

#include "core/error.h"
#include "ports/media_processor.h"

namespace shoebox::media {

struct ImageHeader {
  std::int64_t width = 0;  // as stored (orientation not applied)
  std::int64_t height = 0;
  int orientation = 1;     // from the decoder's view of EXIF
  std::string exif_blob;   // raw EXIF block when the format carries one
};

// Reads only the header. kMediaUnreadable when no loader accepts the file;
// kPhotoTooManyPixels when width x height passes `max_pixels` (nothing is decoded then).
Result<ImageHeader> ReadImageHeader(const std::string& path, std::int64_t max_pixels);

Result<void> MakeImageDerivatives(const std::string& source, const ImageTargets& targets,
                                  std::int64_t max_pixels);

Result<void> ConvertPhoto(const std::string& source, const PhotoConversion& conversion,
                          std::int64_t max_pixels);

bool CanWriteHeic();

// The photo upright at full size as a JPEG (quality 92) with no metadata at all.
Result<void> WriteBareJpeg(const std::string& source, const std::string& output,
                           std::int64_t max_pixels);

// For RAW files libvips cannot read: writes the largest preview embedded by the camera (exiv2)
// as a JPEG. kMediaUnreadable when there is none.
Result<void> ExtractEmbeddedPreview(const std::string& source, const std::string& jpeg_out);

}  // namespace shoebox::media
