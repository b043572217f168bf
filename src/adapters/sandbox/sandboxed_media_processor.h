// The MediaProcessor adapter: every decode runs in a child process (shoebox-media for libvips
// and exiv2 work, ffmpeg for video frames and transcodes) under an address-space limit, a CPU
// limit and a wall-clock limit.
#pragma once

#include <memory>
#include <string>

#include "ports/media_processor.h"

namespace shoebox::sandbox {

struct SandboxSettings {
  std::string media_tool;  // path of shoebox-media
  std::string ffmpeg = "ffmpeg";
  std::int64_t memory_limit_bytes = 3LL << 30;
  std::int64_t photo_seconds = 60;    // wall clock for one photo operation
  std::int64_t video_seconds = 3600;  // wall clock for one transcode
  std::int64_t max_decode_pixels = 100'000'000;
  int threads = 1;  // per child: the job workers already run one child per core
  std::string work_dir;  // where children may write (FSIZE limit applies to their files)
};

std::unique_ptr<MediaProcessor> NewSandboxedMediaProcessor(const SandboxSettings& settings);

// shoebox-media next to the running executable.
std::string DefaultMediaToolPath();

}  // namespace shoebox::sandbox
