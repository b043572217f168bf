// The MediaProcessor port: everything that decodes untrusted media. Adapter: a sandboxed child
// process (shoebox-media) running libvips, exiv2 and FFmpeg under resource limits, so a crash, a
// hang or a memory blow-up costs one job, never the server.
//
// Paths are local files: sources are read, outputs are written (replaced) and nothing else is
// touched. Failure codes: kMediaUnreadable (corrupt, truncated, unsupported content),
// kPhotoTooManyPixels (the header alone says too big; nothing was decoded), kMediaTimeout,
// kMediaDecoderCrashed, kUnavailable (the child could not be started; retryable).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/error.h"
#include "ports/model.h"

namespace shoebox {

struct ImageTargets {
  std::string thumbnail;  // WebP, `thumbnail_short_side` px on the short side
  std::string preview;    // JPEG, `preview_long_side` px on the long side (never enlarged)
  int thumbnail_short_side = 250;
  int preview_long_side = 1440;
  int quality = 80;
  std::string mime_type;  // of the source: RAW files are read through their embedded preview
};

struct VideoTarget {
  std::string output;  // MP4 (H.264 + AAC, faststart)
  int max_height = 1080;  // of the displayed frame; never enlarged
  int crf = 23;
  std::string preset = "veryfast";
};

struct PhotoConversion {
  std::string output;
  std::int64_t max_pixels = 16'000'000;
  bool heic = false;  // HEIC output (when the source is HEIC and the encoder exists), else JPEG
  int quality = 85;
};

struct MediaInspection {
  MediaInfo info;  // utc_offset_minutes and taken_source describe `taken_local`
  // The capture time the file records, as local wall-clock time read as UTC (see MediaInfo).
  std::optional<UnixMillis> taken_local;
};

class MediaProcessor {
 public:
  virtual ~MediaProcessor() = default;
  // What the file says about itself (capture time from the file's own metadata only: callers
  // add file-name and mtime fallbacks). Checks the photo pixel limit from the header.
  virtual Result<MediaInspection> Inspect(const std::string& path, MediaKind kind) = 0;
  // One decode for both sizes: orientation applied, sRGB, metadata stripped.
  virtual Result<void> MakeImageDerivatives(const std::string& source,
                                            const ImageTargets& targets) = 0;
  // A representative frame of a video, as a JPEG at full size.
  virtual Result<void> ExtractPoster(const std::string& video, const std::string& jpeg_out) = 0;
  virtual Result<void> TranscodeVideo(const std::string& source, const VideoTarget& target) = 0;
  virtual Result<void> ConvertPhoto(const std::string& source,
                                    const PhotoConversion& conversion) = 0;
  // A copy of `source` without where it was taken, written to `output` (GPS in EXIF and XMP
  // for photos; every container-level tag for videos, streams copied as they are). A photo
  // whose metadata cannot be rewritten (HEIC) is decoded and written to `fallback_jpeg` as an
  // upright full-size JPEG without any metadata instead. Returns the path written.
  // kMediaUnreadable when neither works.
  virtual Result<std::string> StripLocation(const std::string& source, const std::string& output,
                                            const std::string& fallback_jpeg, MediaKind kind) = 0;
  // Whether HEIC can be written here (an HEVC encoder is present).
  virtual bool CanWriteHeic() = 0;
  // Stops every operation in progress and refuses new ones (kUnavailable), for shutdown.
  virtual void CancelAll() = 0;
};

}  // namespace shoebox
