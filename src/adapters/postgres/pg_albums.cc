// The PostgreSQL album, share-link and download-request repositories: the same rules as the
// SQLite ones (sqlite_album_store.cc). Changes to an album's order lock the album's row first,
// so two instances adding to one album at once give every item its own place.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "adapters/postgres/pg_asset_rows.h"
#include "adapters/postgres/pg_repositories.h"

namespace shoebox::postgres {
namespace {

// ---------------------------------------------------------------- SQL, named.
// An album with what is worked out from its items (those not in the trash).
#define SHOEBOX_PG_ALBUM_FIELDS                                                                \
  "al.id, al.owner_id, al.name, al.description, al.cover_asset_id, al.created_at, "           \
  "al.updated_at, u.name, "                                                                     \
  "(SELECT COUNT(*) FROM album_assets x JOIN assets a ON a.id = x.asset_id "                    \
  "  WHERE x.album_id = al.id AND a.trashed_at IS NULL), "                                      \
  "COALESCE((SELECT x.asset_id FROM album_assets x JOIN assets a ON a.id = x.asset_id "         \
  "  WHERE x.album_id = al.id AND x.asset_id = al.cover_asset_id AND a.trashed_at IS NULL), "   \
  " (SELECT x.asset_id FROM album_assets x JOIN assets a ON a.id = x.asset_id "                 \
  "  WHERE x.album_id = al.id AND a.trashed_at IS NULL ORDER BY x.position LIMIT 1), ''), "     \
  "(SELECT MIN(a.taken_at) FROM album_assets x JOIN assets a ON a.id = x.asset_id "             \
  "  WHERE x.album_id = al.id AND a.trashed_at IS NULL), "                                      \
  "(SELECT MAX(a.taken_at) FROM album_assets x JOIN assets a ON a.id = x.asset_id "             \
  "  WHERE x.album_id = al.id AND a.trashed_at IS NULL) "
#define SHOEBOX_PG_ALBUM_FROM "FROM albums al JOIN users u ON u.id = al.owner_id "
constexpr char kInsertAlbum[] =
    "INSERT INTO albums (id, owner_id, name, description, cover_asset_id, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7)";
constexpr char kSelectAlbum[] =
    "SELECT " SHOEBOX_PG_ALBUM_FIELDS SHOEBOX_PG_ALBUM_FROM "WHERE al.id = $1";
// Column 12 is the user's role; the newest change (updated_at) first.
constexpr char kSelectAlbumsForUser[] =
    "SELECT " SHOEBOX_PG_ALBUM_FIELDS ", 'owner' " SHOEBOX_PG_ALBUM_FROM "WHERE al.owner_id = $1 "
    "UNION ALL SELECT " SHOEBOX_PG_ALBUM_FIELDS ", m.role " SHOEBOX_PG_ALBUM_FROM
    "JOIN album_members m ON m.album_id = al.id AND m.user_id = $1 ORDER BY 7 DESC";
constexpr char kLockAlbum[] = "SELECT 1 FROM albums WHERE id = $1 FOR UPDATE";
constexpr char kRenameAlbum[] = "UPDATE albums SET name = $2 WHERE id = $1";
constexpr char kDescribeAlbum[] = "UPDATE albums SET description = $2 WHERE id = $1";
constexpr char kSetAlbumCover[] = "UPDATE albums SET cover_asset_id = $2 WHERE id = $1";
constexpr char kTouchAlbum[] = "UPDATE albums SET updated_at = $2 WHERE id = $1";
constexpr char kDeleteAlbum[] = "DELETE FROM albums WHERE id = $1";
constexpr char kRoleInAlbum[] =
    "SELECT CASE WHEN al.owner_id = $2 THEN 'owner' ELSE "
    "(SELECT role FROM album_members m WHERE m.album_id = al.id AND m.user_id = $2) END "
    "FROM albums al WHERE al.id = $1";
constexpr char kPutMember[] =
    "INSERT INTO album_members (album_id, user_id, role, added_at) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (album_id, user_id) DO UPDATE SET role = excluded.role";
constexpr char kDeleteMember[] = "DELETE FROM album_members WHERE album_id = $1 AND user_id = $2";
constexpr char kSelectMembers[] =
    "SELECT m.user_id, u.name, u.email, m.role, m.added_at FROM album_members m "
    "JOIN users u ON u.id = m.user_id WHERE m.album_id = $1 ORDER BY m.added_at, u.name";
// New items go after the last one, oldest capture first (the album's row is locked, so the
// last position cannot move under this statement).
constexpr char kAddAlbumAssets[] =
    "INSERT INTO album_assets (album_id, asset_id, position, added_by, added_at) "
    "SELECT $1, a.id, (SELECT COALESCE(MAX(position), -1) FROM album_assets WHERE album_id = $1) "
    "  + ROW_NUMBER() OVER (ORDER BY a.taken_at, a.id), $3, $4 "
    "FROM assets a WHERE a.id = ANY($2::text[]) "
    "AND NOT EXISTS (SELECT 1 FROM album_assets x WHERE x.album_id = $1 AND x.asset_id = a.id)";
constexpr char kRemoveAlbumAssets[] =
    "DELETE FROM album_assets WHERE album_id = $1 AND asset_id = ANY($2::text[]) "
    "AND ($3 = '' OR added_by = $3)";
constexpr char kSelectAlbumOrder[] =
    "SELECT asset_id FROM album_assets WHERE album_id = $1 ORDER BY position";
// Every position at once, from the new order as arrays.
constexpr char kSetAlbumPositions[] =
    "UPDATE album_assets x SET position = n.position - 1 "
    "FROM unnest($2::text[]) WITH ORDINALITY AS n(asset_id, position) "
    "WHERE x.album_id = $1 AND x.asset_id = n.asset_id";
constexpr char kSelectAlbumItems[] =
    "SELECT " SHOEBOX_ASSET_COLUMNS ", x.position, x.added_by FROM album_assets x "
    "JOIN assets a ON a.id = x.asset_id WHERE x.album_id = $1 AND a.trashed_at IS NULL "
    "AND x.position > COALESCE($2::bigint, -1) ORDER BY x.position LIMIT $3";
constexpr char kAlbumContains[] =
    "SELECT 1 FROM album_assets x JOIN assets a ON a.id = x.asset_id "
    "WHERE x.album_id = $1 AND x.asset_id = $2 AND a.trashed_at IS NULL";
constexpr char kAssetSharedWith[] =
    "SELECT 1 FROM album_assets x JOIN assets a ON a.id = x.asset_id "
    "JOIN albums al ON al.id = x.album_id "
    "LEFT JOIN album_members m ON m.album_id = al.id AND m.user_id = $2 "
    "WHERE x.asset_id = $1 AND a.trashed_at IS NULL AND (al.owner_id = $2 OR m.user_id IS NOT NULL) "
    "LIMIT 1";

#define SHOEBOX_PG_LINK_COLUMNS \
  "id, album_id, link_key, password_hash, expires_at, allow_download, show_location, created_at"
constexpr char kInsertLink[] =
    "INSERT INTO share_links (" SHOEBOX_PG_LINK_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
constexpr char kSelectLinkByKey[] =
    "SELECT " SHOEBOX_PG_LINK_COLUMNS " FROM share_links WHERE link_key = $1";
constexpr char kSelectLinkById[] =
    "SELECT " SHOEBOX_PG_LINK_COLUMNS " FROM share_links WHERE id = $1 AND album_id = $2";
constexpr char kSelectLinksForAlbum[] =
    "SELECT " SHOEBOX_PG_LINK_COLUMNS " FROM share_links WHERE album_id = $1 ORDER BY created_at";
constexpr char kUpdateLink[] =
    "UPDATE share_links SET password_hash = $3, expires_at = $4::bigint, allow_download = $5, "
    "show_location = $6 WHERE id = $1 AND album_id = $2";
constexpr char kDeleteLink[] = "DELETE FROM share_links WHERE id = $1 AND album_id = $2";

constexpr char kInsertDownload[] =
    "INSERT INTO download_requests (id, user_id, asset_ids, expires_at) VALUES ($1, $2, $3, $4)";
constexpr char kDeleteExpiredDownloads[] = "DELETE FROM download_requests WHERE expires_at < $1";
constexpr char kSelectDownload[] =
    "SELECT id, user_id, asset_ids, expires_at FROM download_requests WHERE id = $1";

// ---------------------------------------------------------------- row mapping.
AlbumRole ParseRole(std::string_view name) {
  return ParseAlbumRole(name).value_or(AlbumRole::kViewer);
}

Album ReadAlbum(const Rows& r, int row) {
  Album a;
  a.id = r.Text(row, 0);
  a.owner_id = r.Text(row, 1);
  a.name = r.Text(row, 2);
  a.description = r.Text(row, 3);
  a.cover_asset_id = r.Text(row, 4);
  a.created_at = r.Int(row, 5);
  a.updated_at = r.Int(row, 6);
  a.owner_name = r.Text(row, 7);
  a.asset_count = r.Int(row, 8);
  a.cover_id = r.Text(row, 9);
  a.first_taken_at = r.OptionalInt(row, 10);
  a.last_taken_at = r.OptionalInt(row, 11);
  return a;
}

ShareLink ReadLink(const Rows& r, int row) {
  ShareLink l;
  l.id = r.Text(row, 0);
  l.album_id = r.Text(row, 1);
  l.key = r.Text(row, 2);
  l.password_hash = r.Text(row, 3);
  l.expires_at = r.OptionalInt(row, 4);
  l.allow_download = r.Bool(row, 5);
  l.show_location = r.Bool(row, 6);
  l.created_at = r.Int(row, 7);
  return l;
}

Error NotFound(std::string_view what) {
  return MakeError(ErrorCode::kNotFound, std::string(what) + " not found");
}

Result<Album> GetAlbumIn(Connection& c, const std::string& id) {
  SHOEBOX_ASSIGN(Rows rows, c.Run(kSelectAlbum, Params().Add(id)));
  if (rows.empty()) return NotFound("album");
  return ReadAlbum(rows, 0);
}

Result<void> TouchAlbumIn(Connection& c, const std::string& id, UnixMillis now) {
  SHOEBOX_TRY(c.Run(kTouchAlbum, Params().Add(id).Add(now)));
  return {};
}

// ---------------------------------------------------------------- repositories.
class PgAlbums final : public AlbumRepository {
 public:
  explicit PgAlbums(Database& db) : db_(db) {}

