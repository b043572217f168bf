#include "adapters/sqlite/sqlite_album_store.h"

#include <nlohmann/json.hpp>

#include "adapters/sqlite/sqlite_asset_rows.h"

namespace shoebox::sqlite {
namespace {

// ---------------------------------------------------------------- SQL, named.
// An album with what is worked out from its items (those not in the trash).
#define SHOEBOX_ALBUM_FIELDS                                                                   \
  "al.id, al.owner_id, al.name, al.description, al.cover_asset_id, al.created_at, "      \
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
#define SHOEBOX_ALBUM_FROM "FROM albums al JOIN users u ON u.id = al.owner_id "
constexpr const char kInsertAlbum[] =
    "INSERT INTO albums (id, owner_id, name, description, cover_asset_id, created_at, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
constexpr const char kSelectAlbum[] =
    "SELECT " SHOEBOX_ALBUM_FIELDS SHOEBOX_ALBUM_FROM "WHERE al.id = ?1";
// ?1 user id. Column 12 is the user's role; the newest change (updated_at) first.
constexpr const char kSelectAlbumsForUser[] =
    "SELECT " SHOEBOX_ALBUM_FIELDS ", 'owner' " SHOEBOX_ALBUM_FROM "WHERE al.owner_id = ?1 "
    "UNION ALL SELECT " SHOEBOX_ALBUM_FIELDS ", m.role " SHOEBOX_ALBUM_FROM
    "JOIN album_members m ON m.album_id = al.id AND m.user_id = ?1 ORDER BY 7 DESC";
constexpr const char kRenameAlbum[] = "UPDATE albums SET name = ?2 WHERE id = ?1";
constexpr const char kDescribeAlbum[] = "UPDATE albums SET description = ?2 WHERE id = ?1";
constexpr const char kSetAlbumCover[] = "UPDATE albums SET cover_asset_id = ?2 WHERE id = ?1";
constexpr const char kTouchAlbum[] = "UPDATE albums SET updated_at = ?2 WHERE id = ?1";
constexpr const char kDeleteAlbum[] = "DELETE FROM albums WHERE id = ?1";
constexpr const char kRoleInAlbum[] =
    "SELECT CASE WHEN al.owner_id = ?2 THEN 'owner' ELSE "
    "(SELECT role FROM album_members m WHERE m.album_id = al.id AND m.user_id = ?2) END "
    "FROM albums al WHERE al.id = ?1";
constexpr const char kPutMember[] =
    "INSERT INTO album_members (album_id, user_id, role, added_at) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (album_id, user_id) DO UPDATE SET role = excluded.role";
constexpr const char kDeleteMember[] =
    "DELETE FROM album_members WHERE album_id = ?1 AND user_id = ?2";
constexpr const char kSelectMembers[] =
    "SELECT m.user_id, u.name, u.email, m.role, m.added_at FROM album_members m "
    "JOIN users u ON u.id = m.user_id WHERE m.album_id = ?1 ORDER BY m.added_at, u.name";
// New items go after the last one, oldest capture first. (SQLite reads the SELECT in full
// before inserting, so MAX(position) is the one from before this statement.)
constexpr const char kAddAlbumAssets[] =
    "INSERT INTO album_assets (album_id, asset_id, position, added_by, added_at) "
    "SELECT ?1, a.id, (SELECT COALESCE(MAX(position), -1) FROM album_assets WHERE album_id = ?1) "
    "  + ROW_NUMBER() OVER (ORDER BY a.taken_at, a.id), ?3, ?4 "
    "FROM assets a WHERE a.id IN (SELECT value FROM json_each(?2)) "
    "AND NOT EXISTS (SELECT 1 FROM album_assets x WHERE x.album_id = ?1 AND x.asset_id = a.id)";
constexpr const char kRemoveAlbumAssets[] =
    "DELETE FROM album_assets WHERE album_id = ?1 AND asset_id IN (SELECT value FROM json_each(?2)) "
    "AND (?3 = '' OR added_by = ?3)";
constexpr const char kSelectAlbumOrder[] =
    "SELECT asset_id FROM album_assets WHERE album_id = ?1 ORDER BY position";
constexpr const char kSetAlbumPosition[] =
    "UPDATE album_assets SET position = ?3 WHERE album_id = ?1 AND asset_id = ?2";
constexpr const char kSelectAlbumItems[] =
    "SELECT " SHOEBOX_ASSET_COLUMNS ", x.position, x.added_by FROM album_assets x "
    "JOIN assets a ON a.id = x.asset_id WHERE x.album_id = ?1 AND a.trashed_at IS NULL "
    "AND x.position > COALESCE(?2, -1) ORDER BY x.position LIMIT ?3";
constexpr const char kAlbumContains[] =
    "SELECT 1 FROM album_assets x JOIN assets a ON a.id = x.asset_id "
    "WHERE x.album_id = ?1 AND x.asset_id = ?2 AND a.trashed_at IS NULL";
constexpr const char kAssetSharedWith[] =
    "SELECT 1 FROM album_assets x JOIN assets a ON a.id = x.asset_id "
    "JOIN albums al ON al.id = x.album_id "
    "LEFT JOIN album_members m ON m.album_id = al.id AND m.user_id = ?2 "
    "WHERE x.asset_id = ?1 AND a.trashed_at IS NULL AND (al.owner_id = ?2 OR m.user_id IS NOT NULL) "
    "LIMIT 1";

#define SHOEBOX_LINK_COLUMNS \
  "id, album_id, link_key, password_hash, expires_at, allow_download, show_location, created_at"
constexpr const char kInsertLink[] =
    "INSERT INTO share_links (" SHOEBOX_LINK_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
constexpr const char kSelectLinkByKey[] =
    "SELECT " SHOEBOX_LINK_COLUMNS " FROM share_links WHERE link_key = ?1";
constexpr const char kSelectLinkById[] =
    "SELECT " SHOEBOX_LINK_COLUMNS " FROM share_links WHERE id = ?1 AND album_id = ?2";
constexpr const char kSelectLinksForAlbum[] =
    "SELECT " SHOEBOX_LINK_COLUMNS " FROM share_links WHERE album_id = ?1 ORDER BY created_at";
constexpr const char kUpdateLink[] =
    "UPDATE share_links SET password_hash = ?3, expires_at = ?4, allow_download = ?5, "
    "show_location = ?6 WHERE id = ?1 AND album_id = ?2";
constexpr const char kDeleteLink[] = "DELETE FROM share_links WHERE id = ?1 AND album_id = ?2";

constexpr const char kInsertDownload[] =
    "INSERT INTO download_requests (id, user_id, asset_ids, expires_at) VALUES (?1, ?2, ?3, ?4)";
constexpr const char kDeleteExpiredDownloads[] =
    "DELETE FROM download_requests WHERE expires_at < ?1";
constexpr const char kSelectDownload[] =
    "SELECT id, user_id, asset_ids, expires_at FROM download_requests WHERE id = ?1";

// ---------------------------------------------------------------- row mapping.
AlbumRole ParseRole(std::string_view name) {
  return ParseAlbumRole(name).value_or(AlbumRole::kViewer);
}

Album ReadAlbum(const Statement& s) {
  Album a;
  a.id = s.Text(0);
  a.owner_id = s.Text(1);
  a.name = s.Text(2);
  a.description = s.Text(3);
  a.cover_asset_id = s.Text(4);
  a.created_at = s.Int(5);
  a.updated_at = s.Int(6);
  a.owner_name = s.Text(7);
  a.asset_count = s.Int(8);
  a.cover_id = s.Text(9);
  a.first_taken_at = s.OptionalInt(10);
  a.last_taken_at = s.OptionalInt(11);
  return a;
}

ShareLink ReadLink(const Statement& s) {
  ShareLink l;
  l.id = s.Text(0);
  l.album_id = s.Text(1);
  l.key = s.Text(2);
  l.password_hash = s.Text(3);
  l.expires_at = s.OptionalInt(4);
  l.allow_download = s.Int(5) != 0;
  l.show_location = s.Int(6) != 0;
  l.created_at = s.Int(7);
  return l;
}

std::string JsonList(const std::vector<std::string>& ids) { return nlohmann::json(ids).dump(); }

Error NotFound(std::string_view what) {
  return MakeError(ErrorCode::kNotFound, std::string(what) + " not found");
}

Result<Album> GetAlbumIn(Connection& c, const std::string& id) {
  SHOEBOX_ASSIGN(auto s, c.Prepare(kSelectAlbum));
  s.Bind(1, id);
  SHOEBOX_ASSIGN(bool found, s.Step());
  if (!found) return NotFound("album");
  return ReadAlbum(s);
}

Result<void> TouchAlbumIn(Connection& c, const std::string& id, UnixMillis now) {
  SHOEBOX_ASSIGN(auto s, c.Prepare(kTouchAlbum));
  s.Bind(1, id).Bind(2, now);
  return s.Run();
}

// ---------------------------------------------------------------- repositories.
class SqliteAlbums final : public AlbumRepository {
 public:
  explicit SqliteAlbums(Database& db) : db_(db) {}

