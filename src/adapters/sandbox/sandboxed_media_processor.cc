#include "adapters/sandbox/sandboxed_media_processor.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>

#include "adapters/media/video_probe.h"
#include "adapters/sandbox/child_process.h"
#include "ports/media_info_json.h"

namespace shoebox::sandbox {
namespace {

std::string Tail(const std::string& text) {
  std::string tail = text.size() > 300 ? text.substr(text.size() - 300) : text;
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
  return tail;
}

// Maps how the child ended to the port's error codes.
Result<nlohmann::json> Interpret(const ChildOutcome& outcome, const std::string& what) {
  if (outcome.timed_out) {
    return MakeError(ErrorCode::kMediaTimeout, what + " took too long and was stopped");
  }
  if (outcome.signal == SIGXCPU) {
    return MakeError(ErrorCode::kMediaTimeout, what + " used up its CPU time and was stopped");
  }
  if (outcome.signal != 0) {
    return MakeError(ErrorCode::kMediaDecoderCrashed,
                     what + " crashed (signal " + std::to_string(outcome.signal) + ", " +
                         strsignal(outcome.signal) + ")");
  }
  auto body = nlohmann::json::parse(outcome.out, nullptr, false);
  if (body.is_object() && body.contains("error")) {
    std::string code = body["error"].value("code", "");
    std::string message = body["error"].value("message", "");
    if (code == "photo_too_many_pixels") return MakeError(ErrorCode::kPhotoTooManyPixels, message);
    return MakeError(ErrorCode::kMediaUnreadable, message);
  }
  if (outcome.exit_code == 0 && body.is_object() && body.value("ok", false)) {
    return Result<nlohmann::json>(boost::system::in_place_value, std::move(body));
  }
  std::string err = Tail(outcome.err_tail);
  if (err.find("std::bad_alloc") != std::string::npos ||
      err.find("annot allocate memory") != std::string::npos ||
      err.find("out of memory") != std::string::npos) {
    return MakeError(ErrorCode::kMediaDecoderCrashed, what + " ran out of memory");
  }
  return MakeError(ErrorCode::kMediaDecoderCrashed,
                   what + " failed (exit " + std::to_string(outcome.exit_code) + ")" +
                       (err.empty() ? "" : ": " + err));
}

class SandboxedMediaProcessor final : public MediaProcessor {
 public:
  explicit SandboxedMediaProcessor(const SandboxSettings& s) : s_(s) {
    std::map<std::string, std::string> base;
    for (const char* name : {"PATH", "LANG", "TMPDIR"}) {
      if (const char* value = std::getenv(name)) base[name] = value;
    }
    // Few malloc arenas keep the virtual size (and so RLIMIT_AS) meaningful with threads.
    base["MALLOC_ARENA_MAX"] = "2";
    base["VIPS_CONCURRENCY"] = std::to_string(s.threads);
    base["VIPS_WARNING"] = "0";
    env_ = base;
  }

  Result<MediaInspection> Inspect(const std::string& path, MediaKind kind) override {
    SHOEBOX_ASSIGN(auto body, RunTool({"inspect", path, "--kind",
                                        kind == MediaKind::kVideo ? "video" : "photo",
                                        "--max-pixels", std::to_string(s_.max_decode_pixels)},
                                       s_.photo_seconds, "reading the metadata"));
    MediaInspection inspection;
    inspection.info = MediaInfoFromJson(body.value("info", nlohmann::json::object()));
    if (body.contains("taken_local") && body["taken_local"].is_number_integer()) {
      inspection.taken_local = body["taken_local"].get<std::int64_t>();
    }
    return inspection;
  }

  Result<void> MakeImageDerivatives(const std::string& source, const ImageTargets& t) override {
    auto result = RunTool({"derivatives", source, "--thumbnail", t.thumbnail, "--preview",
                           t.preview, "--thumbnail-size", std::to_string(t.thumbnail_short_side),
                           "--preview-size", std::to_string(t.preview_long_side), "--quality",
                           std::to_string(t.quality), "--mime", t.mime_type, "--max-pixels",
                           std::to_string(s_.max_decode_pixels)},
                          s_.photo_seconds, "making the thumbnail");
    if (!result) return result.error();
    return {};
  }

  Result<void> ExtractPoster(const std::string& video, const std::string& jpeg_out) override {
    // A frame a second in (past fades from black); the very first one for shorter clips.
    for (const char* at : {"1", "0"}) {
      std::vector<std::string> args = FfmpegInput(video, at);
      for (const char* a : {"-frames:v", "1", "-q:v", "2", "-update", "1", "-y"}) args.push_back(a);
      args.push_back(jpeg_out);
      auto result = RunFfmpeg(args, s_.photo_seconds, "extracting the poster frame");
      std::error_code ec;
      if (result && std::filesystem::file_size(jpeg_out, ec) > 0 && !ec) return {};
      if (!result && result.error().code != ErrorCode::kMediaUnreadable) return result.error();
    }
    return MakeError(ErrorCode::kMediaUnreadable, "no video frame could be decoded");
  }