  Result<Album> Create(const Album& album) override {
    return db_.Write<Album>([&](Connection& c) -> Result<Album> {
      SHOEBOX_TRY(c.Run(kInsertAlbum, Params()
                                          .Add(album.id)
                                          .Add(album.owner_id)
                                          .Add(album.name)
                                          .Add(album.description)
                                          .Add(album.cover_asset_id)
                                          .Add(album.created_at)
                                          .Add(album.updated_at)));
      return GetAlbumIn(c, album.id);
    });
  }

  Result<Album> Get(const std::string& id) override {
    return db_.Read<Album>([&](Connection& c) { return GetAlbumIn(c, id); });
  }

  Result<std::vector<std::pair<Album, AlbumRole>>> ListForUser(const std::string& user_id) override {
    using Row = std::pair<Album, AlbumRole>;
    return db_.Read<std::vector<Row>>([&](Connection& c) -> Result<std::vector<Row>> {
      SHOEBOX_ASSIGN(Rows rows, c.Run(kSelectAlbumsForUser, Params().Add(user_id)));
      std::vector<Row> out;
      for (int i = 0; i < rows.size(); ++i) {
        out.push_back(Row{ReadAlbum(rows, i), ParseRole(rows.Text(i, 12))});
      }
      return out;
    });
  }

