#include "services/media_service.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <vector>

#include "core/hashing.h"
#include "core/ids.h"
#include "services/file_name_date.h"
#include "services/media_rules.h"

namespace shoebox {
namespace fs = std::filesystem;
namespace {

// Scratch files of one job, removed when the job is done whatever happened.
class Scratch {
 public:
  explicit Scratch(const std::string& dir) : prefix_((fs::path(dir) / RandomToken(8)).string()) {}
  Scratch(const Scratch&) = delete;
  ~Scratch() {
    for (const std::string& path : paths_) {
      std::error_code ec;
      fs::remove(path, ec);
    }
  }
  std::string File(const std::string& name) {
    paths_.push_back(prefix_ + "-" + name);
    return paths_.back();
  }

 private:
  std::string prefix_;
  std::vector<std::string> paths_;
};

// A local path with the bytes of `key`: the store's own file when it has one, else a copy.
Result<std::string> Materialize(BlobStore& blobs, const std::string& key, Scratch& scratch,
                                std::int64_t offset = 0, std::optional<std::int64_t> length = {}) {
  if (offset == 0 && !length) {
    if (auto local = blobs.LocalPath(key)) return *local;
  }
  SHOEBOX_ASSIGN(BlobInfo info, blobs.Stat(key));
  std::string path = scratch.File(fs::path(key).filename().string());
  SHOEBOX_ASSIGN(auto reader, blobs.Read(key, offset, length.value_or(info.size - offset)));
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::vector<char> buffer(1 << 20);
  while (true) {
    SHOEBOX_ASSIGN(std::size_t n, reader->Read(buffer));
    if (n == 0) break;
    out.write(buffer.data(), static_cast<std::streamsize>(n));
  }
  out.close();
  if (!out) return MakeError(ErrorCode::kInsufficientStorage, "cannot write " + path);
  return path;
}

Result<std::string> HashFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kInternal, "cannot read " + path);
  Sha256Stream hash;
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    hash.Update(std::span<const char>(buffer.data(), static_cast<std::size_t>(in.gcount())));
  }
  return hash.FinishHex();
}

std::string DerivedKey(const Asset& asset, const std::string& name, UnixMillis stamp,
                       const std::string& extension) {
  // The stamp makes every version a new key, so URLs built from keys can be cached forever.
  return "derived/" + asset.id + "/" + name + "-" + std::to_string(stamp) + extension;
}

std::string Stem(const std::string& name) {
  auto dot = name.rfind('.');
  return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

}  // namespace

Result<void> MediaService::Run(const Job& job) {
  auto asset = assets_.Get(job.asset_id);
  if (!asset && asset.error().code == ErrorCode::kNotFound) return {};  // purged meanwhile
  if (!asset) return asset.error();
  if (asset->trashed_at && job.kind != JobKind::kPurgeSource) return {};
  switch (job.kind) {
    case JobKind::kMetadata: return ExtractMetadata(*asset);
    case JobKind::kThumbnails: return MakeThumbnails(*asset);
    case JobKind::kPlayback: return MakePlayback(*asset);
    case JobKind::kStorageSaver: return Convert(*asset);
    case JobKind::kPurgeSource: return PurgeSource(*asset);
  }
  return {};
}

Result<JobOverview> MediaService::Overview(int failed_limit) {
  JobOverview overview;
  SHOEBOX_ASSIGN(overview.counts, jobs_.Counts());
  SHOEBOX_ASSIGN(overview.failed, jobs_.ListFailed(failed_limit));
  return overview;
}

Result<std::int64_t> MediaService::Rerun(JobKind kind, std::optional<MediaKind> only) {
  return jobs_.EnqueueForAll(kind, only, clock_.Now());
}

bool MediaService::BrowserPlayable(const Asset& a) const {
  return shoebox::BrowserPlayable(a, settings_.playback_max_bit_rate);
}

