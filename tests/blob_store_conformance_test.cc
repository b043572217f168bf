// The BlobStore contract (ports/blob_store.h), run against every adapter.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <set>
#include <stdexcept>

#include "adapters/localfs/local_blob_store.h"
#include "adapters/s3/s3_blob_store.h"
#include "tests/support/s3_server.h"
#include "tests/support/test_support.h"

namespace shoebox {
namespace {

struct BlobStoreFactory {
  std::string name;
  std::function<std::unique_ptr<BlobStore>(const std::filesystem::path&)> open;
};

// One s3rver for the whole suite (started on first use); each store gets a prefix of its own.
std::unique_ptr<BlobStore> OpenS3Store(const std::filesystem::path& work_dir) {
  static testing::S3Server server;
  static std::atomic<int> stores{0};
  s3::S3Options options;
  options.endpoint = server.endpoint();
  options.bucket = testing::S3Server::kBucket;
  options.access_key = testing::S3Server::kAccessKey;
  options.secret_key = testing::S3Server::kSecretKey;
  options.prefix = "conformance-" + std::to_string(++stores) + "/";
  options.work_dir = work_dir.string();
  auto store = s3::OpenS3BlobStore(options);
  if (!store) throw std::runtime_error("OpenS3BlobStore: " + store.error().message);
  return std::move(*store);
}

// Names the adapter in test output (instead of the factory's bytes).
void PrintTo(const BlobStoreFactory& factory, std::ostream* out) { *out << factory.name; }

class BlobStoreConformance : public ::testing::TestWithParam<BlobStoreFactory> {
 protected:
  void SetUp() override { store_ = GetParam().open(dir_.path()); }

  std::string ReadAll(std::unique_ptr<BlobReader> reader) {
    std::string out;
    char buffer[4096];
    while (true) {
      auto n = reader->Read(buffer);
      EXPECT_TRUE(n);
      if (!n || *n == 0) return out;
      out.append(buffer, *n);
    }
  }

  void Stage(const std::string& id, const std::string& bytes) {
    auto writer = store_->OpenStaging(id, 0);
    ASSERT_TRUE(writer);
    ASSERT_TRUE((*writer)->Write(bytes));
    ASSERT_TRUE((*writer)->Sync());
  }

  testing::TempDir dir_;
  std::unique_ptr<BlobStore> store_;
  const std::string id_ = "01900000-0000-7000-8000-000000000001";
};

TEST_P(BlobStoreConformance, StagingAppendsAtTheRecordedOffsetAndDropsTheRest) {
  Stage(id_, "hello world");
  auto writer = store_->OpenStaging(id_, 5);  // " world" was never recorded
  ASSERT_TRUE(writer);
  ASSERT_TRUE((*writer)->Write(std::string_view(", there")));
  ASSERT_TRUE((*writer)->Sync());
  EXPECT_EQ(ReadAll(*store_->ReadStaging(id_, 0, 12)), "hello, there");
  EXPECT_EQ(ReadAll(*store_->ReadStaging(id_, 7, 5)), "there");
  auto lost = store_->OpenStaging(id_, 100);
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code, ErrorCode::kConflict);
  auto beyond = store_->ReadStaging(id_, 10, 10);
  ASSERT_FALSE(beyond);
  EXPECT_EQ(beyond.error().code, ErrorCode::kRangeNotSatisfiable);
  EXPECT_FALSE(store_->OpenStaging("../escape", 0));
}

TEST_P(BlobStoreConformance, CommitIsIdempotentAndNeverOverwrites) {
  Stage(id_, "photo bytes");
  ASSERT_TRUE(store_->CommitStaging(id_, "library/u/2023/01/a.jpg"));
  ASSERT_TRUE(store_->CommitStaging(id_, "library/u/2023/01/a.jpg"));  // retry after a crash
  const std::string other = "01900000-0000-7000-8000-000000000002";
  Stage(other, "other bytes");
  auto taken = store_->CommitStaging(other, "library/u/2023/01/a.jpg");
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, ErrorCode::kConflict);
  auto none = [](const std::string&) { return false; };
  auto free = store_->FreeKey("library/u/2023/01/a.jpg", none);
  ASSERT_TRUE(free);
  EXPECT_EQ(*free, "library/u/2023/01/a (1).jpg");
  auto skipping = store_->FreeKey("library/u/2023/01/a.jpg", [](const std::string& key) {
    return key == "library/u/2023/01/a (1).jpg";  // e.g. still owed a deletion
  });
  EXPECT_EQ(*skipping, "library/u/2023/01/a (2).jpg");
  ASSERT_TRUE(store_->CommitStaging(other, *free));
  ASSERT_TRUE(store_->RemoveStaging(id_));
  ASSERT_TRUE(store_->RemoveStaging(id_));
  EXPECT_EQ(ReadAll(*store_->Read("library/u/2023/01/a.jpg", 0, 11)), "photo bytes");
  EXPECT_EQ(ReadAll(*store_->Read("library/u/2023/01/a (1).jpg", 6, 5)), "bytes");
  EXPECT_EQ(store_->Stat("library/u/2023/01/a.jpg")->size, 11);
  std::set<std::string> keys;
  ASSERT_TRUE(store_->ForEach("library/", [&](const std::string& key, std::int64_t) { keys.insert(key); }));
  EXPECT_EQ(keys, (std::set<std::string>{"library/u/2023/01/a.jpg", "library/u/2023/01/a (1).jpg"}));
  ASSERT_TRUE(store_->Remove("library/u/2023/01/a.jpg"));
  ASSERT_TRUE(store_->Remove("library/u/2023/01/a.jpg"));
  EXPECT_EQ(store_->Stat("library/u/2023/01/a.jpg").error().code, ErrorCode::kNotFound);
}

TEST_P(BlobStoreConformance, KeysCannotEscapeTheStore) {
  for (const char* key : {"../x", "library/../../x", "/etc/passwd", "", "a//b", "a/./b"}) {
    auto result = store_->Read(key, 0, 0);
    ASSERT_FALSE(result) << key;
    EXPECT_EQ(result.error().code, ErrorCode::kBadRequest) << key;
  }
  EXPECT_TRUE(store_->FreeBytes());
}

INSTANTIATE_TEST_SUITE_P(
    Adapters, BlobStoreConformance,
    ::testing::Values(BlobStoreFactory{"local",
                                       [](const std::filesystem::path& root) {
                                         return std::move(*localfs::OpenLocalBlobStore(root));
                                       }},
                      BlobStoreFactory{"s3", &OpenS3Store}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace shoebox