  Result<Album> Update(const std::string& id, const AlbumPatch& patch, UnixMillis now) override {
    return db_.Write<Album>([&](Connection& c) -> Result<Album> {
      SHOEBOX_TRY(GetAlbumIn(c, id));
      auto set = [&](const char* sql, const std::optional<std::string>& value) -> Result<void> {
        if (!value) return {};
        SHOEBOX_TRY(c.Run(sql, Params().Add(id).Add(*value)));
        return {};
      };
      SHOEBOX_TRY(set(kRenameAlbum, patch.name));
      SHOEBOX_TRY(set(kDescribeAlbum, patch.description));
      SHOEBOX_TRY(set(kSetAlbumCover, patch.cover_asset_id));
      SHOEBOX_TRY(TouchAlbumIn(c, id, now));
      return GetAlbumIn(c, id);
    });
  }

  Result<void> Delete(const std::string& id) override {
    SHOEBOX_ASSIGN(std::int64_t changed, db_.Change(kDeleteAlbum, Params().Add(id)));
    if (changed == 0) return NotFound("album");
    return {};
  }

  Result<std::optional<AlbumRole>> RoleOf(const std::string& album_id,
                                          const std::string& user_id) override {
    return db_.Read<std::optional<AlbumRole>>(
        [&](Connection& c) -> Result<std::optional<AlbumRole>> {
          SHOEBOX_ASSIGN(Rows rows, c.Run(kRoleInAlbum, Params().Add(album_id).Add(user_id)));
          if (rows.empty() || rows.IsNull(0, 0)) return std::optional<AlbumRole>();
          return std::optional<AlbumRole>(ParseRole(rows.Text(0, 0)));
        });
  }

