// The MetadataStore contract (ports/metadata_store.h), run against every adapter.
#include <gtest/gtest.h>

#include <map>

#include "adapters/postgres/pg_metadata_store.h"
#include "adapters/sqlite/sqlite_metadata_store.h"
#include "core/ids.h"
#include "tests/support/postgres_server.h"
#include "tests/support/test_support.h"

namespace shoebox {
namespace {

struct MetadataStoreFactory {
  std::string name;
  std::function<std::unique_ptr<MetadataStore>(const std::filesystem::path&)> open;
};

// Names the adapter in test output (instead of the factory's bytes).
void PrintTo(const MetadataStoreFactory& factory, std::ostream* out) { *out << factory.name; }

class MetadataStoreConformance : public ::testing::TestWithParam<MetadataStoreFactory> {
 protected:
  void SetUp() override { store_ = GetParam().open(dir_.path()); }

  User NewUser(const std::string& email, std::optional<std::int64_t> quota = std::nullopt) {
    User user;
    user.id = NewId(++now_);
    user.email = email;
    user.name = email;
    user.password_hash = "hash";
    user.storage_label = email.substr(0, email.find('@'));
    user.quota_bytes = quota;
    user.created_at = now_;
    auto created = store_->Users().Create(user);
    EXPECT_TRUE(created);
    return *created;
  }

  Upload NewUpload(const User& owner, std::int64_t length) {
    Upload upload;
    upload.id = NewId(++now_);
    upload.owner_id = owner.id;
    upload.length = length;
    upload.hash_state = "state";
    upload.metadata.filename = "a.jpg";
    upload.created_at = upload.updated_at = now_;
    upload.expires_at = now_ + 1000;
    EXPECT_TRUE(store_->Uploads().Create(upload));
    return upload;
  }

  Asset AssetFor(const User& owner, const std::string& sha, std::int64_t size, UnixMillis taken) {
    Asset asset;
    asset.id = NewId(++now_);
    asset.owner_id = owner.id;
    asset.sha256 = sha;
    asset.blob_key = "library/" + owner.storage_label + "/" + asset.id;
    asset.original_name = "a.jpg";
    asset.mime_type = "image/jpeg";
    asset.kind = MediaKind::kPhoto;
    asset.size_bytes = size;
    asset.taken_at = taken;
    asset.uploaded_at = now_;
    return asset;
  }

  // Stores an asset the way uploads do.
  Result<Upload> Store(const User& owner, const Asset& asset) {
    Upload upload = NewUpload(owner, asset.size_bytes);
    EXPECT_TRUE(store_->Uploads().AcquireLease(upload.id, "me", now_, now_ + 100));
    return store_->Uploads().Complete(upload.id, "me", asset, now_, now_ + 1000);
  }

