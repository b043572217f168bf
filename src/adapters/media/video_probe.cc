#include "adapters/media/video_probe.h"

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/opt.h>
}

#include <cmath>
#include <cstdio>
#include <memory>
#include <regex>

#include "adapters/media/capture_time.h"

namespace shoebox::media {
namespace {

int ReadPacket(void* opaque, std::uint8_t* buffer, int size) {
  std::size_t n = std::fread(buffer, 1, static_cast<std::size_t>(size), static_cast<FILE*>(opaque));
  if (n == 0) return AVERROR_EOF;
  return static_cast<int>(n);
}

std::int64_t Seek(void* opaque, std::int64_t offset, int whence) {
  FILE* file = static_cast<FILE*>(opaque);
  if (whence == AVSEEK_SIZE) {
    long here = std::ftell(file);
    std::fseek(file, 0, SEEK_END);
    long size = std::ftell(file);
    std::fseek(file, here, SEEK_SET);
    return size;
  }
  if (std::fseek(file, offset, whence & ~AVSEEK_FORCE) != 0) return -1;
  return std::ftell(file);
}

// Every open a demuxer attempts beyond the file itself is refused.
int RefuseOpen(AVFormatContext*, AVIOContext**, const char*, int, AVDictionary**) {
  return AVERROR(EPERM);
}

std::string Tag(AVDictionary* metadata, const char* key) {
  AVDictionaryEntry* e = av_dict_get(metadata, key, nullptr, 0);
  return e != nullptr && e->value != nullptr ? e->value : "";
}

// ISO 6709 "+48.8584+002.2945+035.000/".
void ParseIso6709(const std::string& text, MediaInfo& info) {
  static const std::regex pattern(R"(^([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)?/?)");
  std::smatch m;
  if (!std::regex_search(text, m, pattern)) return;
  double lat = std::atof(m[1].str().c_str()), lon = std::atof(m[2].str().c_str());
  if (std::abs(lat) > 90 || std::abs(lon) > 180) return;
  info.latitude = lat;
  info.longitude = lon;
  if (m[3].matched) info.altitude = std::atof(m[3].str().c_str());
}

struct Closer {
  void operator()(FILE* f) const { std::fclose(f); }
};

}  // namespace

Result<MediaInspection> ProbeVideo(const std::string& path) {
  av_log_set_level(AV_LOG_QUIET);
  std::unique_ptr<FILE, Closer> file(std::fopen(path.c_str(), "rb"));
  if (!file) return MakeError(ErrorCode::kMediaUnreadable, "cannot open the file");
  constexpr int kBuffer = 64 * 1024;
  auto* buffer = static_cast<std::uint8_t*>(av_malloc(kBuffer));
  AVIOContext* io = avio_alloc_context(buffer, kBuffer, 0, file.get(), ReadPacket, nullptr, Seek);
  AVFormatContext* ctx = avformat_alloc_context();
  ctx->pb = io;
  ctx->flags |= AVFMT_FLAG_CUSTOM_IO;
  ctx->io_open = RefuseOpen;
  AVDictionary* options = nullptr;
  av_dict_set(&options, "format_whitelist", kAllowedVideoDemuxers, 0);
  av_dict_set(&options, "protocol_whitelist", "file", 0);
  struct Cleanup {
    AVFormatContext** ctx;
    AVIOContext* io;
    AVDictionary** options;
    ~Cleanup() {
      avformat_close_input(ctx);
      if (io != nullptr) av_freep(&io->buffer);
      avio_context_free(&io);
      av_dict_free(options);
    }
  } cleanup{&ctx, io, &options};
  if (avformat_open_input(&ctx, "", nullptr, &options) < 0) {
    return MakeError(ErrorCode::kMediaUnreadable, "not a video container Shoebox reads");
  }
  if (avformat_find_stream_info(ctx, nullptr) < 0) {
    return MakeError(ErrorCode::kMediaUnreadable, "the video's streams cannot be read");
  }
  int video = av_find_best_stream(ctx, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (video < 0) return MakeError(ErrorCode::kMediaUnreadable, "the file has no video stream");
  AVStream* vs = ctx->streams[video];
  MediaInspection out;
  MediaInfo& info = out.info;
  info.container = ctx->iformat->name;
  info.video_codec = avcodec_get_name(vs->codecpar->codec_id);
  std::int64_t w = vs->codecpar->width, h = vs->codecpar->height;
  if (w <= 0 || h <= 0) return MakeError(ErrorCode::kMediaUnreadable, "the video has no frame size");
  double rotation = 0;
  if (const std::uint8_t* matrix = av_stream_get_side_data(vs, AV_PKT_DATA_DISPLAYMATRIX, nullptr)) {
    rotation = av_display_rotation_get(reinterpret_cast<const std::int32_t*>(matrix));
  }
  if (std::isfinite(rotation) && static_cast<long>(std::lround(std::abs(rotation))) % 180 == 90) {
    std::swap(w, h);
  }
  info.width = w;
  info.height = h;
  AVRational rate = vs->avg_frame_rate.num > 0 ? vs->avg_frame_rate : vs->r_frame_rate;
  if (rate.num > 0 && rate.den > 0) info.frame_rate = std::round(av_q2d(rate) * 1000) / 1000;
  if (ctx->duration > 0) info.duration_ms = ctx->duration / (AV_TIME_BASE / 1000);
  if (ctx->bit_rate > 0) info.bit_rate = ctx->bit_rate;
  int audio = av_find_best_stream(ctx, AVMEDIA_TYPE_AUDIO, -1, video, nullptr, 0);
  if (audio >= 0) info.audio_codec = avcodec_get_name(ctx->streams[audio]->codecpar->codec_id);

  // Capture time: Apple's local creationdate (with its offset) beats the UTC creation_time.
  std::optional<CaptureTime> time;
  if ((time = ParseDateTime(Tag(ctx->metadata, "com.apple.quicktime.creationdate"))) &&
      time->utc_offset_minutes) {
    info.taken_source = "quicktime";
  } else if ((time = ParseDateTime(Tag(ctx->metadata, "creation_time"))) ||
             (time = ParseDateTime(Tag(vs->metadata, "creation_time")))) {
    // QuickTime stores UTC; the local offset is unknown.
    info.taken_source = "quicktime";
    time->utc_offset_minutes.reset();
    if (time->local <= 0) time.reset();  // 1904/1970 "no date" placeholders
  }
  if (time) {
    out.taken_local = time->local;
    info.utc_offset_minutes = time->utc_offset_minutes;
  }
  for (const char* key : {"com.apple.quicktime.location.ISO6709", "location"}) {
    if (!info.latitude) ParseIso6709(Tag(ctx->metadata, key), info);
  }
  info.make = Tag(ctx->metadata, "com.apple.quicktime.make");
  if (info.make.empty()) info.make = Tag(ctx->metadata, "com.android.manufacturer");
  info.model = Tag(ctx->metadata, "com.apple.quicktime.model");
  if (info.model.empty()) info.model = Tag(ctx->metadata, "com.android.model");
  return out;
}

}  // namespace shoebox::media