bool MediaService::NeedsConversion(const Asset& a) const {
  if (a.quality != Quality::kStorageSaver || a.converted()) return false;
  if (a.kind == MediaKind::kPhoto) {
    // Only camera formats with lossy compression are re-encoded: GIF animations, lossless PNG
    // and RAW files (the reason to keep them) stay as they are.
    static const char* const kConvertible[] = {"image/jpeg", "image/heic", "image/heif",
                                               "image/webp", "image/avif", "image/tiff"};
    if (std::find(std::begin(kConvertible), std::end(kConvertible), a.mime_type) ==
        std::end(kConvertible)) {
      return false;
    }
    return a.media.width * a.media.height > settings_.saver_photo_max_pixels;
  }
  if (a.kind == MediaKind::kVideo) {
    return std::min(a.media.width, a.media.height) > settings_.saver_video_max_height;
  }
  return false;
}

Result<void> MediaService::ExtractMetadata(const Asset& asset) {
  Scratch scratch(settings_.work_dir);
  SHOEBOX_ASSIGN(std::string source, Materialize(blobs_, asset.blob_key, scratch));
  SHOEBOX_ASSIGN(MediaInspection inspection, processor_.Inspect(source, asset.kind));
  MediaInfo info = inspection.info;
  UnixMillis taken_at = asset.uploaded_at;
  // The file's own record first, then its name, then its modification time.
  if (asset.converted() && !inspection.taken_local) {
    // A converted video keeps no metadata of its own: what the source said still holds.
    taken_at = asset.taken_at;
    info.utc_offset_minutes = asset.media.utc_offset_minutes;
    info.taken_source = asset.media.taken_source;
    if (!info.latitude) {
      info.latitude = asset.media.latitude;
      info.longitude = asset.media.longitude;
      info.altitude = asset.media.altitude;
    }
    if (info.make.empty()) info.make = asset.media.make;
    if (info.model.empty()) info.model = asset.media.model;
  } else if (inspection.taken_local) {
    taken_at = *inspection.taken_local;
    if (info.utc_offset_minutes) taken_at -= *info.utc_offset_minutes * 60'000LL;
  } else if (auto from_name = CaptureTimeFromFileName(asset.original_name)) {
    taken_at = *from_name;
    info.taken_source = "filename";
    info.utc_offset_minutes.reset();
  } else if (asset.file_mtime) {
    taken_at = *asset.file_mtime;
    info.taken_source = "mtime";
    info.utc_offset_minutes.reset();
  } else {
    info.taken_source = "upload";
    info.utc_offset_minutes.reset();
  }
  MediaPatch patch;
  patch.taken_at_and_info = std::make_pair(taken_at, info);
  SHOEBOX_ASSIGN(Asset updated, assets_.UpdateMedia(asset.id, patch));
  SHOEBOX_TRY(PairLivePhoto(updated));

  UnixMillis now = clock_.Now();
  std::vector<JobRequest> next = {{JobKind::kThumbnails, asset.id, now}};
  if ((updated.kind == MediaKind::kVideo && !BrowserPlayable(updated)) ||
      updated.media.motion_video_bytes) {
    next.push_back({JobKind::kPlayback, asset.id, now});
  }
  if (NeedsConversion(updated)) next.push_back({JobKind::kStorageSaver, asset.id, now});
  return jobs_.Enqueue(next, now);
}

// An iPhone Live Photo arrives as two files with one base name (IMG_0001.HEIC + IMG_0001.MOV)
// and the same capture time; the video half then plays inside the photo, not on its own.
Result<void> MediaService::PairLivePhoto(const Asset& asset) {
  if (asset.kind == MediaKind::kUnknown) return {};
  SHOEBOX_ASSIGN(auto candidates, assets_.FindByNameStem(asset.owner_id, Stem(asset.original_name)));
  for (const Asset& other : candidates) {
    if (other.id == asset.id || other.kind == asset.kind || other.kind == MediaKind::kUnknown) continue;
    if (other.media.taken_source.empty() || other.media.taken_source == "upload" ||
        other.media.taken_source == "mtime") {
      continue;  // its metadata is not read yet; its own job pairs them
    }
    if (std::abs(other.taken_at - asset.taken_at) > 2000) continue;
    const Asset& photo = asset.kind == MediaKind::kPhoto ? asset : other;
    const Asset& video = asset.kind == MediaKind::kVideo ? asset : other;
    MediaPatch photo_patch;
    photo_patch.live_pair_id = video.id;
    SHOEBOX_TRY(assets_.UpdateMedia(photo.id, photo_patch));
    MediaPatch video_patch;
    video_patch.live_pair_id = photo.id;
    video_patch.is_live_motion = true;
    SHOEBOX_TRY(assets_.UpdateMedia(video.id, video_patch));
    return {};
  }
  return {};
}