  testing::TempDir dir_;
  std::unique_ptr<MetadataStore> store_;
  UnixMillis now_ = 1'700'000'000'000;
};

TEST_P(MetadataStoreConformance, UsersHaveUniqueEmailsAndStorageLabels) {
  User a = NewUser("ann@example.com");
  User same;
  same.id = NewId(++now_);
  same.email = "ann@example.com";
  same.storage_label = "ann";
  auto duplicate = store_->Users().Create(same);
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().code, ErrorCode::kEmailTaken);
  User b = NewUser("ann@other.org");
  EXPECT_EQ(b.storage_label, "ann-2");
  User first;
  first.id = NewId(++now_);
  first.email = "late@example.com";
  first.storage_label = "late";
  EXPECT_EQ(store_->Users().CreateFirst(first).error().code, ErrorCode::kAlreadySetUp);
  UserPatch patch;
  patch.quota_bytes = std::optional<std::int64_t>(500);
  patch.disabled = true;
  auto updated = store_->Users().Update(a.id, patch);
  EXPECT_EQ(updated->quota_bytes, 500);
  EXPECT_TRUE(updated->disabled);
  EXPECT_EQ(store_->Users().Get(NewId(1)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(*store_->Users().Count(), 2);
}

TEST_P(MetadataStoreConformance, CredentialsExpireAndBelongToTheirUser) {
  User a = NewUser("a@example.com"), b = NewUser("b@example.com");
  Credential session{NewId(++now_), a.id, "hash-1", CredentialKind::kSession, "web", now_, now_, now_ + 100};
  ASSERT_TRUE(store_->Credentials().Create(session));
  EXPECT_TRUE(store_->Credentials().FindBySecretHash("hash-1", now_)->has_value());
  EXPECT_FALSE(store_->Credentials().FindBySecretHash("hash-1", now_ + 100)->has_value());
  EXPECT_EQ(store_->Credentials().Delete(b.id, session.id).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(store_->Credentials().Delete(a.id, session.id));
  EXPECT_FALSE(store_->Credentials().FindBySecretHash("hash-1", now_)->has_value());
}

TEST_P(MetadataStoreConformance, LeasesExcludeOtherHoldersUntilTheyLapse) {
  User a = NewUser("a@example.com");
  Upload upload = NewUpload(a, 100);
  auto& uploads = store_->Uploads();
  ASSERT_TRUE(uploads.AcquireLease(upload.id, "one", now_, now_ + 50));
  EXPECT_EQ(uploads.AcquireLease(upload.id, "two", now_ + 10, now_ + 60).error().code,
            ErrorCode::kUploadLocked);
  ASSERT_TRUE(uploads.SaveProgress(upload.id, "one",
                                   UploadProgress{40, "s40", "image/jpeg", MediaKind::kPhoto, "k"},
                                   now_ + 20, now_ + 2000, now_ + 70));
  EXPECT_EQ(uploads.AcquireLease(upload.id, "two", now_ + 60, now_ + 100).error().code,
            ErrorCode::kUploadLocked);  // renewed by the progress save
  ASSERT_TRUE(uploads.AcquireLease(upload.id, "two", now_ + 71, now_ + 100));
  EXPECT_EQ(uploads.SaveProgress(upload.id, "one", UploadProgress{50, "s50", "", MediaKind::kUnknown, ""},
                                 now_ + 72, now_ + 2000, now_ + 90)
                .error()
                .code,
            ErrorCode::kUploadLocked);  // "one" lost the lease and must stop writing
  auto stored = uploads.Get(upload.id);
  EXPECT_EQ(stored->offset, 40);
  EXPECT_EQ(stored->hash_state, "s40");
  EXPECT_EQ(stored->mime_type, "image/jpeg");
  EXPECT_EQ(stored->kind, MediaKind::kPhoto);
  EXPECT_EQ(stored->final_key, "k");
  ASSERT_TRUE(uploads.ReleaseAllLeases());
  ASSERT_TRUE(uploads.AcquireLease(upload.id, "three", now_ + 72, now_ + 100));
}

TEST_P(MetadataStoreConformance, ReceivingUploadsAreCountedAndReserveTheirNames) {
  User a = NewUser("a@example.com");
  Upload upload;
  upload.id = NewId(++now_);
  upload.owner_id = a.id;
  upload.length = 10;
  upload.final_key = "library/a/2023/01/x.jpg";
  upload.expires_at = now_ + 10;
  ASSERT_TRUE(store_->Uploads().Create(upload, "holder", now_ + 5));
  EXPECT_EQ(store_->Uploads().Get(upload.id)->state, UploadState::kReceiving);
  EXPECT_EQ(*store_->Uploads().CountReceiving(), 1);
  EXPECT_EQ(*store_->Uploads().ReservedKeys(), std::vector<std::string>{"library/a/2023/01/x.jpg"});
  EXPECT_EQ(store_->Uploads().AcquireLease(upload.id, "other", now_, now_ + 5).error().code,
            ErrorCode::kUploadLocked);  // created with its lease held
  EXPECT_EQ(store_->Uploads().ListExpired(now_ + 10, 10)->size(), 1u);
}

TEST_P(MetadataStoreConformance, CompletingAnUploadDedupesAndEnforcesQuota) {
  User a = NewUser("a@example.com", 1500);
  auto first = Store(a, AssetFor(a, std::string(64, 'a'), 1000, 5));
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->duplicate);
  EXPECT_EQ(first->state, UploadState::kCompleted);
  auto again = Store(a, AssetFor(a, std::string(64, 'a'), 1000, 5));
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->asset_id, first->asset_id);
  auto over = Store(a, AssetFor(a, std::string(64, 'b'), 600, 5));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::kQuotaExceeded);
  EXPECT_EQ(store_->Users().Get(a.id)->used_bytes, 1000);
  // Only the lease holder completes, and only once.
  Upload other = NewUpload(a, 10);
  EXPECT_EQ(store_->Uploads().Complete(other.id, "nobody", AssetFor(a, std::string(64, 'd'), 10, 5),
                                       now_, now_ + 1000).error().code,
            ErrorCode::kUploadLocked);
  EXPECT_EQ(store_->Uploads().RenewLease(other.id, "nobody", now_ + 5).error().code,
            ErrorCode::kUploadLocked);
  // A duplicate whose twin vanished meanwhile is not completed without bytes of its own.
  Asset orphan = AssetFor(a, std::string(64, 'e'), 10, 5);
  orphan.blob_key.clear();
  EXPECT_EQ(Store(a, orphan).error().code, ErrorCode::kConflict);
  // Other users' content is not a duplicate.
  User b = NewUser("b@example.com");
  EXPECT_FALSE(Store(b, AssetFor(b, std::string(64, 'a'), 1000, 5))->duplicate);
  EXPECT_EQ(store_->Assets().Totals()->assets, 2);
}

TEST_P(MetadataStoreConformance, TimelinePagesAndTrashPurgeLeaveTombstones) {
  User a = NewUser("a@example.com");
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    Asset asset = AssetFor(a, std::string(63, 'c') + static_cast<char>('0' + i), 10, 1000 * (i % 3));
    ASSERT_TRUE(Store(a, asset));
    ids.push_back(asset.id);
  }
  AssetQuery query;
  query.owner_id = a.id;
  query.limit = 2;
  std::vector<std::string> seen;
  while (true) {
    auto page = store_->Assets().List(query);
    ASSERT_TRUE(page);
    for (const Asset& asset : *page) seen.push_back(asset.id);
    if (page->size() < 2) break;
    query.after = std::make_pair(page->back().taken_at, page->back().id);
  }
  // taken_at 2000 (i=2), 1000 (i=4, i=1), 0 (i=3, i=0); ties newest id first.
  EXPECT_EQ(seen, (std::vector<std::string>{ids[2], ids[4], ids[1], ids[3], ids[0]}));