  Result<void> TranscodeVideo(const std::string& source, const VideoTarget& t) override {
    std::vector<std::string> args = FfmpegInput(source, nullptr);
    std::string h = std::to_string(t.max_height);
    // The short side of the displayed (already rotated) frame becomes at most max_height.
    std::string scale = "scale=w='if(gt(iw,ih),-2,min(" + h + ",iw))':h='if(gt(iw,ih),min(" + h +
                        ",ih),-2)'";
    for (const std::string& a : std::vector<std::string>{
             "-map", "0:v:0", "-map", "0:a:0?", "-vf", scale + ",format=yuv420p", "-c:v",
             "libx264", "-preset", t.preset, "-crf", std::to_string(t.crf), "-profile:v", "high",
             "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-movflags", "+faststart",
             "-map_metadata", "-1", "-threads", std::to_string(s_.threads), "-y", t.output}) {
      args.push_back(a);
    }
    return RunFfmpeg(args, s_.video_seconds, "transcoding the video");
  }

  Result<void> ConvertPhoto(const std::string& source, const PhotoConversion& c) override {
    auto result = RunTool({"convert", source, "--output", c.output, "--output-pixels",
                           std::to_string(c.max_pixels), "--heic", c.heic ? "true" : "false",
                           "--quality", std::to_string(c.quality), "--max-pixels",
                           std::to_string(s_.max_decode_pixels)},
                          s_.photo_seconds, "converting the photo");
    if (!result) return result.error();
    return {};
  }

  Result<std::string> StripLocation(const std::string& source, const std::string& output,
                                    const std::string& fallback_jpeg, MediaKind kind) override {
    if (kind == MediaKind::kVideo) {
      std::vector<std::string> args = FfmpegInput(source, nullptr);
      for (const std::string& a : std::vector<std::string>{
               "-map", "0:v", "-map", "0:a?", "-c", "copy", "-map_metadata", "-1",
               "-map_metadata:s", "-1", "-movflags", "+faststart", "-y", output}) {
        args.push_back(a);
      }
      SHOEBOX_TRY(RunFfmpeg(args, s_.video_seconds, "removing the place from the video"));
      return output;
    }
    SHOEBOX_ASSIGN(auto body, RunTool({"strip-location", source, "--output", output,
                                       "--fallback-jpeg", fallback_jpeg, "--max-pixels",
                                       std::to_string(s_.max_decode_pixels)},
                                      s_.photo_seconds, "removing the place from the photo"));
    return body.value("output", output);
  }

  bool CanWriteHeic() override {
    std::call_once(heic_once_, [&] {
      auto body = RunTool({"can-write-heic"}, s_.photo_seconds, "checking the HEIC encoder");
      can_write_heic_ = body && body->value("heic", false);
    });
    return can_write_heic_;
  }

  void CancelAll() override { cancelled_ = true; }

 private:
  Result<nlohmann::json> RunTool(std::vector<std::string> args, std::int64_t seconds,
                                 const std::string& what) {
    args.insert(args.begin(), s_.media_tool);
    if (cancelled_) return MakeError(ErrorCode::kUnavailable, "stopped: the server is shutting down");
    auto outcome = RunChild(args, env_, Limits(seconds), &cancelled_);
    if (!outcome) return outcome.error();
    return Interpret(*outcome, what);
  }

  // FFmpeg reads nothing but `path`: only the file protocol and only container demuxers that
  // never open other files (no HLS, concat, DASH or image sequences).
  std::vector<std::string> FfmpegInput(const std::string& path, const char* seek) {
    std::vector<std::string> args = {s_.ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error",
                                     "-protocol_whitelist", "file", "-format_whitelist",
                                     media::kAllowedVideoDemuxers};
    if (seek != nullptr) {
      args.push_back("-ss");
      args.push_back(seek);
    }
    args.push_back("-i");
    args.push_back("file:" + path);
    return args;
  }

  Result<void> RunFfmpeg(const std::vector<std::string>& args, std::int64_t seconds,
                         const std::string& what) {
    if (cancelled_) return MakeError(ErrorCode::kUnavailable, "stopped: the server is shutting down");
    auto outcome = RunChild(args, env_, Limits(seconds), &cancelled_);
    if (!outcome) return outcome.error();
    if (outcome->exit_code == 0 && !outcome->timed_out && outcome->signal == 0) return {};
    if (outcome->exit_code > 0 && !outcome->timed_out) {
      return MakeError(ErrorCode::kMediaUnreadable,
                       what + " failed: " + Tail(outcome->err_tail));
    }
    auto interpreted = Interpret(*outcome, what);
    if (!interpreted) return interpreted.error();
    return {};
  }

  ChildLimits Limits(std::int64_t seconds) const {
    ChildLimits limits;
    limits.address_space_bytes = s_.memory_limit_bytes;
    limits.wall_seconds = seconds;
    limits.cpu_seconds = seconds * std::max(1, s_.threads) + 5;
    limits.file_size_bytes = 64LL << 30;
    return limits;
  }

  SandboxSettings s_;
  std::map<std::string, std::string> env_;
  std::once_flag heic_once_;
  bool can_write_heic_ = false;
  std::atomic<bool> cancelled_{false};
};

}  // namespace

std::unique_ptr<MediaProcessor> NewSandboxedMediaProcessor(const SandboxSettings& settings) {
  return std::make_unique<SandboxedMediaProcessor>(settings);
}

std::string DefaultMediaToolPath() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "shoebox-media";
  return (self.parent_path() / "shoebox-media").string();
}

}  // namespace shoebox::sandbox