  Result<void> PutMember(const std::string& album_id, const std::string& user_id, AlbumRole role,
                         UnixMillis now) override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_TRY(c.Run(kPutMember, Params().Add(album_id).Add(user_id).Add(AlbumRoleName(role)).Add(now)));
      return TouchAlbumIn(c, album_id, now);
    });
  }

  Result<void> RemoveMember(const std::string& album_id, const std::string& user_id) override {
    SHOEBOX_ASSIGN(std::int64_t changed, db_.Change(kDeleteMember, Params().Add(album_id).Add(user_id)));
    if (changed == 0) return NotFound("member");
    return {};
  }

  Result<std::vector<AlbumMember>> Members(const std::string& album_id) override {
    return db_.Read<std::vector<AlbumMember>>([&](Connection& c) -> Result<std::vector<AlbumMember>> {
      SHOEBOX_ASSIGN(Rows rows, c.Run(kSelectMembers, Params().Add(album_id)));
      std::vector<AlbumMember> out;
      for (int i = 0; i < rows.size(); ++i) {
        out.push_back(AlbumMember{rows.Text(i, 0), rows.Text(i, 1), rows.Text(i, 2),
                                  ParseRole(rows.Text(i, 3)), rows.Int(i, 4)});
      }
      return out;
    });
  }

  Result<std::int64_t> AddAssets(const std::string& album_id,
                                 const std::vector<std::string>& asset_ids,
                                 const std::string& added_by, UnixMillis now) override {
    return db_.Write<std::int64_t>([&](Connection& c) -> Result<std::int64_t> {
      SHOEBOX_TRY(c.Run(kLockAlbum, Params().Add(album_id)));
      SHOEBOX_ASSIGN(Rows rows, c.Run(kAddAlbumAssets, Params()
                                                           .Add(album_id)
                                                           .AddTextArray(asset_ids)
                                                           .Add(added_by)
                                                           .Add(now)));
      SHOEBOX_TRY(TouchAlbumIn(c, album_id, now));
      return rows.Changed();
    });
  }

  Result<std::int64_t> RemoveAssets(const std::string& album_id,
                                    const std::vector<std::string>& asset_ids,
                                    const std::string& added_by, UnixMillis now) override {
    return db_.Write<std::int64_t>([&](Connection& c) -> Result<std::int64_t> {
      SHOEBOX_ASSIGN(Rows rows, c.Run(kRemoveAlbumAssets,
                                      Params().Add(album_id).AddTextArray(asset_ids).Add(added_by)));
      SHOEBOX_TRY(TouchAlbumIn(c, album_id, now));
      return rows.Changed();
    });
  }

  Result<void> MoveAssets(const std::string& album_id, const std::vector<std::string>& asset_ids,
                          const std::string& before_asset_id, UnixMillis now) override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_TRY(c.Run(kLockAlbum, Params().Add(album_id)));
      SHOEBOX_ASSIGN(Rows rows, c.Run(kSelectAlbumOrder, Params().Add(album_id)));
      std::vector<std::string> order;
      for (int i = 0; i < rows.size(); ++i) order.push_back(rows.Text(i, 0));
      SHOEBOX_ASSIGN(std::vector<std::string> result,
                     sql::MoveInOrder(order, asset_ids, before_asset_id));
      SHOEBOX_TRY(c.Run(kSetAlbumPositions, Params().Add(album_id).AddTextArray(result)));
      return TouchAlbumIn(c, album_id, now);
    });
  }

  Result<std::vector<AlbumItem>> Items(const std::string& album_id,
                                       std::optional<std::int64_t> after, int limit) override {
    return db_.Read<std::vector<AlbumItem>>([&](Connection& c) -> Result<std::vector<AlbumItem>> {
      SHOEBOX_ASSIGN(Rows rows, c.Run(kSelectAlbumItems, Params().Add(album_id).Add(after).Add(limit)));
      std::vector<AlbumItem> out;
      for (int i = 0; i < rows.size(); ++i) {
        out.push_back(AlbumItem{ReadAsset(rows, i), rows.Int(i, kAssetColumnCount),
                                rows.Text(i, kAssetColumnCount + 1)});
      }
      return out;
    });
  }

  Result<bool> Contains(const std::string& album_id, const std::string& asset_id) override {
    return Exists(kAlbumContains, album_id, asset_id);
  }

  Result<bool> SharedWith(const std::string& asset_id, const std::string& user_id) override {
    return Exists(kAssetSharedWith, asset_id, user_id);
  }

 private:
  Result<bool> Exists(const char* sql, const std::string& first, const std::string& second) {
    return db_.Read<bool>([&](Connection& c) -> Result<bool> {
      SHOEBOX_ASSIGN(Rows rows, c.Run(sql, Params().Add(first).Add(second)));
      return !rows.empty();
    });
  }

  Database& db_;
};