  ASSERT_TRUE(store_->Assets().SetTrashed(ids[0], now_));
  ASSERT_TRUE(store_->Assets().SetTrashed(ids[1], now_ + 500));
  EXPECT_EQ(*store_->Assets().PurgeTrashed("", now_ + 100, now_ + 1000), 1);
  auto matches = store_->Assets().FindByChecksums(a.id, {std::string(63, 'c') + '0', std::string(63, 'c') + '1'});
  ASSERT_EQ(matches->size(), 2u);
  int tombstones = 0;
  for (const auto& match : *matches) tombstones += match.deleted ? 1 : 0;
  EXPECT_EQ(tombstones, 1);
  auto owed = store_->Assets().PendingBlobDeletions(10);
  ASSERT_EQ(owed->size(), 1u);
  ASSERT_TRUE(store_->Assets().ForgetPendingBlobDeletion((*owed)[0]));
  EXPECT_TRUE(store_->Assets().PendingBlobDeletions(10)->empty());
  EXPECT_EQ(store_->Users().Get(a.id)->used_bytes, 40);
}

TEST_P(MetadataStoreConformance, AlbumsKeepTheirOrderMembersAndWhatTheyShow) {
  User ann = NewUser("ann@example.com"), bob = NewUser("bob@example.com");
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    Asset asset = AssetFor(ann, std::string(63, 'a') + static_cast<char>('0' + i), 10, 1000 * (4 - i));
    ASSERT_TRUE(Store(ann, asset));
    ids.push_back(asset.id);
  }
  Album album;
  album.id = NewId(++now_);
  album.owner_id = ann.id;
  album.name = "Trip";
  album.created_at = album.updated_at = now_;
  ASSERT_TRUE(store_->Albums().Create(album));
  AlbumRepository& albums = store_->Albums();
  // Added together: oldest capture first; again: nothing more.
  EXPECT_EQ(*albums.AddAssets(album.id, {ids[0], ids[2]}, ann.id, ++now_), 2);
  EXPECT_EQ(*albums.AddAssets(album.id, {ids[2], ids[1]}, bob.id, ++now_), 1);
  auto order = [&] {
    std::vector<std::string> out;
    std::optional<std::int64_t> after;
    while (true) {
      auto page = albums.Items(album.id, after, 2);
      EXPECT_TRUE(page);
      for (const AlbumItem& item : *page) out.push_back(item.asset.id);
      if (page->size() < 2) return out;
      after = page->back().position;
    }
  };
  EXPECT_EQ(order(), (std::vector<std::string>{ids[2], ids[0], ids[1]}));
  ASSERT_TRUE(albums.MoveAssets(album.id, {ids[1]}, ids[2], ++now_));
  EXPECT_EQ(order(), (std::vector<std::string>{ids[1], ids[2], ids[0]}));
  EXPECT_EQ(albums.MoveAssets(album.id, {ids[3]}, "", now_).error().code, ErrorCode::kBadRequest);
  Album read = *albums.Get(album.id);
  EXPECT_EQ(read.asset_count, 3);
  EXPECT_EQ(read.cover_id, ids[1]);
  EXPECT_EQ(read.owner_name, "ann@example.com");
  EXPECT_EQ(read.first_taken_at, 2000);
  EXPECT_EQ(read.last_taken_at, 4000);
  AlbumPatch patch;
  patch.name = "Trip 2";
  patch.cover_asset_id = ids[0];
  EXPECT_EQ(albums.Update(album.id, patch, ++now_)->cover_id, ids[0]);
  // Only what bob added goes when only bob's may.
  EXPECT_EQ(*albums.RemoveAssets(album.id, {ids[0], ids[1]}, bob.id, ++now_), 1);
  EXPECT_EQ(order(), (std::vector<std::string>{ids[2], ids[0]}));
  // Roles; what is shared with whom; the trash hides an item.
  EXPECT_EQ(*albums.RoleOf(album.id, ann.id), AlbumRole::kOwner);
  EXPECT_FALSE(*albums.RoleOf(album.id, bob.id));
  EXPECT_FALSE(*albums.SharedWith(ids[0], bob.id));
  ASSERT_TRUE(albums.PutMember(album.id, bob.id, AlbumRole::kViewer, ++now_));
  ASSERT_TRUE(albums.PutMember(album.id, bob.id, AlbumRole::kContributor, ++now_));
  EXPECT_EQ(*albums.RoleOf(album.id, bob.id), AlbumRole::kContributor);
  EXPECT_EQ(albums.Members(album.id)->size(), 1u);
  EXPECT_TRUE(*albums.SharedWith(ids[0], bob.id));
  EXPECT_EQ(albums.ListForUser(bob.id)->size(), 1u);
  ASSERT_TRUE(store_->Assets().SetTrashed(ids[0], now_));
  EXPECT_FALSE(*albums.SharedWith(ids[0], bob.id));
  EXPECT_FALSE(*albums.Contains(album.id, ids[0]));
  EXPECT_EQ(albums.Get(album.id)->asset_count, 1);
  // An asset deleted for good leaves the album; deleting the album takes members and links.
  ASSERT_TRUE(store_->Assets().PurgeTrashed("", now_, now_));
  EXPECT_EQ(order(), (std::vector<std::string>{ids[2]}));
  ShareLink link;
  link.id = NewId(++now_);
  link.album_id = album.id;
  link.key = "secret-key";
  link.created_at = now_;
  ASSERT_TRUE(store_->ShareLinks().Create(link));
  ShareLinkPatch change;
  change.password_hash = "hash";
  change.expires_at = std::optional<UnixMillis>(now_ + 10);
  EXPECT_EQ(store_->ShareLinks().Update(album.id, link.id, change)->password_hash, "hash");
  EXPECT_EQ((*store_->ShareLinks().FindByKey("secret-key"))->expires_at, now_ + 10);
  EXPECT_EQ(store_->ShareLinks().Update(NewId(1), link.id, change).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(albums.Delete(album.id));
  EXPECT_FALSE(*store_->ShareLinks().FindByKey("secret-key"));
  EXPECT_FALSE(*albums.RoleOf(album.id, bob.id));
  EXPECT_TRUE(albums.ListForUser(bob.id)->empty());
  EXPECT_EQ(albums.Get(album.id).error().code, ErrorCode::kNotFound);
}

