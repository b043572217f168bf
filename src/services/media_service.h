// The media pipeline's jobs: what each kind of job does to an asset. The JobRunner claims jobs
// and calls Run; this class decides, per job, the metadata, derived files, web playback and
// Storage saver conversion, and which jobs follow.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "ports/blob_store.h"
#include "ports/media_processor.h"
#include "ports/metadata_store.h"

namespace shoebox {

struct MediaSettings {
  std::string work_dir;  // local scratch folder on the same filesystem as a local blob store
  ImageTargets image;    // sizes and quality (paths are filled per job)
  int playback_max_height = 1080;
  std::int64_t playback_max_bit_rate = 20'000'000;  // browser-playable originals above it too
  std::int64_t saver_photo_max_pixels = 16'000'000;
  int saver_video_max_height = 1080;
  std::int64_t saver_keep_source_days = 30;
};

struct JobOverview {
  std::vector<JobCounts> counts;
  std::vector<Job> failed;  // most recent first
};

class MediaService {
 public:
  MediaService(AssetRepository& assets, JobRepository& jobs, BlobStore& blobs,
               MediaProcessor& processor, const Clock& clock, MediaSettings settings)
      : assets_(assets), jobs_(jobs), blobs_(blobs), processor_(processor), clock_(clock),
        settings_(std::move(settings)) {}

  // Does `job`. An error whose code is a media failure (kMediaUnreadable, kMediaTimeout,
  // kMediaDecoderCrashed, kPhotoTooManyPixels) is about the file and will not change on retry;
  // other errors (kUnavailable, kInsufficientStorage, kInternal) may.
  Result<void> Run(const Job& job);

  // Queue depth per kind and the latest failures.
  Result<JobOverview> Overview(int failed_limit = 50);
  // Queues `kind` again for every asset not in the trash (of `only` kind when given), e.g.
  // after a settings change. Returns how many were queued.
  Result<std::int64_t> Rerun(JobKind kind, std::optional<MediaKind> only);

  // Whether a browser plays this video as stored (H.264/AAC MP4, VP8/VP9/AV1 WebM, not too
  // large a bit rate).
  bool BrowserPlayable(const Asset& asset) const;

  // Whether Storage saver would convert this asset.
  bool NeedsConversion(const Asset& asset) const;

  // The asset with `location_free_key` naming a copy of its stored bytes without where it was
  // taken, made now (in the calling thread) when it is missing or was made from other bytes.
  // For share links that hide the place. kMediaUnreadable when the type cannot be rewritten.
  Result<Asset> LocationFreeCopy(const Asset& asset);

 private:
  Result<void> ExtractMetadata(const Asset& asset);
  Result<void> MakeThumbnails(const Asset& asset);
  Result<void> MakePlayback(const Asset& asset);
  Result<void> Convert(const Asset& asset);
  Result<void> PurgeSource(const Asset& asset);
  Result<void> PairLivePhoto(const Asset& asset);

  AssetRepository& assets_;
  JobRepository& jobs_;
  BlobStore& blobs_;
  MediaProcessor& processor_;
  const Clock& clock_;
  MediaSettings settings_;
};

}  // namespace shoebox
