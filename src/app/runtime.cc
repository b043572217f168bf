#include "app/runtime.h"

#include <spdlog/spdlog.h>

#include <boost/asio/signal_set.hpp>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <unistd.h>

#include "adapters/libmagic/libmagic_inspector.h"
#include "adapters/localfs/local_blob_store.h"
#include "adapters/postgres/pg_metadata_store.h"
#include "adapters/s3/s3_blob_store.h"
#include "adapters/sandbox/sandboxed_media_processor.h"
#include "adapters/sqlite/sqlite_metadata_store.h"
#include "core/durable_file.h"
#include "core/ids.h"
#include "core/text.h"

namespace shoebox {

// The embedded SQLite file in the data folder, or the shared PostgreSQL database.
Result<std::unique_ptr<MetadataStore>> OpenMetadataStore(const ServerConfig& config) {
  if (!config.database_url.empty()) {
    return postgres::OpenPgMetadataStore(config.database_url,
                                         static_cast<int>(config.database_pool_size));
  }
  return sqlite::OpenSqliteMetadataStore(
      (std::filesystem::absolute(config.data_dir) / "shoebox.db").string());
}

// The data folder, or the S3 bucket.
Result<std::unique_ptr<BlobStore>> OpenBlobStore(const ServerConfig& config) {
  std::filesystem::path data = std::filesystem::absolute(config.data_dir);
  if (config.s3_bucket.empty()) return localfs::OpenLocalBlobStore(data);
  s3::S3Options options;
  options.endpoint = config.s3_endpoint;
  options.region = config.s3_region;
  options.bucket = config.s3_bucket;
  options.access_key = config.s3_access_key;
  options.secret_key = config.s3_secret_key;
  options.path_style = config.s3_path_style;
  options.prefix = config.s3_prefix;
  options.part_bytes = config.s3_part_mb * 1024 * 1024;
  options.work_dir = (data / "tmp" / "s3").string();
  return s3::OpenS3BlobStore(options);
}

Result<std::unique_ptr<Runtime>> Runtime::Open(const ServerConfig& config, const Clock& clock) {
  std::unique_ptr<Runtime> r(new Runtime());
  r->config_ = config;
  std::filesystem::path data = std::filesystem::absolute(config.data_dir);
  SHOEBOX_TRY(CreateDirectoriesDurably(data));
  SHOEBOX_ASSIGN(r->store_, OpenMetadataStore(config));
  SHOEBOX_ASSIGN(r->blobs_, OpenBlobStore(config));
  SHOEBOX_ASSIGN(r->inspector_, libmagic::OpenLibmagicInspector());
  r->hasher_ = std::make_unique<PasswordHasher>();
  MetadataStore& store = *r->store_;
  r->policy_ = std::make_unique<AccessPolicy>(store.Assets(), store.Uploads(), store.Albums(),
                                               store.ShareLinks());
  r->users_ = std::make_unique<UserService>(store.Users(), store.Credentials(), *r->hasher_, clock);
  r->auth_ = std::make_unique<AuthService>(
      store.Users(), store.Credentials(), store.LoginAttempts(), *r->hasher_, clock,
      AuthSettings{config.session_days, config.login_max_failures, config.login_window_minutes});
  UploadSettings upload_settings;
  upload_settings.limits = {config.photo_max_bytes, config.photo_max_pixels, config.video_max_bytes};
  upload_settings.max_patch_bytes = config.max_patch_bytes;
  upload_settings.expire_after_ms = config.upload_expire_hours * 3600 * 1000;
  upload_settings.lease_ms = std::max<std::int64_t>(1, config.upload_lease_seconds) * 1000;
  r->uploads_ = std::make_unique<UploadService>(store.Uploads(), store.Assets(), store.Users(),
                                                *r->blobs_, *r->inspector_, *r->policy_, clock,
                                                upload_settings, RandomToken(6));
  r->assets_ = std::make_unique<AssetService>(store.Assets(), *r->blobs_, *r->policy_, clock,
                                              config.trash_retention_days,
                                              config.playback_max_bit_rate);
  // Media work: scratch files next to the library (same filesystem, so results are linked in).
  // One folder per process, so that `shoebox-server jobs` next to a running server never
  // touches the server's files.
  std::filesystem::path work = data / "tmp" / "media" / (std::to_string(getpid()) + "-" + RandomToken(4));
  SHOEBOX_TRY(CreateDirectoriesDurably(work));
  r->work_dir_ = work;
  sandbox::SandboxSettings sandbox_settings;
  sandbox_settings.media_tool =
      config.media_tool.empty() ? sandbox::DefaultMediaToolPath() : config.media_tool;
  sandbox_settings.ffmpeg = config.ffmpeg;
  sandbox_settings.memory_limit_bytes = config.media_memory_limit_mb * 1024 * 1024;
  sandbox_settings.photo_seconds = config.media_photo_timeout_seconds;
  sandbox_settings.video_seconds = config.media_video_timeout_seconds;
  sandbox_settings.max_decode_pixels = config.photo_max_pixels;
  sandbox_settings.work_dir = work.string();
  r->processor_ = sandbox::NewSandboxedMediaProcessor(sandbox_settings);
  MediaSettings media_settings;
  media_settings.work_dir = work.string();
  media_settings.image.thumbnail_short_side = static_cast<int>(config.thumbnail_size);
  media_settings.image.preview_long_side = static_cast<int>(config.preview_size);
  media_settings.image.quality = static_cast<int>(config.image_quality);
  media_settings.playback_max_height = static_cast<int>(config.playback_max_height);
  media_settings.playback_max_bit_rate = config.playback_max_bit_rate;
  media_settings.saver_photo_max_pixels = config.saver_photo_max_pixels;
  media_settings.saver_video_max_height = static_cast<int>(config.saver_video_max_height);
  media_settings.saver_keep_source_days = config.saver_keep_original_days;
  r->media_ = std::make_unique<MediaService>(store.Assets(), store.Jobs(), *r->blobs_,
                                             *r->processor_, clock, media_settings);
  JobRunnerSettings runner_settings;
  runner_settings.workers = config.job_workers > 0
                                ? static_cast<int>(config.job_workers)
                                : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  runner_settings.max_attempts = static_cast<int>(config.job_max_attempts);
  runner_settings.retry_base_ms = config.job_retry_base_seconds * 1000;
  runner_settings.instance_id = RandomToken(6);
  runner_settings.lease_ms = std::max<std::int64_t>(3, config.job_lease_seconds) * 1000;
  r->runner_ = std::make_unique<JobRunner>(store.Jobs(), *r->media_, clock, runner_settings);
  r->maintenance_ = std::make_unique<MaintenanceService>(*r->uploads_, *r->assets_,
                                                         store.LoginAttempts(), clock);
  r->verify_ = std::make_unique<VerifyService>(store.Assets(), store.Uploads(), *r->blobs_);
  r->devices_ = std::make_unique<DeviceService>(store.Credentials(), store.Devices(), clock);
  r->albums_ = std::make_unique<AlbumService>(store.Albums(), store.ShareLinks(), store.Users(),
                                              *r->policy_, clock);
  r->links_ = std::make_unique<ShareLinkService>(
      store.ShareLinks(), store.Albums(), store.LoginAttempts(), *r->policy_, *r->hasher_, clock,
      LinkLimits{config.login_max_failures, config.login_window_minutes});
  r->downloads_ = std::make_unique<DownloadService>(store.Downloads(), store.Albums(),
                                                    *r->assets_, *r->media_, *r->policy_, clock);
  r->api_ = std::make_unique<api::ApiServices>(api::ApiServices{
      *r->auth_, *r->users_, *r->uploads_, *r->assets_, *r->media_, *r->devices_, *r->albums_,
      *r->links_, *r->downloads_, *r->policy_, store, *r->blobs_,
      *r->inspector_, r->config_, nullptr});
  return r;
}

Runtime::~Runtime() {
  if (runner_) StopJobWorkers();
  std::error_code ec;
  if (!work_dir_.empty()) std::filesystem::remove_all(work_dir_, ec);
}

Result<void> Runtime::TakeOverEmbeddedStore() {
  // The embedded database belongs to the one server process: leases still set were held by a
  // predecessor that crashed, and clients resuming now must not wait for them to lapse. A
  // shared database's leases may belong to other instances alive now; they lapse on their own.
  if (config_.database_url.empty()) {
    SHOEBOX_TRY(store_->Uploads().ReleaseAllLeases());
    SHOEBOX_TRY(store_->Jobs().ReleaseAllLeases());
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(work_dir_.parent_path(), ec)) {
    if (entry.path() != work_dir_) std::filesystem::remove_all(entry.path(), ec);
  }
  return {};
}

void Runtime::StopJobWorkers() {
  runner_->BeginStop();
  processor_->CancelAll();
  runner_->Stop();
}

ServerApp::ServerApp(Runtime& runtime)
    : runtime_(runtime), router_(api::BuildRouter(runtime.api())) {
  const ServerConfig& c = runtime.config();
  http::ServerOptions options;
  options.listen = c.listen;
  options.io_threads = static_cast<int>(c.io_threads);
  options.worker_threads = static_cast<int>(c.worker_threads);
  options.idle_timeout_seconds = c.idle_timeout_seconds;
  options.body_timeout_seconds = c.body_timeout_seconds;
  options.max_header_bytes = c.max_header_bytes;
  options.shutdown_grace_seconds = c.shutdown_grace_seconds;
  for (std::string_view proxy : SplitAndTrim(c.trusted_proxies, ',')) {
    if (!proxy.empty()) options.trusted_proxies.emplace_back(proxy);
  }
  server_ = std::make_unique<http::Server>(
      options, [this](http::HttpRequest& request) { return router_.Dispatch(request); });
  runtime.api().stats = &server_->stats();
}

ServerApp::~ServerApp() = default;

Result<std::string> ServerApp::Start() {
  SHOEBOX_TRY(runtime_.TakeOverEmbeddedStore());
  if (!serves_http()) return std::string("nothing (media worker)");
  return server_->Start();
}

void ServerApp::Run() {
  std::mutex mutex;
  std::condition_variable wake;
  bool done = false;
  std::thread maintenance([&] {
    std::unique_lock lock(mutex);
    while (!done) {
      lock.unlock();
      auto report = runtime_.maintenance().RunOnce();
      if (!report) {
        spdlog::warn(nlohmann::json({{"event", "maintenance_failed"},
                                     {"message", report.error().message}}).dump());
      } else if (report->uploads_removed + report->assets_purged > 0) {
        spdlog::info(nlohmann::json({{"event", "maintenance"},
                                     {"uploads_removed", report->uploads_removed},
                                     {"assets_purged", report->assets_purged}}).dump());
      }
      if (!runtime_.config().s3_bucket.empty()) {
        // Commits that died half-way (a killed instance) leave multipart uploads that S3 bills
        // until aborted; a day is far longer than any commit runs.
        auto aborted = s3::AbortStaleMultipartUploads(runtime_.blobs(), 24 * 3600 * 1000LL);
        if (!aborted) {
          spdlog::warn(nlohmann::json({{"event", "maintenance_failed"},
                                       {"message", aborted.error().message}}).dump());
        }
      }
      lock.lock();
      wake.wait_for(lock, std::chrono::seconds(runtime_.config().maintenance_interval_seconds),
                    [&] { return done; });
    }
  });
  const ServerConfig& config = runtime_.config();
  if (config.jobs_enabled && config.role != "api") runtime_.StartJobWorkers();
  if (serves_http()) {
    server_->Run();
  } else {
    boost::asio::signal_set signals(worker_wait_, SIGINT, SIGTERM);
    signals.async_wait([](const boost::system::error_code& ec, int signal) {
      if (!ec) spdlog::info(R"({{"event":"shutdown","signal":{}}})", signal);
    });
    worker_wait_.run();
  }
  runtime_.StopJobWorkers();
  {
    std::lock_guard lock(mutex);
    done = true;
  }
  wake.notify_all();
  maintenance.join();
}

void ServerApp::Stop() {
  if (serves_http()) {
    server_->Stop();
  } else {
    worker_wait_.stop();
  }
}

}  // namespace shoebox
