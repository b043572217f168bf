#include "adapters/postgres/pg_metadata_store.h"

#include "adapters/postgres/pg_migrations.h"
#include "adapters/postgres/pg_repositories.h"

namespace shoebox::postgres {
namespace {

class PgMetadataStore final : public MetadataStore {
 public:
  explicit PgMetadataStore(std::unique_ptr<Database> db)
      : db_(std::move(db)), users_(NewPgUsers(*db_)), credentials_(NewPgCredentials(*db_)),
        login_attempts_(NewPgLoginAttempts(*db_)), assets_(NewPgAssets(*db_)),
        uploads_(NewPgUploads(*db_)), jobs_(NewPgJobs(*db_)), devices_(NewPgDevices(*db_)),
        albums_(NewPgAlbums(*db_)), share_links_(NewPgShareLinks(*db_)),
        downloads_(NewPgDownloads(*db_)), tables_(NewPgLibraryTables(*db_)) {}

  UserRepository& Users() override { return *users_; }
  CredentialRepository& Credentials() override { return *credentials_; }
  LoginAttemptRepository& LoginAttempts() override { return *login_attempts_; }
  AssetRepository& Assets() override { return *assets_; }
  UploadRepository& Uploads() override { return *uploads_; }
  JobRepository& Jobs() override { return *jobs_; }
  DeviceRepository& Devices() override { return *devices_; }
  AlbumRepository& Albums() override { return *albums_; }
  ShareLinkRepository& ShareLinks() override { return *share_links_; }
  DownloadRepository& Downloads() override { return *downloads_; }
  LibraryTables& Tables() override { return *tables_; }
  Result<void> Ping() override {
    static constexpr char kPing[] = "SELECT 1";
    return db_->Read<void>([](Connection& c) -> Result<void> {
      SHOEBOX_TRY(c.Run(kPing));
      return {};
    });
  }

 private:
  std::unique_ptr<Database> db_;
  std::unique_ptr<UserRepository> users_;
  std::unique_ptr<CredentialRepository> credentials_;
  std::unique_ptr<LoginAttemptRepository> login_attempts_;
  std::unique_ptr<AssetRepository> assets_;
  std::unique_ptr<UploadRepository> uploads_;
  std::unique_ptr<JobRepository> jobs_;
  std::unique_ptr<DeviceRepository> devices_;
  std::unique_ptr<AlbumRepository> albums_;
  std::unique_ptr<ShareLinkRepository> share_links_;
  std::unique_ptr<DownloadRepository> downloads_;
  std::unique_ptr<LibraryTables> tables_;
};

}  // namespace

Result<std::unique_ptr<MetadataStore>> OpenPgMetadataStore(const std::string& url,
                                                           int pool_size) {
  SHOEBOX_ASSIGN(auto db, Database::Open(url, pool_size));
  SHOEBOX_TRY(Migrate(*db));
  return std::unique_ptr<MetadataStore>(new PgMetadataStore(std::move(db)));
}

}  // namespace shoebox::postgres
