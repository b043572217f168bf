// Uploads one file through the server's tus endpoint, resuming from the offset the server
// reports after any failure, with exponential backoff between attempts.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "client/http_client.h"

namespace shoebox::client {

struct UploadOptions {
  std::string token;                     // bearer token or API key
  std::int64_t chunk_bytes = 64 << 20;   // per PATCH; keep below a proxy's body cap
  int max_attempts = 8;
  std::string device_id;
  std::string device_asset_id;
  std::string sha256;                    // computed when empty
  std::string resume_url;                // continue this upload instead of creating one
  std::string quality;                   // "original" | "storage-saver"; empty: the user's default
  // Called before the upload is created and before every PATCH, with the offset about to be
  // sent: may wait (a backup rule stopped holding) or fail to stop the upload where it is.
  std::function<Result<void>(std::int64_t offset)> before_chunk;
  // Called once the server has the upload's URL and after every acknowledged chunk, so a caller
  // can remember where to resume after a crash.
  std::function<void(const std::string& url, std::int64_t offset)> on_progress;
  // Called with every block of bytes read for sending (progress bars, bandwidth caps; it may
  // sleep). An error stops the upload at once (the request is cut; the upload can be resumed).
  std::function<Result<void>(std::size_t bytes)> on_read;
};

struct UploadOutcome {
  std::string asset_id;
  bool duplicate = false;
  std::string upload_url;
};

// Errors carry the server's code when it refused (e.g. kPhotoTooLarge); kUnavailable after
// `max_attempts` failed connections.
Result<UploadOutcome> UploadFile(HttpClient& http, const std::filesystem::path& file,
                                 const UploadOptions& options);

// SHA-256 of a file in lower-case hex.
Result<std::string> HashFile(const std::filesystem::path& file);

// The Error a non-2xx reply stands for (code from its JSON body when present).
Error ErrorFromReply(const HttpReply& reply);

}  // namespace shoebox::client