  Result<Album> Create(const Album& album) override {
    return db_.Write<Album>([&](Connection& c) -> Result<Album> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kInsertAlbum));
      s.Bind(1, album.id).Bind(2, album.owner_id).Bind(3, album.name).Bind(4, album.description);
      s.Bind(5, album.cover_asset_id).Bind(6, album.created_at).Bind(7, album.updated_at);
      SHOEBOX_TRY(s.Run());
      return GetAlbumIn(c, album.id);
    });
  }

  Result<Album> Get(const std::string& id) override {
    return db_.Read<Album>([&](Connection& c) { return GetAlbumIn(c, id); });
  }

  Result<std::vector<std::pair<Album, AlbumRole>>> ListForUser(const std::string& user_id) override {
    using Row = std::pair<Album, AlbumRole>;
    return db_.Read<std::vector<Row>>([&](Connection& c) -> Result<std::vector<Row>> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kSelectAlbumsForUser));
      s.Bind(1, user_id);
      return CollectRows<Row>(s, [](const Statement& row) {
        return Row{ReadAlbum(row), ParseRole(row.Text(12))};
      });
    });
  }

  Result<Album> Update(const std::string& id, const AlbumPatch& patch, UnixMillis now) override {
    return db_.Write<Album>([&](Connection& c) -> Result<Album> {
      SHOEBOX_TRY(GetAlbumIn(c, id));
      auto set = [&](const char* sql, const std::optional<std::string>& value) -> Result<void> {
        if (!value) return {};
        SHOEBOX_ASSIGN(auto s, c.Prepare(sql));
        s.Bind(1, id).Bind(2, *value);
        return s.Run();
      };
      SHOEBOX_TRY(set(kRenameAlbum, patch.name));
      SHOEBOX_TRY(set(kDescribeAlbum, patch.description));
      SHOEBOX_TRY(set(kSetAlbumCover, patch.cover_asset_id));
      SHOEBOX_TRY(TouchAlbumIn(c, id, now));
      return GetAlbumIn(c, id);
    });
  }

  Result<void> Delete(const std::string& id) override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kDeleteAlbum));
      s.Bind(1, id);
      SHOEBOX_TRY(s.Run());
      if (s.Changes() == 0) return NotFound("album");
      return {};
    });
  }

  Result<std::optional<AlbumRole>> RoleOf(const std::string& album_id,
                                          const std::string& user_id) override {
    return db_.Read<std::optional<AlbumRole>>(
        [&](Connection& c) -> Result<std::optional<AlbumRole>> {
          SHOEBOX_ASSIGN(auto s, c.Prepare(kRoleInAlbum));
          s.Bind(1, album_id).Bind(2, user_id);
          SHOEBOX_ASSIGN(bool found, s.Step());
          if (!found || s.IsNull(0)) return std::optional<AlbumRole>();
          return std::optional<AlbumRole>(ParseRole(s.Text(0)));
        });
  }

  Result<void> PutMember(const std::string& album_id, const std::string& user_id, AlbumRole role,
                         UnixMillis now) override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kPutMember));
      s.Bind(1, album_id).Bind(2, user_id).Bind(3, AlbumRoleName(role)).Bind(4, now);
      SHOEBOX_TRY(s.Run());
      return TouchAlbumIn(c, album_id, now);
    });
  }

  Result<void> RemoveMember(const std::string& album_id, const std::string& user_id) override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kDeleteMember));
      s.Bind(1, album_id).Bind(2, user_id);
      SHOEBOX_TRY(s.Run());
      if (s.Changes() == 0) return NotFound("member");
      return {};
    });
  }

  Result<std::vector<AlbumMember>> Members(const std::string& album_id) override {
    return db_.Read<std::vector<AlbumMember>>([&](Connection& c) -> Result<std::vector<AlbumMember>> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kSelectMembers));
      s.Bind(1, album_id);
      return CollectRows<AlbumMember>(s, [](const Statement& row) {
        return AlbumMember{row.Text(0), row.Text(1), row.Text(2), ParseRole(row.Text(3)),
                           row.Int(4)};
      });
    });
  }

  Result<std::int64_t> AddAssets(const std::string& album_id,
                                 const std::vector<std::string>& asset_ids,
                                 const std::string& added_by, UnixMillis now) override {
    return db_.Write<std::int64_t>([&](Connection& c) -> Result<std::int64_t> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kAddAlbumAssets));
      s.Bind(1, album_id).Bind(2, JsonList(asset_ids)).Bind(3, added_by).Bind(4, now);
      SHOEBOX_TRY(s.Run());
      std::int64_t added = s.Changes();
      SHOEBOX_TRY(TouchAlbumIn(c, album_id, now));
      return added;
    });
  }

  Result<std::int64_t> RemoveAssets(const std::string& album_id,
                                    const std::vector<std::string>& asset_ids,
                                    const std::string& added_by, UnixMillis now) override {
    return db_.Write<std::int64_t>([&](Connection& c) -> Result<std::int64_t> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kRemoveAlbumAssets));
      s.Bind(1, album_id).Bind(2, JsonList(asset_ids)).Bind(3, added_by);
      SHOEBOX_TRY(s.Run());
      std::int64_t removed = s.Changes();
      SHOEBOX_TRY(TouchAlbumIn(c, album_id, now));
      return removed;
    });
  }

  Result<void> MoveAssets(const std::string& album_id, const std::vector<std::string>& asset_ids,
                          const std::string& before_asset_id, UnixMillis now) override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kSelectAlbumOrder));
      s.Bind(1, album_id);
      SHOEBOX_ASSIGN(std::vector<std::string> order,
                     CollectRows<std::string>(s, [](const Statement& row) { return row.Text(0); }));
      SHOEBOX_ASSIGN(std::vector<std::string> result,
                     sql::MoveInOrder(order, asset_ids, before_asset_id));
      for (std::size_t i = 0; i < result.size(); ++i) {
        SHOEBOX_ASSIGN(auto u, c.Prepare(kSetAlbumPosition));
        u.Bind(1, album_id).Bind(2, result[i]).Bind(3, static_cast<std::int64_t>(i));
        SHOEBOX_TRY(u.Run());
      }
      return TouchAlbumIn(c, album_id, now);
    });
  }

  Result<std::vector<AlbumItem>> Items(const std::string& album_id,
                                       std::optional<std::int64_t> after, int limit) override {
    return db_.Read<std::vector<AlbumItem>>([&](Connection& c) -> Result<std::vector<AlbumItem>> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kSelectAlbumItems));
      s.Bind(1, album_id).Bind(2, after).Bind(3, limit);
      return CollectRows<AlbumItem>(s, [](const Statement& row) {
        return AlbumItem{ReadAsset(row), row.Int(kAssetColumnCount),
                         row.Text(kAssetColumnCount + 1)};
      });
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
      SHOEBOX_ASSIGN(auto s, c.Prepare(sql));
      s.Bind(1, first).Bind(2, second);
      return s.Step();
    });
  }

  Database& db_;
};

