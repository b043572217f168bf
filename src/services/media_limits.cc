#include "services/media_limits.h"

#include <cstdio>

#include "core/text.h"

namespace shoebox {
namespace {

MediaKind KindSuggestedByName(const std::string& filename) {
  auto dot = filename.rfind('.');
  if (dot == std::string::npos) return MediaKind::kUnknown;
  std::string ext = AsciiLower(filename.substr(dot + 1));
  for (const char* photo : {"jpg", "jpeg", "png", "heic", "heif", "avif", "webp", "gif", "tif",
                            "tiff", "dng", "cr2", "cr3", "nef", "arw", "orf", "raf", "rw2", "jxl"}) {
    if (ext == photo) return MediaKind::kPhoto;
  }
  for (const char* video : {"mp4", "mov", "m4v", "3gp", "webm", "mkv", "avi", "mts", "m2ts",
                            "mpg", "mpeg", "wmv"}) {
    if (ext == video) return MediaKind::kVideo;
  }
  return MediaKind::kUnknown;
}

}  // namespace

std::string FormatBytes(std::int64_t bytes) {
  char buffer[32];
  if (bytes >= 1'000'000'000) {
    std::snprintf(buffer, sizeof buffer, "%.1f GB", static_cast<double>(bytes) / 1e9);
  } else if (bytes >= 1'000'000) {
    std::snprintf(buffer, sizeof buffer, "%.1f MB", static_cast<double>(bytes) / 1e6);
  } else {
    std::snprintf(buffer, sizeof buffer, "%lld bytes", static_cast<long long>(bytes));
  }
  return buffer;
}

Result<void> CheckMediaLimits(const MediaLimits& limits, const MediaProbe& probe,
                              std::int64_t size) {
  switch (probe.kind) {
    case MediaKind::kUnknown:
      return MakeError(ErrorCode::kUnsupportedMediaType,
                       "not a supported photo or video (content is " + probe.mime_type + ")");
    case MediaKind::kPhoto:
      if (size > limits.photo_max_bytes) {
        return MakeError(ErrorCode::kPhotoTooLarge, "photo " + FormatBytes(size) + " > " +
                                                        FormatBytes(limits.photo_max_bytes));
      }
      if (probe.width && probe.height && *probe.width * *probe.height > limits.photo_max_pixels) {
        return MakeError(ErrorCode::kPhotoTooManyPixels,
                         "photo " + std::to_string(*probe.width) + "x" +
                             std::to_string(*probe.height) + " has more than " +
                             std::to_string(limits.photo_max_pixels / 1'000'000) + " megapixels");
      }
      return {};
    case MediaKind::kVideo:
      if (size > limits.video_max_bytes) {
        return MakeError(ErrorCode::kVideoTooLarge, "video " + FormatBytes(size) + " > " +
                                                        FormatBytes(limits.video_max_bytes));
      }
      return {};
  }
  return {};
}

Result<void> CheckDeclaredLength(const MediaLimits& limits, const std::string& filename,
                                 std::int64_t length) {
  MediaKind suggested = KindSuggestedByName(filename);
  if (suggested == MediaKind::kPhoto && length > limits.photo_max_bytes) {
    return MakeError(ErrorCode::kPhotoTooLarge, "photo " + FormatBytes(length) + " > " +
                                                    FormatBytes(limits.photo_max_bytes));
  }
  std::int64_t largest = std::max(limits.photo_max_bytes, limits.video_max_bytes);
  if (length > largest) {
    if (suggested == MediaKind::kVideo) {
      return MakeError(ErrorCode::kVideoTooLarge, "video " + FormatBytes(length) + " > " +
                                                      FormatBytes(limits.video_max_bytes));
    }
    return MakeError(ErrorCode::kFileTooLarge,
                     "file " + FormatBytes(length) + " is larger than any allowed photo or video");
  }
  return {};
}

}  // namespace shoebox
