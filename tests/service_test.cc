// Service-level tests: the real embedded adapters in a temp dir, a clock the test moves, and a
// fault-injecting blob store for disk-full cases. No sockets.
#include <gtest/gtest.h>

#include "adapters/libmagic/libmagic_inspector.h"
#include "adapters/localfs/local_blob_store.h"
#include "adapters/sqlite/sqlite_metadata_store.h"
#include "core/hashing.h"
#include "tests/support/test_support.h"

namespace shoebox {
namespace {

// A request body held in memory, delivered in chunks; optionally the "client" goes away after
// `fail_after` bytes.
class MemorySource final : public ByteSource {
 public:
  MemorySource(std::string bytes, std::size_t chunk = 64 * 1024, std::size_t fail_after = SIZE_MAX)
      : bytes_(std::move(bytes)), chunk_(chunk), fail_after_(fail_after) {}
  Result<std::span<const char>> Next() override {
    if (position_ >= fail_after_) {
      return MakeError(ErrorCode::kUnavailable, "client went away");
    }
    std::size_t n = std::min({chunk_, bytes_.size() - position_, fail_after_ - position_});
    std::span<const char> out(bytes_.data() + position_, n);
    position_ += n;
    return out;
  }

 private:
  std::string bytes_;
  std::size_t chunk_;
  std::size_t fail_after_;
  std::size_t position_ = 0;
};

// Wraps a BlobStore; staging writes fail with a full disk once `budget` bytes were written.
class DiskFillingBlobStore final : public BlobStore {
 public:
  explicit DiskFillingBlobStore(BlobStore& inner) : inner_(inner) {}
  std::int64_t budget = INT64_MAX;

  Result<std::unique_ptr<StagingWriter>> OpenStaging(const std::string& id, std::int64_t offset) override {
    SHOEBOX_ASSIGN(auto writer, inner_.OpenStaging(id, offset));
    return std::unique_ptr<StagingWriter>(new Writer(std::move(writer), budget));
  }
  Result<std::unique_ptr<BlobReader>> ReadStaging(const std::string& id, std::int64_t offset,
                                                  std::int64_t length) override {
    return inner_.ReadStaging(id, offset, length);
  }
  Result<void> RemoveStaging(const std::string& id) override { return inner_.RemoveStaging(id); }
  Result<void> ForEachStaging(const std::function<void(const std::string&, std::int64_t)>& visit) override {
    return inner_.ForEachStaging(visit);
  }
  Result<std::string> FreeKey(const std::string& wanted,
                              const std::function<bool(const std::string&)>& unavailable) override {
    return inner_.FreeKey(wanted, unavailable);
  }
  Result<void> CommitStaging(const std::string& id, const std::string& key) override {
    return inner_.CommitStaging(id, key);
  }
  Result<std::unique_ptr<BlobReader>> Read(const std::string& key, std::int64_t offset,
                                           std::int64_t length) override {
    return inner_.Read(key, offset, length);
  }
  Result<BlobInfo> Stat(const std::string& key) override { return inner_.Stat(key); }
  Result<void> PutFile(const std::string& key, const std::string& file) override {
    return inner_.PutFile(key, file);
  }
  std::optional<std::string> LocalPath(const std::string& key) override {
    return inner_.LocalPath(key);
  }
  Result<void> Remove(const std::string& key) override { return inner_.Remove(key); }
  Result<void> RemoveCommitted(const std::string& id, const std::string& key) override {
    return inner_.RemoveCommitted(id, key);
  }
  Result<void> ForEach(const std::string& prefix,
                       const std::function<void(const std::string&, std::int64_t)>& visit) override {
    return inner_.ForEach(prefix, visit);
  }
  Result<std::int64_t> FreeBytes() override { return inner_.FreeBytes(); }

 private:
  class Writer final : public StagingWriter {
   public:
    Writer(std::unique_ptr<StagingWriter> inner, std::int64_t& budget) : inner_(std::move(inner)), budget_(budget) {}
    Result<void> Write(std::span<const char> bytes) override {
      if (static_cast<std::int64_t>(bytes.size()) > budget_) {
        return MakeError(ErrorCode::kInsufficientStorage, "storage is full (injected)");
      }
      budget_ -= static_cast<std::int64_t>(bytes.size());
      return inner_->Write(bytes);
    }
    Result<void> Sync() override { return inner_->Sync(); }

