// The S3 BlobStore beyond the shared contract: multipart commits, Range reads, virtual-host
// addressing, retries and faults injected by tests/s3/fault_proxy.mjs between the adapter and
// s3rver, and the maintenance that aborts abandoned multipart uploads.
#include "adapters/s3/s3_blob_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "adapters/s3/s3_client.h"
#include "tests/support/s3_server.h"
#include "tests/support/test_support.h"

namespace shoebox {
namespace {

constexpr std::int64_t kMiB = 1024 * 1024;

// `size` bytes that differ at every offset, so a misplaced range shows.
std::string Pattern(std::size_t size, unsigned seed = 7) {
  std::string out(size, '\0');
  std::uint32_t x = seed * 2654435761u + 1;
  for (std::size_t i = 0; i < size; ++i) {
    x = x * 1664525u + 1013904223u;
    out[i] = static_cast<char>(x >> 24);
  }
  return out;
}

class S3BlobStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new testing::S3Server(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    server_->SetFaults("[]");
    server_->ClearRequests();
    prefix_ = "t" + std::to_string(++tests_) + "/";
  }

  s3::S3Options Options() const {
    s3::S3Options options;
    options.endpoint = server_->endpoint();
    options.bucket = testing::S3Server::kBucket;
    options.access_key = testing::S3Server::kAccessKey;
    options.secret_key = testing::S3Server::kSecretKey;
    options.prefix = prefix_;
    options.work_dir = (work_.path() / "work").string();
    return options;
  }

  std::unique_ptr<BlobStore> Open(const s3::S3Options& options) {
    auto store = s3::OpenS3BlobStore(options);
    if (!store) throw std::runtime_error("OpenS3BlobStore: " + store.error().message);
    return std::move(*store);
  }

  static std::string ReadAll(Result<std::unique_ptr<BlobReader>> reader) {
    if (!reader) {
      ADD_FAILURE() << reader.error().message;
      return "";
    }
    std::string out;
    std::string buffer(100 * 1024, '\0');
    while (true) {
      auto n = (*reader)->Read(buffer);
      if (!n) {
        ADD_FAILURE() << n.error().message;
        return out;
      }
      if (*n == 0) return out;
      out.append(buffer.data(), *n);
    }
  }

  // The requests the proxy saw whose method is `method` and whose query has `query_name`.
  static std::vector<nlohmann::json> Requests(const std::string& method,
                                              const std::string& query_name = "") {
    std::vector<nlohmann::json> out;
    for (const auto& request : nlohmann::json::parse(server_->Requests())) {
      if (request["method"] != method) continue;
      std::string query = request["query"];
      if (!query_name.empty() && ("&" + query).find("&" + query_name + "=") == std::string::npos)
        continue;
      out.push_back(request);
    }
    return out;
  }

  std::string WriteLocalFile(const std::string& name, const std::string& bytes) {
    std::filesystem::path path = work_.path() / name;
    testing::WriteFile(path, bytes);
    return path.string();
  }