class SqliteShareLinks final : public ShareLinkRepository {
 public:
  explicit SqliteShareLinks(Database& db) : db_(db) {}

  Result<void> Create(const ShareLink& l) override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kInsertLink));
      s.Bind(1, l.id).Bind(2, l.album_id).Bind(3, l.key).Bind(4, l.password_hash);
      s.Bind(5, l.expires_at).Bind(6, l.allow_download).Bind(7, l.show_location);
      s.Bind(8, l.created_at);
      return s.Run();
    });
  }

  Result<std::optional<ShareLink>> FindByKey(const std::string& key) override {
    return db_.Read<std::optional<ShareLink>>([&](Connection& c) -> Result<std::optional<ShareLink>> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kSelectLinkByKey));
      s.Bind(1, key);
      SHOEBOX_ASSIGN(bool found, s.Step());
      if (!found) return std::optional<ShareLink>();
      return std::optional<ShareLink>(ReadLink(s));
    });
  }

  Result<std::vector<ShareLink>> ListForAlbum(const std::string& album_id) override {
    return db_.Read<std::vector<ShareLink>>([&](Connection& c) -> Result<std::vector<ShareLink>> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kSelectLinksForAlbum));
      s.Bind(1, album_id);
      return CollectRows<ShareLink>(s, [](const Statement& row) { return ReadLink(row); });
    });
  }

  Result<ShareLink> Update(const std::string& album_id, const std::string& id,
                           const ShareLinkPatch& patch) override {
    return db_.Write<ShareLink>([&](Connection& c) -> Result<ShareLink> {
      SHOEBOX_ASSIGN(ShareLink link, GetIn(c, album_id, id));
      if (patch.password_hash) link.password_hash = *patch.password_hash;
      if (patch.expires_at) link.expires_at = *patch.expires_at;
      if (patch.allow_download) link.allow_download = *patch.allow_download;
      if (patch.show_location) link.show_location = *patch.show_location;
      SHOEBOX_ASSIGN(auto s, c.Prepare(kUpdateLink));
      s.Bind(1, id).Bind(2, album_id).Bind(3, link.password_hash).Bind(4, link.expires_at);
      s.Bind(5, link.allow_download).Bind(6, link.show_location);
      SHOEBOX_TRY(s.Run());
      return link;
    });
  }

  Result<void> Delete(const std::string& album_id, const std::string& id) override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kDeleteLink));
      s.Bind(1, id).Bind(2, album_id);
      SHOEBOX_TRY(s.Run());
      if (s.Changes() == 0) return NotFound("link");
      return {};
    });
  }

 private:
  static Result<ShareLink> GetIn(Connection& c, const std::string& album_id, const std::string& id) {
    SHOEBOX_ASSIGN(auto s, c.Prepare(kSelectLinkById));
    s.Bind(1, id).Bind(2, album_id);
    SHOEBOX_ASSIGN(bool found, s.Step());
    if (!found) return NotFound("link");
    return ReadLink(s);
  }

  Database& db_;
};