TEST_P(MetadataStoreConformance, DownloadRequestsExpire) {
  User ann = NewUser("ann@example.com");
  DownloadRequest request{NewId(++now_), ann.id, {"x", "y"}, now_ + 100};
  ASSERT_TRUE(store_->Downloads().Create(request, now_));
  EXPECT_EQ(store_->Downloads().Get(request.id)->asset_ids, (std::vector<std::string>{"x", "y"}));
  DownloadRequest later{NewId(now_ + 200), ann.id, {"z"}, now_ + 300};
  ASSERT_TRUE(store_->Downloads().Create(later, now_ + 200));  // drops the expired one
  EXPECT_EQ(store_->Downloads().Get(request.id).error().code, ErrorCode::kNotFound);
}

TEST_P(MetadataStoreConformance, ReopeningKeepsDataAndSchema) {
  User a = NewUser("a@example.com");
  store_.reset();
  store_ = GetParam().open(dir_.path());
  EXPECT_EQ(store_->Users().Get(a.id)->email, "a@example.com");
  EXPECT_TRUE(store_->Ping());
}

// One private PostgreSQL server for the whole run, a fresh database per test folder (opening
// the same folder again reopens the same database, as with SQLite's file).
std::unique_ptr<MetadataStore> OpenPostgres(const std::filesystem::path& dir) {
  static std::map<std::filesystem::path, std::string> urls;
  static int databases = 0;
  auto [it, fresh] = urls.try_emplace(dir);
  if (fresh) {
    it->second = testing::SharedPostgres().CreateDatabase("conformance_" + std::to_string(++databases));
  }
  auto store = postgres::OpenPgMetadataStore(it->second, 4);
  if (!store) ADD_FAILURE() << store.error().message;
  return std::move(*store);
}

INSTANTIATE_TEST_SUITE_P(
    Adapters, MetadataStoreConformance,
    ::testing::Values(MetadataStoreFactory{"sqlite",
                                           [](const std::filesystem::path& dir) {
                                             return std::move(*sqlite::OpenSqliteMetadataStore(
                                                 (dir / "test.db").string()));
                                           }},
                      MetadataStoreFactory{"postgres", OpenPostgres}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace shoebox