  static testing::S3Server* server_;
  static std::atomic<int> tests_;
  testing::TempDir work_;
  std::string prefix_;
  const std::string id_ = "01900000-0000-7000-8000-0000000000a1";
};

testing::S3Server* S3BlobStoreTest::server_ = nullptr;
std::atomic<int> S3BlobStoreTest::tests_{0};

TEST_F(S3BlobStoreTest, CommitsTwelveMiBStagedInSeveralSyncsAsAMultipartUpload) {
  s3::S3Options options = Options();
  options.part_bytes = 1 * kMiB;  // below S3's minimum: clamped to 5 MiB
  auto store = Open(options);
  const std::string bytes = Pattern(12 * kMiB);
  auto writer = store->OpenStaging(id_, 0);
  ASSERT_TRUE(writer);
  std::int64_t at = 0;
  for (std::int64_t piece : {3 * kMiB, 1 * kMiB, 8 * kMiB}) {  // 8 MiB: stored by Write itself
    ASSERT_TRUE((*writer)->Write(std::span<const char>(bytes.data() + at, piece)));
    ASSERT_TRUE((*writer)->Sync());
    at += piece;
  }
  EXPECT_EQ(Requests("PUT").size(), 4u);  // the empty first chunk, then one per Sync
  server_->ClearRequests();

  const std::string key = "library/u/2024/05/video.mp4";
  auto committed = store->CommitStaging(id_, key);
  ASSERT_TRUE(committed) << committed.error().message;

  std::vector<nlohmann::json> parts = Requests("PUT", "partNumber");
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0]["length"], 5 * kMiB);
  EXPECT_EQ(parts[1]["length"], 5 * kMiB);
  EXPECT_EQ(parts[2]["length"], 2 * kMiB);
  EXPECT_EQ(Requests("POST", "uploads").size(), 1u);
  EXPECT_EQ(Requests("POST", "uploadId").size(), 1u);
  EXPECT_EQ(server_->OpenMultipartUploads(), 0);

  EXPECT_EQ(store->Stat(key)->size, 12 * kMiB);
  EXPECT_TRUE(ReadAll(store->Read(key, 0, 12 * kMiB)) == bytes);
  // Across the first part boundary, and a small range in the middle.
  EXPECT_TRUE(ReadAll(store->Read(key, 5 * kMiB - 100, 300)) == bytes.substr(5 * kMiB - 100, 300));
  EXPECT_TRUE(ReadAll(store->Read(key, 7 * kMiB + 3, 1)) == bytes.substr(7 * kMiB + 3, 1));
  // Committing again is a no-op; so is it from a second instance of the server.
  EXPECT_TRUE(store->CommitStaging(id_, key));
  EXPECT_TRUE(Open(options)->CommitStaging(id_, key));
  EXPECT_EQ(Requests("POST", "uploads").size(), 1u);
}

