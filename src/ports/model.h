// The records the metadata store keeps. Plain values; the rules about them live in services/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/clock.h"

namespace shoebox {

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
};

// What an uploader said about a file in tus Upload-Metadata.
struct UploadMetadata {
  std::string filename;
  std::string sha256;  // optional; verified on completion when present
  std::optional<UnixMillis> mtime;
  std::string device_id;
  std::string device_asset_id;
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

}  // namespace shoebox
