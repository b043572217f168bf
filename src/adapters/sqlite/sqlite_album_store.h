// The SQLite repositories for albums, share links and zip download requests.
#pragma once

#include <memory>

#include "adapters/sqlite/sqlite_db.h"
#include "ports/metadata_store.h"

namespace shoebox::sqlite {

std::unique_ptr<AlbumRepository> NewSqliteAlbums(Database& db);
std::unique_ptr<ShareLinkRepository> NewSqliteShareLinks(Database& db);
std::unique_ptr<DownloadRepository> NewSqliteDownloads(Database& db);

}  // namespace shoebox::sqlite