TEST(S3MultipartTest, PartSizesKeepToS3Limits) {
  constexpr std::int64_t kGiB = 1024 * kMiB;
  EXPECT_EQ(s3::MultipartPartBytes(1 * kMiB, 12 * kMiB), 5 * kMiB);
  EXPECT_EQ(s3::MultipartPartBytes(16 * kMiB, 10 * kGiB), 16 * kMiB);  // 640 parts
  EXPECT_EQ(s3::MultipartPartBytes(64 * kGiB, 100 * kGiB), 5 * kGiB);
  for (std::int64_t size : {160 * kGiB + 1, 1024 * kGiB, 5 * 1024 * kGiB}) {
    std::int64_t part = s3::MultipartPartBytes(16 * kMiB, size);
    EXPECT_GT(part, 16 * kMiB);
    EXPECT_LE((size + part - 1) / part, 10'000) << size;
    EXPECT_LE(part, 5 * kGiB);
  }
}

TEST_F(S3BlobStoreTest, SyncOnAnotherThreadCoversEveryWriteThatReturned) {
  auto store = Open(Options());
  auto writer = store->OpenStaging(id_, 0);
  ASSERT_TRUE(writer);
  const std::string bytes = Pattern(12 * kMiB, 17);
  constexpr std::int64_t kPiece = 256 * 1024;
  std::atomic<std::int64_t> returned{0};
  std::atomic<bool> done{false};
  std::thread syncer([&] {
    while (!done) {
      std::int64_t covered = returned;
      auto synced = (*writer)->Sync();
      if (!synced) {
        ADD_FAILURE() << synced.error().message;
        return;
      }
      if (covered > 0) {
        // The last byte Sync() had to cover is there, for any instance to read.
        EXPECT_EQ(ReadAll(store->ReadStaging(id_, covered - 1, 1)), bytes.substr(covered - 1, 1));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  for (std::int64_t at = 0; at < static_cast<std::int64_t>(bytes.size()); at += kPiece) {
    ASSERT_TRUE((*writer)->Write(std::span<const char>(bytes.data() + at, kPiece)));
    returned = at + kPiece;
  }
  done = true;
  syncer.join();
  ASSERT_TRUE((*writer)->Sync());
  EXPECT_TRUE(ReadAll(store->ReadStaging(id_, 0, 12 * kMiB)) == bytes);
}

TEST_F(S3BlobStoreTest, ReadsRangesInWindowsAndPutsFilesOnce) {
  auto store = Open(Options());
  const std::string bytes = Pattern(10 * kMiB, 3);
  std::string file = WriteLocalFile("derived.bin", bytes);
  ASSERT_TRUE(store->PutFile("derived/x/preview.jpg", file));
  EXPECT_FALSE(std::filesystem::exists(file));  // consumed
  EXPECT_EQ(Requests("PUT").size(), 1u);        // 10 MiB is below the 16 MiB part size

  server_->ClearRequests();
  std::int64_t offset = 3 * kMiB + 17, length = 5 * kMiB;
  EXPECT_TRUE(ReadAll(store->Read("derived/x/preview.jpg", offset, length)) ==
              bytes.substr(offset, length));
  std::vector<nlohmann::json> gets = Requests("GET");
  ASSERT_EQ(gets.size(), 2u);  // windows of at most 4 MiB
  EXPECT_EQ(gets[0]["range"],
            "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + 4 * kMiB - 1));
  EXPECT_EQ(gets[1]["range"], "bytes=" + std::to_string(offset + 4 * kMiB) + "-" +
                                  std::to_string(offset + length - 1));

  auto beyond = store->Read("derived/x/preview.jpg", 10 * kMiB - 1, 2);
  ASSERT_FALSE(beyond);
  EXPECT_EQ(beyond.error().code, ErrorCode::kRangeNotSatisfiable);
  auto missing = store->Read("derived/x/none.jpg", 0, 0);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

  std::string again = WriteLocalFile("again.bin", "other");
  auto taken = store->PutFile("derived/x/preview.jpg", again);
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, ErrorCode::kConflict);
  EXPECT_TRUE(std::filesystem::exists(again));  // not consumed

  // A file past the part size goes up in parts.
  s3::S3Options small_parts = Options();
  small_parts.part_bytes = 5 * kMiB;
  server_->ClearRequests();
  std::string big = WriteLocalFile("big.bin", Pattern(11 * kMiB, 5));
  ASSERT_TRUE(Open(small_parts)->PutFile("derived/x/big.mp4", big));
  EXPECT_EQ(Requests("PUT", "partNumber").size(), 3u);
  EXPECT_TRUE(ReadAll(store->Read("derived/x/big.mp4", 11 * kMiB - 10, 10)) ==
              Pattern(11 * kMiB, 5).substr(11 * kMiB - 10));
}

TEST_F(S3BlobStoreTest, KeysWithSpacesAndOtherCharactersAreSignedAndListedAsTheyAre) {
  auto store = Open(Options());
  const std::string key = "library/u/2023/01/Été 2023 + friends (1) 100%&co=~x'.jpg";
  std::string file = WriteLocalFile("odd.jpg", "odd bytes");
  auto put = store->PutFile(key, file);
  ASSERT_TRUE(put) << put.error().message;  // the proxy checks every signature
  EXPECT_EQ(ReadAll(store->Read(key, 4, 5)), "bytes");
  std::set<std::string> keys;
  ASSERT_TRUE(
      store->ForEach("library/", [&](const std::string& k, std::int64_t) { keys.insert(k); }));
  EXPECT_EQ(keys, std::set<std::string>{key});
}

TEST_F(S3BlobStoreTest, ResumesStagingAcrossChunksAndInstances) {
  auto store = Open(Options());
  auto writer = store->OpenStaging(id_, 0);
  ASSERT_TRUE(writer);
  for (const char* piece : {"aaaa", "bbbb", "cccc"}) {
    ASSERT_TRUE((*writer)->Write(std::string_view(piece)));
    ASSERT_TRUE((*writer)->Sync());
  }
  // Another server instance resumes mid-chunk: the chunk after goes, the straddling one shrinks.
  auto other = Open(Options());
  auto resumed = other->OpenStaging(id_, 6);
  ASSERT_TRUE(resumed);
  ASSERT_TRUE((*resumed)->Write(std::string_view("XY")));
  ASSERT_TRUE((*resumed)->Sync());
  EXPECT_EQ(ReadAll(store->ReadStaging(id_, 0, 8)), "aaaabbXY");
  auto beyond = store->ReadStaging(id_, 0, 9);
  ASSERT_FALSE(beyond);
  EXPECT_EQ(beyond.error().code, ErrorCode::kRangeNotSatisfiable);

  // A lost chunk: only the bytes before it count.
  ASSERT_TRUE(store->Remove("staging/" + id_ + "/00000000000000000004"));
  auto lost = store->OpenStaging(id_, 6);
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code, ErrorCode::kConflict);
  ASSERT_TRUE(store->OpenStaging(id_, 4));
  EXPECT_EQ(ReadAll(store->ReadStaging(id_, 0, 4)), "aaaa");

  // The staging area is listed once, and never as a stored blob.
  std::vector<std::string> staged;
  ASSERT_TRUE(store->ForEachStaging([&](const std::string& id, std::int64_t modified) {
    staged.push_back(id);
    EXPECT_GT(modified, 1'600'000'000'000);
  }));
  EXPECT_EQ(staged, std::vector<std::string>{id_});
  bool listed = false;
  ASSERT_TRUE(store->ForEach("", [&](const std::string&, std::int64_t) { listed = true; }));
  EXPECT_FALSE(listed);
  ASSERT_TRUE(store->RemoveStaging(id_));
  staged.clear();
  ASSERT_TRUE(
      store->ForEachStaging([&](const std::string& id, std::int64_t) { staged.push_back(id); }));
  EXPECT_TRUE(staged.empty());
  auto gone = store->ReadStaging(id_, 0, 0);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
}

TEST_F(S3BlobStoreTest, VirtualHostAddressing) {
  s3::S3Options options = Options();
  options.endpoint = server_->vhost_endpoint();
  options.path_style = false;
  auto store = Open(options);
  auto writer = store->OpenStaging(id_, 0);
  ASSERT_TRUE(writer);
  ASSERT_TRUE((*writer)->Write(std::string_view("virtual host")));
  ASSERT_TRUE((*writer)->Sync());
  ASSERT_TRUE(store->CommitStaging(id_, "library/v/a.jpg"));
  EXPECT_EQ(ReadAll(store->Read("library/v/a.jpg", 8, 4)), "host");
  for (const auto& request : nlohmann::json::parse(server_->Requests())) {
    EXPECT_TRUE(std::string(request["host"]).starts_with("shoebox.s3.localhost:")) << request;
    EXPECT_FALSE(std::string(request["path"]).starts_with("/shoebox/")) << request;
  }
  // The same objects through path-style addressing.
  EXPECT_EQ(ReadAll(Open(Options())->Read("library/v/a.jpg", 0, 7)), "virtual");
}

TEST_F(S3BlobStoreTest, RetriesServerErrorsSlowDownAndDroppedConnections) {
  auto store = Open(Options());
  server_->SetFaults(R"([
    {"method": "PUT", "status": 500, "times": 2},
    {"method": "GET", "status": 503, "code": "SlowDown", "times": 1},
    {"method": "HEAD", "drop": true, "times": 1}
  ])");
  std::string file = WriteLocalFile("a.bin", "retried bytes");
  auto put = store->PutFile("library/r/a.jpg", file);
  ASSERT_TRUE(put) << put.error().message;
  EXPECT_EQ(ReadAll(store->Read("library/r/a.jpg", 0, 13)), "retried bytes");
  std::multiset<int> statuses;
  for (const auto& request : nlohmann::json::parse(server_->Requests())) {
    statuses.insert(request["status"].get<int>());
  }
  EXPECT_EQ(statuses.count(500), 2u);
  EXPECT_EQ(statuses.count(503), 1u);
  EXPECT_EQ(statuses.count(-1), 1u);

  // Past max_attempts the error is kUnavailable, and the file stays for a later try.
  s3::S3Options impatient = Options();
  impatient.max_attempts = 2;
  auto store2 = Open(impatient);
  server_->ClearRequests();
  server_->SetFaults(R"([{"method": "PUT", "status": 500}])");
  std::string kept = WriteLocalFile("b.bin", "kept");
  auto failed = store2->PutFile("library/r/b.jpg", kept);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(failed.error().message.find("InternalError"), std::string::npos)
      << failed.error().message;
  EXPECT_TRUE(std::filesystem::exists(kept));
  EXPECT_EQ(Requests("PUT").size(), 2u);
}

TEST_F(S3BlobStoreTest, AWriterThatLosesTheRaceForAKeyGetsConflict) {
  // s3rver ignores If-None-Match; the proxy answers 412 as AWS does when another writer's object
  // appeared between the existence check and the PUT.
  auto store = Open(Options());
  server_->SetFaults(
      R"([{"method": "PUT", "status": 412, "code": "PreconditionFailed", "times": 1}])");
  std::string file = WriteLocalFile("race.bin", "race");
  auto lost = store->PutFile("library/c/a.jpg", file);
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code, ErrorCode::kConflict);
  EXPECT_TRUE(std::filesystem::exists(file));
  EXPECT_EQ(Requests("PUT").size(), 1u);  // not retried

  auto writer = store->OpenStaging(id_, 0);
  ASSERT_TRUE(writer);
  ASSERT_TRUE((*writer)->Write(std::string_view("staged")));
  ASSERT_TRUE((*writer)->Sync());
  server_->SetFaults(
      R"([{"method": "PUT", "status": 412, "code": "PreconditionFailed", "times": 1}])");
  auto taken = store->CommitStaging(id_, "library/c/b.jpg");
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, ErrorCode::kConflict);
  ASSERT_TRUE(store->CommitStaging(id_, "library/c/b.jpg"));  // the key turned out free
}

TEST_F(S3BlobStoreTest, SlowResponsesStillSucceed) {
  auto store = Open(Options());
  std::string file = WriteLocalFile("slow.bin", "slow bytes");
  ASSERT_TRUE(store->PutFile("library/s/a.jpg", file));
  server_->SetFaults(R"([{"method": "GET", "delay_ms": 2000, "times": 1}])");
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(ReadAll(store->Read("library/s/a.jpg", 0, 10)), "slow bytes");
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(1900));
  EXPECT_EQ(Requests("GET").size(), 1u);  // waited, not retried
}

