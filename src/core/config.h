// Server configuration: defaults, overridden by a TOML file, overridden by SHOEBOX_* environment
// variables, overridden by command-line flags. Every key `section.name` has the environment
// variable SHOEBOX_SECTION_NAME (e.g. server.listen -> SHOEBOX_SERVER_LISTEN).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"

namespace shoebox {

inline constexpr const char* kDefaultListen = "127.0.0.1:3420";

struct ServerConfig {
  // [storage] Local folder: the library when no S3 bucket is set, the embedded database when no
  // database.url is set, and always the scratch space for media work.
  std::string data_dir = "shoebox-data";
  // An S3-compatible bucket for originals, derived files and uploads in progress (shared by
  // every instance). Empty s3_bucket: files live in data_dir.
  std::string s3_endpoint;  // "https://s3.eu-west-1.amazonaws.com", "http://127.0.0.1:9000"
  std::string s3_region = "us-east-1";
  std::string s3_bucket;
  std::string s3_access_key;
  std::string s3_secret_key;
  bool s3_path_style = true;  // false: bucket.host (virtual-host addressing)
  std::string s3_prefix;      // keys start with this inside the bucket, e.g. "shoebox/"
  std::int64_t s3_part_mb = 16;
  // [database] Empty: SQLite in data_dir. "postgresql://user:password@host:5432/shoebox":
  // PostgreSQL, which several instances can share.
  std::string database_url;
  std::int64_t database_pool_size = 16;
  // [server]
  std::string listen = kDefaultListen;
  // "all" (HTTP and media jobs), "api" (HTTP only; jobs are queued for workers) or "worker"
  // (media jobs and maintenance, no HTTP).
  std::string role = "all";
  std::int64_t io_threads = 2;
  // Threads that run request handlers (database, disk); bounds concurrent blocking work.
  std::int64_t worker_threads = 32;
  std::int64_t idle_timeout_seconds = 75;
  // Longest wait for the next bytes of a request body or for the client to take response bytes.
  std::int64_t body_timeout_seconds = 30;
  std::int64_t max_header_bytes = 16 * 1024;
  std::int64_t max_json_body_bytes = 8 * 1024 * 1024;
  std::int64_t shutdown_grace_seconds = 10;
  // Comma-separated addresses of reverse proxies whose X-Forwarded-For is believed (for logs and
  // the login rate limit), e.g. "127.0.0.1,::1" with nginx on the same machine.
  std::string trusted_proxies;
  // [limits] (decimal units, as Google Photos publishes them)
  std::int64_t photo_max_bytes = 75'000'000;
  std::int64_t photo_max_pixels = 100'000'000;
  std::int64_t video_max_bytes = 10'000'000'000;
  // [uploads]
  // The largest body one PATCH may carry; put it under a proxy's body cap (Cloudflare: 100 MB).
  std::int64_t max_patch_bytes = 10'000'000'000;
  std::int64_t upload_expire_hours = 24;
  // How long a request's hold on an upload outlives it when its instance dies without letting
  // go (SIGKILL, power loss): another instance may continue the upload after this.
  std::int64_t upload_lease_seconds = 60;
  // [trash]
  std::int64_t trash_retention_days = 60;
  // [auth]
  std::int64_t session_days = 30;
  std::int64_t login_max_failures = 10;
  std::int64_t login_window_minutes = 15;
  bool cookie_secure = false;
  // [maintenance]
  std::int64_t maintenance_interval_seconds = 300;
  // [jobs] Media job workers of this instance; 0 means one per core. With jobs.enabled false this
  // instance only queues jobs (another instance, or a later start, runs them).
  bool jobs_enabled = true;
  std::int64_t job_workers = 0;
  std::int64_t job_max_attempts = 5;
  std::int64_t job_retry_base_seconds = 30;
  // A running job's lease (renewed every third of it): after a worker dies, its jobs wait this
  // long before another worker takes them.
  std::int64_t job_lease_seconds = 120;
  // [media] Every decode runs in the sandboxed helper under these limits.
  std::string media_tool;  // path of shoebox-media; empty: next to shoebox-server
  // [web] The built web app (web/ built by scripts/build); empty: ../web beside the binary.
  std::string web_root;
  std::string ffmpeg = "ffmpeg";
  std::int64_t media_memory_limit_mb = 3072;
  std::int64_t media_photo_timeout_seconds = 60;
  std::int64_t media_video_timeout_seconds = 3600;
  std::int64_t thumbnail_size = 250;   // short side, WebP
  std::int64_t preview_size = 1440;    // long side, JPEG
  std::int64_t image_quality = 80;
  std::int64_t playback_max_height = 1080;
  std::int64_t playback_max_bit_rate = 20'000'000;  // originals above it are transcoded too
  // [storage_saver]
  std::int64_t saver_photo_max_pixels = 16'000'000;
  std::int64_t saver_video_max_height = 1080;
  std::int64_t saver_keep_original_days = 30;
  // [log]
  std::string log_level = "info";
  std::string log_format = "json";
  // [metrics]
  bool metrics_enabled = true;
};

// Builds the configuration. `config_file` may be empty (no file); `environment` holds the process
// environment (name -> value); `flags` holds command-line overrides by key ("server.listen").
// Fails with kBadRequest naming the key on an unknown key, a wrong type or an unreadable file.
Result<ServerConfig> LoadServerConfig(const std::string& config_file,
                                      const std::map<std::string, std::string>& environment,
                                      const std::map<std::string, std::string>& flags);

std::map<std::string, std::string> CurrentEnvironment();

// All keys with their current values, for `shoebox-server config` and the docs.
std::vector<std::pair<std::string, std::string>> DescribeConfig(const ServerConfig& config);

}  // namespace shoebox
