// What may be stored, checked by content type once it is known and by declared length before.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/error.h"
#include "ports/media_inspector.h"

namespace shoebox {

struct MediaLimits {
  std::int64_t photo_max_bytes = 75'000'000;
  std::int64_t photo_max_pixels = 100'000'000;
  std::int64_t video_max_bytes = 10'000'000'000;
};

// Checks a file of `size` bytes whose content probed as `probe`: kUnsupportedMediaType,
// kPhotoTooLarge, kPhotoTooManyPixels (when the header told the dimensions), kVideoTooLarge.
Result<void> CheckMediaLimits(const MediaLimits& limits, const MediaProbe& probe,
                              std::int64_t size);

// Before any content arrived: refuses a declared length that no media type could have, naming
// the limit the file name suggests (kPhotoTooLarge for "x.jpg", kVideoTooLarge for "x.mp4").
// The content decides later; the name only picks the clearer message now.
Result<void> CheckDeclaredLength(const MediaLimits& limits, const std::string& filename,
                                 std::int64_t length);

// Human-readable size, e.g. "11.2 GB".
std::string FormatBytes(std::int64_t bytes);

}  // namespace shoebox