TEST_F(S3BlobStoreTest, CompleteMultipartUploadAnsweringErrorAt200FailsAndLeavesNothing) {
  s3::S3Options options = Options();
  options.part_bytes = 5 * kMiB;
  options.max_attempts = 2;
  auto store = Open(options);
  const std::string bytes = Pattern(6 * kMiB, 11);
  auto writer = store->OpenStaging(id_, 0);
  ASSERT_TRUE(writer);
  // Two chunks, so the commit is a multipart upload (one chunk is copied by the store).
  ASSERT_TRUE((*writer)->Write(std::string_view(bytes).substr(0, 3 * kMiB)));
  ASSERT_TRUE((*writer)->Sync());
  ASSERT_TRUE((*writer)->Write(std::string_view(bytes).substr(3 * kMiB)));
  ASSERT_TRUE((*writer)->Sync());

  server_->SetFaults(R"([{"method": "POST", "query": "uploadId", "error_at_200": true}])");
  auto failed = store->CommitStaging(id_, "library/m/a.mp4");
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message.find("InternalError"), std::string::npos)
      << failed.error().message;
  EXPECT_EQ(Requests("POST", "uploadId").size(), 2u);    // retried once, as for a 500
  EXPECT_EQ(Requests("DELETE", "uploadId").size(), 1u);  // aborted
  EXPECT_EQ(server_->OpenMultipartUploads(), 0);
  EXPECT_EQ(store->Stat("library/m/a.mp4").error().code, ErrorCode::kNotFound);

  // Once: the retry completes it.
  server_->SetFaults(
      R"([{"method": "POST", "query": "uploadId", "error_at_200": true, "times": 1}])");
  auto committed = store->CommitStaging(id_, "library/m/a.mp4");
  ASSERT_TRUE(committed) << committed.error().message;
  EXPECT_TRUE(ReadAll(store->Read("library/m/a.mp4", 0, 6 * kMiB)) == bytes);
  EXPECT_EQ(server_->OpenMultipartUploads(), 0);
}