   private:
    std::unique_ptr<StagingWriter> inner_;
    std::int64_t& budget_;
  };
  BlobStore& inner_;
};

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*sqlite::OpenSqliteMetadataStore((dir_.path() / "db").string()));
    local_ = std::move(*localfs::OpenLocalBlobStore(dir_.path()));
    blobs_ = std::make_unique<DiskFillingBlobStore>(*local_);
    inspector_ = std::move(*libmagic::OpenLibmagicInspector());
    policy_ = std::make_unique<AccessPolicy>(store_->Assets(), store_->Uploads(),
                                             store_->Albums(), store_->ShareLinks());
    UploadSettings settings;
    settings.checkpoint_bytes = 100'000;
    uploads_ = MakeUploads("instance-a", settings);
    assets_ = std::make_unique<AssetService>(store_->Assets(), *blobs_, *policy_, clock_, 60);
    maintenance_ = std::make_unique<MaintenanceService>(*uploads_, *assets_, store_->LoginAttempts(), clock_);
    PasswordHasher hasher;
    UserService users(store_->Users(), store_->Credentials(), hasher, clock_);
    NewUser request;
    request.email = "ann@example.com";
    request.password = "password123";
    caller_.user = *users.Create(request);
  }

  std::unique_ptr<UploadService> MakeUploads(const std::string& instance, UploadSettings settings = {}) {
    settings.checkpoint_bytes = 100'000;
    return std::make_unique<UploadService>(store_->Uploads(), store_->Assets(), store_->Users(),
                                           *blobs_, *inspector_, *policy_, clock_, settings, instance);
  }

  UploadMetadata Metadata(const std::string& bytes) {
    UploadMetadata metadata;
    metadata.filename = "a.jpg";
    metadata.sha256 = Sha256Hex(bytes);
    metadata.mtime = 1'600'000'000'000;
    return metadata;
  }

  std::string StoreAsset(const std::string& bytes) {
    auto upload = uploads_->Create(caller_, static_cast<std::int64_t>(bytes.size()), Metadata(bytes));
    EXPECT_TRUE(upload);
    MemorySource body(bytes);
    auto status = uploads_->Append(caller_, upload->id, 0, std::nullopt, std::nullopt, body);
    EXPECT_TRUE(status) << (status ? "" : status.error().message);
    return status->asset_id.value_or("");
  }

  testing::TempDir dir_;
  ManualClock clock_{1'700'000'000'000};
  std::unique_ptr<MetadataStore> store_;
  std::unique_ptr<BlobStore> local_;
  std::unique_ptr<DiskFillingBlobStore> blobs_;
  std::unique_ptr<MediaInspector> inspector_;
  std::unique_ptr<AccessPolicy> policy_;
  std::unique_ptr<UploadService> uploads_;
  std::unique_ptr<AssetService> assets_;
  std::unique_ptr<MaintenanceService> maintenance_;
  Caller caller_;
};

