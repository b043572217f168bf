// Rules about media that more than one service applies.
#pragma once

#include <string>
#include <string_view>

#include "ports/model.h"

namespace shoebox {

// Whether browsers play this video as stored: H.264 with AAC/MP3 in MP4, or VP8/VP9/AV1 with
// Opus/Vorbis in WebM, at no more than `max_bit_rate` bits/s. Anything else gets a web version.
// The type of a file Storage saver wrote, from the extension it gave it.
inline std::string StoredMimeType(const std::string& key) {
  if (key.ends_with(".heic")) return "image/heic";
  if (key.ends_with(".mp4")) return "video/mp4";
  return "image/jpeg";
}

inline bool BrowserPlayable(const Asset& a, std::int64_t max_bit_rate) {
  const std::string mime = a.converted() ? StoredMimeType(a.blob_key) : a.mime_type;
  const MediaInfo& m = a.media;
  auto in = [](std::initializer_list<std::string_view> list, std::string_view value) {
    for (std::string_view item : list) {
      if (item == value) return true;
    }
    return false;
  };
  if (m.bit_rate && *m.bit_rate > max_bit_rate) return false;
  bool mp4 = mime == "video/mp4" && m.video_codec == "h264" &&
             in({"", "aac", "mp3"}, m.audio_codec);
  bool webm = mime == "video/webm" && in({"vp8", "vp9", "av1"}, m.video_codec) &&
              in({"", "opus", "vorbis"}, m.audio_codec);
  return mp4 || webm;
}

}  // namespace shoebox