Result<void> MediaService::MakeThumbnails(const Asset& asset) {
  Scratch scratch(settings_.work_dir);
  SHOEBOX_ASSIGN(std::string source, Materialize(blobs_, asset.blob_key, scratch));
  ImageTargets targets = settings_.image;
  targets.mime_type = asset.mime_type;
  if (asset.kind == MediaKind::kVideo) {
    std::string poster = scratch.File("poster.jpg");
    SHOEBOX_TRY(processor_.ExtractPoster(source, poster));
    source = poster;
    targets.mime_type = "image/jpeg";
  }
  targets.thumbnail = scratch.File("thumbnail.webp");
  targets.preview = scratch.File("preview.jpg");
  SHOEBOX_TRY(processor_.MakeImageDerivatives(source, targets));
  UnixMillis stamp = clock_.Now();
  std::string thumbnail_key = DerivedKey(asset, "thumbnail", stamp, ".webp");
  std::string preview_key = DerivedKey(asset, "preview", stamp, ".jpg");
  SHOEBOX_TRY(blobs_.PutFile(thumbnail_key, targets.thumbnail));
  SHOEBOX_TRY(blobs_.PutFile(preview_key, targets.preview));
  MediaPatch patch;
  patch.thumbnail_key = thumbnail_key;
  patch.preview_key = preview_key;
  patch.state = MediaState::kReady;
  patch.error = "";
  SHOEBOX_TRY(assets_.UpdateMedia(asset.id, patch));
  return {};
}

Result<Asset> MediaService::LocationFreeCopy(const Asset& asset) {
  // Named after the bytes it comes from: a conversion or a restored original makes a new one.
  std::string stem = "derived/" + asset.id + "/no-location-" + asset.stored_sha256().substr(0, 16);
  if (asset.location_free_key.starts_with(stem) && blobs_.Stat(asset.location_free_key)) {
    return asset;
  }
  std::string extension = fs::path(asset.blob_key).extension().string();
  Scratch scratch(settings_.work_dir);
  SHOEBOX_ASSIGN(std::string source, Materialize(blobs_, asset.blob_key, scratch));
  std::string output = scratch.File("no-location" + extension);
  std::string fallback = scratch.File("no-location.jpg");
  SHOEBOX_ASSIGN(std::string written, processor_.StripLocation(source, output, fallback, asset.kind));
  std::string key = stem + (written == fallback ? ".jpg" : extension);
  SHOEBOX_TRY(blobs_.PutFile(key, written));
  MediaPatch patch;
  patch.location_free_key = key;
  return assets_.UpdateMedia(asset.id, patch);
}