TEST_F(S3BlobStoreTest, AnUploadInOneChunkIsCopiedByTheStoreItself) {
  auto store = Open(Options());
  const std::string bytes = Pattern(1 * kMiB, 5);
  auto writer = store->OpenStaging(id_, 0);
  ASSERT_TRUE(writer);
  ASSERT_TRUE((*writer)->Write(bytes));
  ASSERT_TRUE((*writer)->Sync());
  server_->ClearRequests();
  ASSERT_TRUE(store->CommitStaging(id_, "library/c/one.jpg"));
  for (const auto& get : Requests("GET")) {  // listings only: no chunk came back through here
    EXPECT_EQ(std::string(get["path"]).find("staging/"), std::string::npos) << get.dump();
  }
  EXPECT_TRUE(ReadAll(store->Read("library/c/one.jpg", 0, bytes.size())) == bytes);
  EXPECT_TRUE(store->CommitStaging(id_, "library/c/one.jpg"));  // idempotent, as before
}

TEST_F(S3BlobStoreTest, AbortsStaleMultipartUploadsUnderItsPrefixOnly) {
  s3::S3Options options = Options();
  options.part_bytes = 5 * kMiB;
  auto store = Open(options);
  auto writer = store->OpenStaging(id_, 0);
  ASSERT_TRUE(writer);
  for (int half = 0; half < 2; ++half) {  // two chunks: a multipart commit
    ASSERT_TRUE((*writer)->Write(Pattern(3 * kMiB, half)));
    ASSERT_TRUE((*writer)->Sync());
  }
  // A commit that dies half-way (here: completing and aborting both refused) leaves its upload.
  server_->SetFaults(R"([
    {"method": "POST", "query": "uploadId", "status": 400, "code": "InvalidPart"},
    {"method": "DELETE", "query": "uploadId", "status": 400, "code": "InvalidRequest"}
  ])");
  ASSERT_FALSE(store->CommitStaging(id_, "library/m/b.mp4"));
  server_->SetFaults("[]");
  ASSERT_EQ(server_->OpenMultipartUploads(), 1);

  EXPECT_EQ(*s3::AbortStaleMultipartUploads(*store, 3'600'000), 0);  // not an hour old
  s3::S3Options elsewhere = Options();
  elsewhere.prefix = "another-prefix/";
  auto other = Open(elsewhere);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // the store's clock has seconds
  EXPECT_EQ(*s3::AbortStaleMultipartUploads(*other, 0), 0);      // not its prefix
  EXPECT_EQ(server_->OpenMultipartUploads(), 1);
  auto aborted = s3::AbortStaleMultipartUploads(*store, 0);
  ASSERT_TRUE(aborted) << aborted.error().message;
  EXPECT_EQ(*aborted, 1);
  EXPECT_EQ(server_->OpenMultipartUploads(), 0);
  EXPECT_EQ(store->Stat("library/m/b.mp4").error().code, ErrorCode::kNotFound);
}