TEST_F(ServiceTest, TrashIsPurgedAfterSixtyDaysNotBefore) {
  std::string bytes = testing::FakeJpeg(5000);
  std::string id = StoreAsset(bytes);
  ASSERT_TRUE(assets_->Trash(caller_, id));
  std::string key = store_->Assets().Get(id)->blob_key;
  clock_.Advance(59 * kMillisPerDay);
  ASSERT_TRUE(maintenance_->RunOnce());
  EXPECT_TRUE(store_->Assets().Get(id));
  EXPECT_TRUE(local_->Stat(key));
  clock_.Advance(2 * kMillisPerDay);
  auto report = maintenance_->RunOnce();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->assets_purged, 1);
  EXPECT_EQ(store_->Assets().Get(id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(local_->Stat(key).error().code, ErrorCode::kNotFound);
  auto lookup = assets_->Exist(caller_, {Sha256Hex(bytes)});
  ASSERT_EQ(lookup->matches.size(), 1u);
  EXPECT_TRUE(lookup->matches[0].deleted);
}

TEST_F(ServiceTest, IdleUploadsExpireWithTheirBytes) {
  std::string bytes = testing::FakeJpeg(300'000);
  auto upload = uploads_->Create(caller_, 300'000, Metadata(bytes));
  MemorySource part(bytes.substr(0, 150'000));
  ASSERT_TRUE(uploads_->Append(caller_, upload->id, 0, std::nullopt, std::nullopt, part));
  clock_.Advance(23 * 3600 * 1000LL);
  ASSERT_TRUE(maintenance_->RunOnce());
  EXPECT_EQ(uploads_->Status(caller_, upload->id)->upload.offset, 150'000);
  clock_.Advance(2 * 3600 * 1000LL);
  EXPECT_EQ(maintenance_->RunOnce()->uploads_removed, 1);
  EXPECT_EQ(uploads_->Status(caller_, upload->id).error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(local_->ReadStaging(upload->id, 0, 1));
}

TEST_F(ServiceTest, ClientGoneKeepsWhatArrivedAndAnotherInstanceFinishes) {
  std::string bytes = testing::FakeJpeg(1'000'000, 3);
  auto upload = uploads_->Create(caller_, 1'000'000, Metadata(bytes));
  MemorySource cut(bytes, 64 * 1024, 654'321);
  auto interrupted = uploads_->Append(caller_, upload->id, 0, 1'000'000, std::nullopt, cut);
  ASSERT_FALSE(interrupted);
  EXPECT_EQ(interrupted.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(uploads_->Status(caller_, upload->id)->upload.offset, 654'321);
  // Another server instance continues from the saved hash state.
  auto other = MakeUploads("instance-b");
  MemorySource rest(bytes.substr(654'321));
  auto done = other->Append(caller_, upload->id, 654'321, std::nullopt, std::nullopt, rest);
  ASSERT_TRUE(done) << done.error().message;
  ASSERT_TRUE(done->asset_id);
  EXPECT_EQ(store_->Assets().Get(*done->asset_id)->sha256, Sha256Hex(bytes));
}

TEST_F(ServiceTest, AFullDiskFailsTheRequestAndKeepsTheLastCheckpoint) {
  std::string bytes = testing::FakeJpeg(500'000, 4);
  auto upload = uploads_->Create(caller_, 500'000, Metadata(bytes));
  blobs_->budget = 250'000;
  MemorySource body(bytes, 50'000);
  auto full = uploads_->Append(caller_, upload->id, 0, std::nullopt, std::nullopt, body);
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, ErrorCode::kInsufficientStorage);
  std::int64_t offset = uploads_->Status(caller_, upload->id)->upload.offset;
  EXPECT_EQ(offset, 200'000);  // the last checkpoint (every 100 kB)
  blobs_->budget = INT64_MAX;
  MemorySource rest(bytes.substr(static_cast<std::size_t>(offset)));
  auto done = uploads_->Append(caller_, upload->id, offset, std::nullopt, std::nullopt, rest);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_TRUE(done->asset_id);
}

TEST_F(ServiceTest, LimitsAreCheckedAgainOnCompletion) {
  std::string bytes = testing::FakeJpeg(300'000, 5);
  auto upload = uploads_->Create(caller_, 300'000, Metadata(bytes));
  MemorySource first(bytes.substr(0, 150'000));
  ASSERT_TRUE(uploads_->Append(caller_, upload->id, 0, std::nullopt, std::nullopt, first));
  UploadSettings stricter;
  stricter.limits.photo_max_bytes = 200'000;  // the administrator lowered the limit meanwhile
  auto other = MakeUploads("instance-b", stricter);
  MemorySource rest(bytes.substr(150'000));
  auto done = other->Append(caller_, upload->id, 150'000, std::nullopt, std::nullopt, rest);
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, ErrorCode::kPhotoTooLarge);
  EXPECT_EQ(uploads_->Status(caller_, upload->id).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(store_->Assets().Totals()->assets == 0);
}

// A request whose lease another request took over stops, and leaves the bytes alone.
TEST_F(ServiceTest, ARequestThatLostItsLeaseStopsAndTouchesNothing) {
  std::string bytes = testing::FakeJpeg(400'000, 6);
  auto upload = uploads_->Create(caller_, 400'000, Metadata(bytes));
  class Hijacked final : public ByteSource {
   public:
    Hijacked(std::string bytes, std::function<void()> after_two) : bytes_(std::move(bytes)), hijack_(std::move(after_two)) {}
    Result<std::span<const char>> Next() override {
      if (++calls_ == 3) hijack_();  // stalls past its lease; someone else takes the upload
      std::size_t n = std::min<std::size_t>(50'000, bytes_.size() - position_);
      std::span<const char> out(bytes_.data() + position_, n);
      position_ += n;
      return out;
    }

   private:
    std::string bytes_;
    std::function<void()> hijack_;
    std::size_t position_ = 0;
    int calls_ = 0;
  };
  Hijacked body(bytes, [&] {
    clock_.Advance(61'000);
    ASSERT_TRUE(store_->Uploads().AcquireLease(upload->id, "intruder", clock_.Now(),
                                               clock_.Now() + 60'000));
    testing::WriteFile(dir_.path() / "uploads" / upload->id, "intruder's bytes");
  });
  RequestChecksum checksum{"sha1", std::string(20, 'x')};
  auto result = uploads_->Append(caller_, upload->id, 0, std::nullopt, checksum, body);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kUploadLocked);
  // Neither written to nor truncated after losing the lease: the intruder's bytes stand alone.
  EXPECT_EQ(testing::ReadFile(dir_.path() / "uploads" / upload->id), "intruder's bytes");
}

TEST_F(ServiceTest, AnotherUsersUploadIsNotFound) {
  std::string bytes = testing::FakeJpeg(1000);
  auto upload = uploads_->Create(caller_, 1000, Metadata(bytes));
  Caller mallory;
  mallory.user.id = "01900000-0000-7000-8000-00000000dead";
  MemorySource body(bytes);
  EXPECT_EQ(uploads_->Append(mallory, upload->id, 0, std::nullopt, std::nullopt, body).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(uploads_->Terminate(mallory, upload->id).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(uploads_->Status(caller_, upload->id));
}

}  // namespace
}  // namespace shoebox