class PgShareLinks final : public ShareLinkRepository {
 public:
  explicit PgShareLinks(Database& db) : db_(db) {}

  Result<void> Create(const ShareLink& l) override {
    SHOEBOX_TRY(db_.Change(kInsertLink, Params()
                                         .Add(l.id)
                                         .Add(l.album_id)
                                         .Add(l.key)
                                         .Add(l.password_hash)
                                         .Add(l.expires_at)
                                         .Add(l.allow_download)
                                         .Add(l.show_location)
                                         .Add(l.created_at)));
    return {};
  }

  Result<std::optional<ShareLink>> FindByKey(const std::string& key) override {
    return db_.Read<std::optional<ShareLink>>([&](Connection& c) -> Result<std::optional<ShareLink>> {
      SHOEBOX_ASSIGN(Rows rows, c.Run(kSelectLinkByKey, Params().Add(key)));
      if (rows.empty()) return std::optional<ShareLink>();
      return std::optional<ShareLink>(ReadLink(rows, 0));
    });
  }

  Result<std::vector<ShareLink>> ListForAlbum(const std::string& album_id) override {
    return db_.Read<std::vector<ShareLink>>([&](Connection& c) -> Result<std::vector<ShareLink>> {
      SHOEBOX_ASSIGN(Rows rows, c.Run(kSelectLinksForAlbum, Params().Add(album_id)));
      std::vector<ShareLink> out;
      for (int i = 0; i < rows.size(); ++i) out.push_back(ReadLink(rows, i));
      return out;
    });
  }

  Result<ShareLink> Update(const std::string& album_id, const std::string& id,
                           const ShareLinkPatch& patch) override {
    return db_.Write<ShareLink>([&](Connection& c) -> Result<ShareLink> {
      SHOEBOX_ASSIGN(Rows rows, c.Run(kSelectLinkById, Params().Add(id).Add(album_id)));
      if (rows.empty()) return NotFound("link");
      ShareLink link = ReadLink(rows, 0);
      if (patch.password_hash) link.password_hash = *patch.password_hash;
      if (patch.expires_at) link.expires_at = *patch.expires_at;
      if (patch.allow_download) link.allow_download = *patch.allow_download;
      if (patch.show_location) link.show_location = *patch.show_location;
      SHOEBOX_TRY(c.Run(kUpdateLink, Params()
                                         .Add(id)
                                         .Add(album_id)
                                         .Add(link.password_hash)
                                         .Add(link.expires_at)
                                         .Add(link.allow_download)
                                         .Add(link.show_location)));
      return link;
    });
  }

  Result<void> Delete(const std::string& album_id, const std::string& id) override {
    SHOEBOX_ASSIGN(std::int64_t changed, db_.Change(kDeleteLink, Params().Add(id).Add(album_id)));
    if (changed == 0) return NotFound("link");
    return {};
  }

 private:
  Database& db_;
};

class PgDownloads final : public DownloadRepository {
 public:
  explicit PgDownloads(Database& db) : db_(db) {}

  Result<void> Create(const DownloadRequest& request, UnixMillis now) override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_TRY(c.Run(kDeleteExpiredDownloads, Params().Add(now)));
      SHOEBOX_TRY(c.Run(kInsertDownload, Params()
                                             .Add(request.id)
                                             .Add(request.user_id)
                                             .Add(nlohmann::json(request.asset_ids).dump())
                                             .Add(request.expires_at)));
      return {};
    });
  }

  Result<DownloadRequest> Get(const std::string& id) override {
    return db_.Read<DownloadRequest>([&](Connection& c) -> Result<DownloadRequest> {
      SHOEBOX_ASSIGN(Rows rows, c.Run(kSelectDownload, Params().Add(id)));
      if (rows.empty()) return NotFound("download");
      DownloadRequest r{rows.Text(0, 0), rows.Text(0, 1), {}, rows.Int(0, 3)};
      auto ids = nlohmann::json::parse(rows.Text(0, 2), nullptr, false);
      if (ids.is_array()) {
        for (const auto& id_json : ids) {
          if (id_json.is_string()) r.asset_ids.push_back(id_json.get<std::string>());
        }
      }
      return r;
    });
  }

 private:
  Database& db_;
};

}  // namespace

std::unique_ptr<AlbumRepository> NewPgAlbums(Database& db) { return std::make_unique<PgAlbums>(db); }
std::unique_ptr<ShareLinkRepository> NewPgShareLinks(Database& db) {
  return std::make_unique<PgShareLinks>(db);
}
std::unique_ptr<DownloadRepository> NewPgDownloads(Database& db) {
  return std::make_unique<PgDownloads>(db);
}

}  // namespace shoebox::postgres
