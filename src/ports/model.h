// The records the metadata store keeps. Plain values; the rules about them live in services/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace shoebox {

// Original keeps the uploaded bytes; Storage saver re-encodes large photos and videos.
enum class Quality { kOriginal, kStorageSaver };

// A quality's name, the same in every database and in the API.
inline std::string_view QualityName(Quality quality) {
  return quality == Quality::kStorageSaver ? "storage_saver" : "original";
}
inline std::optional<Quality> ParseQuality(std::string_view name) {
  if (name == "original") return Quality::kOriginal;
  if (name == "storage_saver") return Quality::kStorageSaver;
  return std::nullopt;
}

struct User {
  std::string id;
  std::string email;  // lower-cased
  std::string name;
  std::string password_hash;  // argon2id, libsodium's crypto_pwhash_str format
  bool is_admin = false;
  bool disabled = false;
  std::optional<std::int64_t> quota_bytes;  // nullopt: unlimited
  std::int64_t used_bytes = 0;              // sum of the sizes of the user's stored originals
  // The user's folder under library/ on the local store, unique, e.g. "alice".
  std::string storage_label;
  UnixMillis created_at = 0;
  Quality default_quality = Quality::kOriginal;  // for uploads that do not say
};

enum class CredentialKind { kSession, kApiKey };

// A login session or a per-device API key. Only the SHA-256 of the secret is stored.
struct Credential {
  std::string id;
  std::string user_id;
  std::string secret_hash;
  CredentialKind kind = CredentialKind::kSession;
  std::string name;  // device name for API keys, user agent for sessions
  UnixMillis created_at = 0;
  UnixMillis last_used_at = 0;
  std::optional<UnixMillis> expires_at;
};

enum class MediaKind { kUnknown, kPhoto, kVideo };

// A kind's name, the same in every database.
inline std::string_view MediaKindName(MediaKind kind) {
  switch (kind) {
    case MediaKind::kPhoto: return "photo";
    case MediaKind::kVideo: return "video";
    case MediaKind::kUnknown: break;
  }
  return "unknown";
}

inline MediaKind ParseMediaKind(std::string_view name) {
  if (name == "photo") return MediaKind::kPhoto;
  if (name == "video") return MediaKind::kVideo;
  return MediaKind::kUnknown;
}

// What the media pipeline learnt from a file's contents. Plain values; fields a file does not
// carry stay empty.
struct MediaInfo {
  // The local clock time of capture is taken_at + utc_offset_minutes. When the offset is unknown
  // taken_at holds the local wall-clock time read as if it were UTC (as cameras without a time
  // zone record it), so the day shown is still the day on the camera's clock.
  std::optional<int> utc_offset_minutes;
  // Where taken_at came from: "exif", "exif+gps" (offset from the GPS clock), "xmp",
  // "quicktime", "filename", "mtime", "upload".
  std::string taken_source;
  std::int64_t width = 0;   // as displayed, orientation applied
  std::int64_t height = 0;
  int orientation = 1;      // EXIF orientation 1..8
  std::optional<double> latitude;
  std::optional<double> longitude;
  std::optional<double> altitude;
  std::string make;
  std::string model;
  std::string lens;
  std::optional<double> focal_length_mm;
  std::optional<double> f_number;
  std::optional<double> exposure_seconds;
  std::optional<std::int64_t> iso;
  std::optional<std::int64_t> duration_ms;
  std::optional<double> frame_rate;
  std::string container;    // demuxer name for videos, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
  std::string video_codec;  // e.g. "h264", "hevc"
  std::string audio_codec;
  std::optional<std::int64_t> bit_rate;
  // Android motion photo: the MP4 appended to the JPEG is the last `motion_video_bytes` bytes.
  std::optional<std::int64_t> motion_video_bytes;
};

enum class MediaState { kPending, kReady, kFailed };

// A state's name, the same in every database and in the API.
inline std::string_view MediaStateName(MediaState state) {
  switch (state) {
    case MediaState::kReady: return "ready";
    case MediaState::kFailed: return "failed";
    case MediaState::kPending: break;
  }
  return "pending";
}

inline MediaState ParseMediaState(std::string_view name) {
  if (name == "ready") return MediaState::kReady;
  if (name == "failed") return MediaState::kFailed;
  return MediaState::kPending;
}

struct Asset {
  std::string id;
  std::string owner_id;
  std::string sha256;  // of the original as uploaded
  std::string blob_key;
  std::string original_name;
  std::string mime_type;
  MediaKind kind = MediaKind::kUnknown;
  std::int64_t size_bytes = 0;
  UnixMillis taken_at = 0;  // capture time; the file's mtime until metadata extraction lands
  std::optional<UnixMillis> file_mtime;
  UnixMillis uploaded_at = 0;
  std::string device_id;
  std::string device_asset_id;
  bool is_favorite = false;
  bool is_archived = false;
  std::optional<UnixMillis> trashed_at;

