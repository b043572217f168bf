// Pixel dimensions from the first bytes of an image file, without decoding anything: enough to
// refuse a 100-megapixel-plus photo (or a decompression bomb) while it is being uploaded. Covers
// JPEG, PNG, GIF, WebP, BMP, TIFF and HEIF/AVIF; other formats are checked by the decoder later.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

namespace shoebox::libmagic {

// (width, height) when `head` holds the part of the header that says them.
std::optional<std::pair<std::int64_t, std::int64_t>> ImageDimensions(std::string_view mime_type,
                                                                     std::span<const char> head);

}  // namespace shoebox::libmagic
