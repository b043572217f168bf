// Video metadata with libavformat, opened so that FFmpeg can read nothing but the given file: we
// hand it the bytes through our own I/O callbacks, refuse every nested open (HLS, concat, DASH,
// image sequences and the like would otherwise follow paths and URLs found inside the file), and
// allow only container demuxers that do not reference other files. Runs only inside the
// sandboxed media child.
#pragma once

#include <string>

#include "core/error.h"
#include "ports/media_processor.h"

namespace shoebox::media {

// The demuxers a video may be read with (FFmpeg names, for -format_whitelist). Header-only so
// that the process running the ffmpeg command line uses the same list without linking FFmpeg.
inline constexpr const char* kAllowedVideoDemuxers =
    "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,mpegts,mpeg,asf,flv,ogg";

// kMediaUnreadable for a file no allowed demuxer reads or without a video stream.
Result<MediaInspection> ProbeVideo(const std::string& path);

}  // namespace shoebox::media