Result<void> MediaService::MakePlayback(const Asset& asset) {
  Scratch scratch(settings_.work_dir);
  std::string output = scratch.File("playback.mp4");
  if (asset.kind == MediaKind::kPhoto && asset.media.motion_video_bytes) {
    // Android motion photo: the video is the file's tail, copied out as it is.
    std::int64_t length = *asset.media.motion_video_bytes;
    SHOEBOX_ASSIGN(std::string tail, Materialize(blobs_, asset.blob_key, scratch,
                                                 asset.size_bytes - length, length));
    fs::rename(tail, output);
  } else if (asset.kind == MediaKind::kVideo && !BrowserPlayable(asset)) {
    SHOEBOX_ASSIGN(std::string source, Materialize(blobs_, asset.blob_key, scratch));
    VideoTarget target;
    target.output = output;
    target.max_height = settings_.playback_max_height;
    SHOEBOX_TRY(processor_.TranscodeVideo(source, target));
  } else {
    MediaPatch patch;
    patch.playback_key = "";  // the original plays as it is
    SHOEBOX_TRY(assets_.UpdateMedia(asset.id, patch));
    return {};
  }
  std::string key = DerivedKey(asset, "playback", clock_.Now(), ".mp4");
  SHOEBOX_TRY(blobs_.PutFile(key, output));
  MediaPatch patch;
  patch.playback_key = key;
  SHOEBOX_TRY(assets_.UpdateMedia(asset.id, patch));
  return {};
}

Result<void> MediaService::Convert(const Asset& asset) {
  if (!NeedsConversion(asset)) return {};
  Scratch scratch(settings_.work_dir);
  SHOEBOX_ASSIGN(std::string source, Materialize(blobs_, asset.blob_key, scratch));
  std::string extension;
  std::string output;
  if (asset.kind == MediaKind::kPhoto) {
    PhotoConversion conversion;
    conversion.max_pixels = settings_.saver_photo_max_pixels;
    conversion.heic = asset.mime_type == "image/heic" && processor_.CanWriteHeic();
    extension = conversion.heic ? ".heic" : ".jpg";
    conversion.output = output = scratch.File("saver" + extension);
    SHOEBOX_TRY(processor_.ConvertPhoto(source, conversion));
  } else {
    VideoTarget target;
    target.max_height = settings_.saver_video_max_height;
    extension = ".mp4";
    target.output = output = scratch.File("saver.mp4");
    SHOEBOX_TRY(processor_.TranscodeVideo(source, target));
  }
  SHOEBOX_ASSIGN(std::string sha256, HashFile(output));
  std::error_code ec;
  auto size = static_cast<std::int64_t>(fs::file_size(output, ec));
  if (ec) return MakeError(ErrorCode::kInternal, "converted file vanished: " + ec.message());
  // Next to the original, under the same name with the new extension ("IMG_0001 (1).jpg" when
  // that name is taken, e.g. by the original itself).
  std::string parent = fs::path(asset.blob_key).parent_path().generic_string();
  std::string wanted = parent + "/" + Stem(fs::path(asset.blob_key).filename().string()) + extension;
  std::string key;
  for (int attempt = 0;; ++attempt) {
    SHOEBOX_ASSIGN(key, blobs_.FreeKey(wanted, [this](const std::string& k) {
                     auto owed = assets_.IsPendingBlobDeletion(k);
                     return !owed || *owed;
                   }));
    auto put = blobs_.PutFile(key, output);
    if (put) break;
    if (put.error().code != ErrorCode::kConflict || attempt >= 5) return put.error();
  }
  UnixMillis now = clock_.Now();
  Conversion conversion{key, size, sha256, now + settings_.saver_keep_source_days * kMillisPerDay};
  auto applied = assets_.ApplyConversion(asset.id, conversion);
  if (!applied) {
    (void)blobs_.Remove(key);
    return applied.error().code == ErrorCode::kConflict ? Result<void>() : Result<void>(applied.error());
  }
  // The stored file changed: read its metadata (dimensions) and make its derivatives again.
  return jobs_.Enqueue({{JobKind::kPurgeSource, asset.id, conversion.keep_source_until},
                        {JobKind::kMetadata, asset.id, now}},
                       now);
}

Result<void> MediaService::PurgeSource(const Asset& asset) {
  if (asset.source_key.empty() || !asset.source_until) return {};
  UnixMillis now = clock_.Now();
  if (*asset.source_until > now) {
    // Not yet: come back when it is due (this job runs once more after it finishes).
    return jobs_.Enqueue({{JobKind::kPurgeSource, asset.id, *asset.source_until}}, now);
  }
  return assets_.DropSource(asset.id);
}

}  // namespace shoebox