class SqliteDownloads final : public DownloadRepository {
 public:
  explicit SqliteDownloads(Database& db) : db_(db) {}

  Result<void> Create(const DownloadRequest& request, UnixMillis now) override {
    return db_.Write<void>([&](Connection& c) -> Result<void> {
      SHOEBOX_ASSIGN(auto expired, c.Prepare(kDeleteExpiredDownloads));
      expired.Bind(1, now);
      SHOEBOX_TRY(expired.Run());
      SHOEBOX_ASSIGN(auto s, c.Prepare(kInsertDownload));
      s.Bind(1, request.id).Bind(2, request.user_id).Bind(3, JsonList(request.asset_ids));
      s.Bind(4, request.expires_at);
      return s.Run();
    });
  }

  Result<DownloadRequest> Get(const std::string& id) override {
    return db_.Read<DownloadRequest>([&](Connection& c) -> Result<DownloadRequest> {
      SHOEBOX_ASSIGN(auto s, c.Prepare(kSelectDownload));
      s.Bind(1, id);
      SHOEBOX_ASSIGN(bool found, s.Step());
      if (!found) return NotFound("download");
      DownloadRequest r{s.Text(0), s.Text(1), {}, s.Int(3)};
      auto ids = nlohmann::json::parse(s.Text(2), nullptr, false);
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

std::unique_ptr<AlbumRepository> NewSqliteAlbums(Database& db) {
  return std::make_unique<SqliteAlbums>(db);
}
std::unique_ptr<ShareLinkRepository> NewSqliteShareLinks(Database& db) {
  return std::make_unique<SqliteShareLinks>(db);
}
std::unique_ptr<DownloadRepository> NewSqliteDownloads(Database& db) {
  return std::make_unique<SqliteDownloads>(db);
}

}  // namespace shoebox::sqlite
