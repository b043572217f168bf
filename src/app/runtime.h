// The composition root: builds the adapters named by the configuration and hands each service
// the ports it uses. The server binary, the admin commands and the black-box tests all start
// from here, so they run the same parts.
#pragma once

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <memory>

#include "api/api.h"
#include "core/clock.h"
#include "core/config.h"
#include "services/job_runner.h"
#include "services/maintenance_service.h"
#include "services/media_service.h"
#include "services/verify_service.h"

namespace shoebox {

// The stores a configuration names: PostgreSQL or the embedded SQLite file in data_dir (which
// must exist); an S3 bucket or data_dir.
Result<std::unique_ptr<MetadataStore>> OpenMetadataStore(const ServerConfig& config);
Result<std::unique_ptr<BlobStore>> OpenBlobStore(const ServerConfig& config);

class Runtime {
 public:
  // Opens (creating) the data folder, the database (migrating it) and the blob store.
  static Result<std::unique_ptr<Runtime>> Open(const ServerConfig& config, const Clock& clock);
  ~Runtime();

  const ServerConfig& config() const { return config_; }
  UserService& users() { return *users_; }
  AuthService& auth() { return *auth_; }
  UploadService& uploads() { return *uploads_; }
  AssetService& assets() { return *assets_; }
  MaintenanceService& maintenance() { return *maintenance_; }
  VerifyService& verify() { return *verify_; }
  MediaService& media() { return *media_; }
  // Runs due media jobs on the calling thread until none is due (`shoebox-server jobs --run`).
  Result<int> RunJobsUntilIdle() { return runner_->RunUntilIdle(); }
  void StartJobWorkers() { runner_->Start(); }
  // For the server process only: releases upload and job leases of a crashed predecessor and
  // its scratch files.
  Result<void> TakeOverEmbeddedStore();
  // Kills media work in progress (it is retried later) and waits for the workers to stop.
  void StopJobWorkers();
  MetadataStore& store() { return *store_; }
  BlobStore& blobs() { return *blobs_; }
  api::ApiServices& api() { return *api_; }

 private:
  Runtime() = default;

  ServerConfig config_;
  std::filesystem::path work_dir_;
  std::unique_ptr<MetadataStore> store_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<MediaInspector> inspector_;
  std::unique_ptr<MediaProcessor> processor_;
  std::unique_ptr<PasswordHasher> hasher_;
  std::unique_ptr<AccessPolicy> policy_;
  std::unique_ptr<UserService> users_;
  std::unique_ptr<AuthService> auth_;
  std::unique_ptr<UploadService> uploads_;
  std::unique_ptr<AssetService> assets_;
  std::unique_ptr<DeviceService> devices_;
  std::unique_ptr<AlbumService> albums_;
  std::unique_ptr<ShareLinkService> links_;
  std::unique_ptr<DownloadService> downloads_;
  std::unique_ptr<MaintenanceService> maintenance_;
  std::unique_ptr<VerifyService> verify_;
  std::unique_ptr<MediaService> media_;
  std::unique_ptr<JobRunner> runner_;
  std::unique_ptr<api::ApiServices> api_;
};

// Serves HTTP until SIGINT/SIGTERM or server.Stop(), running maintenance periodically and
// media jobs as server.role says ("worker": jobs and maintenance without HTTP).
// `on_listening` is called with the bound address once the socket listens.
class ServerApp {
 public:
  explicit ServerApp(Runtime& runtime);
  ~ServerApp();
  Result<std::string> Start();
  void Run();
  void Stop();

 private:
  bool serves_http() const { return runtime_.config().role != "worker"; }

  Runtime& runtime_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  // A worker without HTTP waits here for SIGINT/SIGTERM or Stop().
  boost::asio::io_context worker_wait_;
};

}  // namespace shoebox