  // --- Media pipeline.
  MediaInfo media;
  MediaState media_state = MediaState::kPending;
  std::string media_error;  // why processing failed, for the owner
  std::string thumbnail_key;  // derived files; empty until made
  std::string preview_key;
  std::string playback_key;   // web-playable video when the original is not; empty otherwise
  // Live / motion photo: the other half of the pair. The video half stays out of the timeline.
  std::string live_pair_id;
  bool is_live_motion = false;

  // --- Storage saver. The device asked for it (or its owner's default says so).
  Quality quality = Quality::kOriginal;
  // Set once converted: the SHA-256 of the stored bytes (blob_key). `sha256` stays the
  // checksum of what the device uploaded, so the device knows the file is backed up.
  std::string content_sha256;
  // The uploaded original, kept after conversion until `source_until`, then deleted.
  std::string source_key;
  std::int64_t source_size_bytes = 0;
  std::optional<UnixMillis> source_until;

  // --- Sharing. A copy of the stored bytes without the place they were taken, for share links
  // that hide it; made when first asked for, named after the bytes it was made from.
  std::string location_free_key;

  bool converted() const { return !content_sha256.empty(); }
  // The checksum of the bytes at blob_key.
  const std::string& stored_sha256() const { return converted() ? content_sha256 : sha256; }
};

// What an uploader said about a file in tus Upload-Metadata.
struct UploadMetadata {
  std::string filename;
  std::string sha256;  // optional; verified on completion when present
  std::optional<UnixMillis> mtime;
  std::string device_id;
  std::string device_asset_id;
  // From the device's backup setting; nullopt: the owner's default.
  std::optional<Quality> quality;
};

enum class UploadState { kReceiving, kCompleted };

struct Upload {
  std::string id;
  std::string owner_id;
  std::int64_t length = 0;
  std::int64_t offset = 0;      // bytes durably received
  std::string hash_state;       // Sha256Stream state at `offset`
  UploadMetadata metadata;
  std::string mime_type;        // detected from content once the first bytes arrived
  MediaKind kind = MediaKind::kUnknown;
  UploadState state = UploadState::kReceiving;
  std::string final_key;        // blob key chosen for the original, once chosen
  std::string asset_id;         // when completed
  bool duplicate = false;       // completed into an asset that already existed
  UnixMillis created_at = 0;
  UnixMillis updated_at = 0;
  UnixMillis expires_at = 0;
};

// An album: an owner's chosen assets in the owner's order, shared with other users of the
// server (as viewers or contributors) and by link.
enum class AlbumRole { kViewer, kContributor, kOwner };

// A role's name, the same in every database and in the API.
inline std::string_view AlbumRoleName(AlbumRole role) {
  switch (role) {
    case AlbumRole::kOwner: return "owner";
    case AlbumRole::kContributor: return "contributor";
    case AlbumRole::kViewer: break;
  }
  return "viewer";
}
inline std::optional<AlbumRole> ParseAlbumRole(std::string_view name) {
  for (AlbumRole role : {AlbumRole::kViewer, AlbumRole::kContributor, AlbumRole::kOwner}) {
    if (AlbumRoleName(role) == name) return role;
  }
  return std::nullopt;
}

struct Album {
  std::string id;
  std::string owner_id;
  std::string name;
  std::string description;
  std::string cover_asset_id;  // the owner's choice; empty: the first item
  UnixMillis created_at = 0;
  UnixMillis updated_at = 0;
  // Worked out when read, over the items not in the trash.
  std::string owner_name;
  std::int64_t asset_count = 0;
  std::string cover_id;  // the chosen cover while it is an item, else the first item; may be empty
  std::optional<UnixMillis> first_taken_at;
  std::optional<UnixMillis> last_taken_at;
};

struct AlbumMember {
  std::string user_id;
  std::string name;
  std::string email;
  AlbumRole role = AlbumRole::kViewer;
  UnixMillis added_at = 0;
};

// A public link to an album. Whoever has the key (and the password, if set) sees the album's
// items and nothing else.
struct ShareLink {
  std::string id;
  std::string album_id;
  std::string key;            // the secret part of the link's URL
  std::string password_hash;  // argon2id; empty: no password
  std::optional<UnixMillis> expires_at;
  bool allow_download = true;
  bool show_location = false;
  UnixMillis created_at = 0;
};

}  // namespace shoebox