TEST_F(S3BlobStoreTest, UnreachableOrFailingStoreIsUnavailable) {
  s3::S3Options options = Options();
  options.endpoint = "http://127.0.0.1:1";  // nothing listens on port 1
  options.max_attempts = 2;
  auto unreachable = s3::OpenS3BlobStore(options);
  ASSERT_FALSE(unreachable);
  EXPECT_EQ(unreachable.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(unreachable.error().retryable);

  s3::S3Options impatient = Options();
  impatient.max_attempts = 2;
  auto store = Open(impatient);
  server_->SetFaults(R"([{"method": "HEAD", "status": 503, "code": "ServiceUnavailable"}])");
  auto free = store->FreeBytes();  // what the health check asks
  ASSERT_FALSE(free);
  EXPECT_EQ(free.error().code, ErrorCode::kUnavailable);
  server_->SetFaults("[]");
  EXPECT_EQ(*store->FreeBytes(), std::numeric_limits<std::int64_t>::max());
}

TEST_F(S3BlobStoreTest, RefusedCredentialsAndMissingBucketAreReported) {
  s3::S3Options options = Options();
  options.secret_key = "wrong";
  auto refused = s3::OpenS3BlobStore(options);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInternal);
  EXPECT_NE(refused.error().message.find("HTTP 403"), std::string::npos);  // HEAD: no S3 code
  EXPECT_NE(refused.error().message.find("secret key"), std::string::npos);

  options = Options();
  options.bucket = "no-such-bucket";
  auto missing = s3::OpenS3BlobStore(options);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

  options = Options();
  options.endpoint = "ftp://127.0.0.1";
  EXPECT_EQ(s3::OpenS3BlobStore(options).error().code, ErrorCode::kBadRequest);
}

}  // namespace
}  // namespace shoebox
