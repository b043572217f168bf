// The PostgreSQL repositories, one per aggregate, each on the shared pg_db layer, gathered by
// OpenPgMetadataStore (pg_metadata_store.h).
#pragma once

#include <memory>

#include "adapters/postgres/pg_db.h"
#include "ports/metadata_store.h"

namespace shoebox::postgres {

// Accounts (pg_accounts.cc): users, their sessions and API keys, failed sign-ins.
std::unique_ptr<UserRepository> NewPgUsers(Database& db);
std::unique_ptr<CredentialRepository> NewPgCredentials(Database& db);
std::unique_ptr<LoginAttemptRepository> NewPgLoginAttempts(Database& db);

// The library (pg_assets.cc): assets, uploads in progress, media jobs, device reports.
std::unique_ptr<AssetRepository> NewPgAssets(Database& db);
std::unique_ptr<UploadRepository> NewPgUploads(Database& db);
std::unique_ptr<JobRepository> NewPgJobs(Database& db);
std::unique_ptr<DeviceRepository> NewPgDevices(Database& db);

// Sharing (pg_albums.cc): albums, their links, zip download requests.
std::unique_ptr<AlbumRepository> NewPgAlbums(Database& db);
std::unique_ptr<ShareLinkRepository> NewPgShareLinks(Database& db);
std::unique_ptr<DownloadRepository> NewPgDownloads(Database& db);

// Whole tables, for migrating a library (pg_library_tables.cc).
std::unique_ptr<LibraryTables> NewPgLibraryTables(Database& db);

}  // namespace shoebox::postgres
