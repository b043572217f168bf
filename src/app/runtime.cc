#include "app/runtime.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "adapters/libmagic/libmagic_inspector.h"
#include "adapters/localfs/local_blob_store.h"
#include "adapters/sqlite/sqlite_metadata_store.h"
#include "core/durable_file.h"
#include "core/ids.h"
#include "core/text.h"

namespace shoebox {

Result<std::unique_ptr<Runtime>> Runtime::Open(const ServerConfig& config, const Clock& clock) {
  std::unique_ptr<Runtime> r(new Runtime());
  r->config_ = config;
  std::filesystem::path data = std::filesystem::absolute(config.data_dir);
  SHOEBOX_TRY(CreateDirectoriesDurably(data));
  SHOEBOX_ASSIGN(r->store_, sqlite::OpenSqliteMetadataStore((data / "shoebox.db").string()));
  // The embedded database belongs to this one process: leases still set were held by a
  // predecessor that crashed, and clients resuming now must not wait for them to lapse.
  SHOEBOX_TRY(r->store_->Uploads().ReleaseAllLeases());
  SHOEBOX_ASSIGN(r->blobs_, localfs::OpenLocalBlobStore(data));
  SHOEBOX_ASSIGN(r->inspector_, libmagic::OpenLibmagicInspector());
  r->hasher_ = std::make_unique<PasswordHasher>();
  MetadataStore& store = *r->store_;
  r->policy_ = std::make_unique<AccessPolicy>(store.Assets(), store.Uploads());
  r->users_ = std::make_unique<UserService>(store.Users(), store.Credentials(), *r->hasher_, clock);
  r->auth_ = std::make_unique<AuthService>(
      store.Users(), store.Credentials(), store.LoginAttempts(), *r->hasher_, clock,
      AuthSettings{config.session_days, config.login_max_failures, config.login_window_minutes});
  UploadSettings upload_settings;
  upload_settings.limits = {config.photo_max_bytes, config.photo_max_pixels, config.video_max_bytes};
  upload_settings.max_patch_bytes = config.max_patch_bytes;
  upload_settings.expire_after_ms = config.upload_expire_hours * 3600 * 1000;
  r->uploads_ = std::make_unique<UploadService>(store.Uploads(), store.Assets(), store.Users(),
                                                *r->blobs_, *r->inspector_, *r->policy_, clock,
                                                upload_settings, RandomToken(6));
  r->assets_ = std::make_unique<AssetService>(store.Assets(), *r->blobs_, *r->policy_, clock,
                                              config.trash_retention_days);
  r->maintenance_ = std::make_unique<MaintenanceService>(*r->uploads_, *r->assets_,
                                                         store.LoginAttempts(), clock);
  r->verify_ = std::make_unique<VerifyService>(store.Assets(), store.Uploads(), *r->blobs_);
  r->api_ = std::make_unique<api::ApiServices>(api::ApiServices{
      *r->auth_, *r->users_, *r->uploads_, *r->assets_, *r->policy_, store, *r->blobs_,
      *r->inspector_, r->config_, nullptr});
  return r;
}

Runtime::~Runtime() = default;

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

Result<std::string> ServerApp::Start() { return server_->Start(); }

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
      lock.lock();
      wake.wait_for(lock, std::chrono::seconds(runtime_.config().maintenance_interval_seconds),
                    [&] { return done; });
    }
  });
  server_->Run();
  {
    std::lock_guard lock(mutex);
    done = true;
  }
  wake.notify_all();
  maintenance.join();
}

void ServerApp::Stop() { server_->Stop(); }

}  // namespace shoebox
