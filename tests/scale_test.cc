// Several shoebox-server processes on one PostgreSQL and one S3 store, behind nginx: an upload
// continues on another instance, jobs run exactly once across instances, an instance killed with
// SIGKILL loses nothing, and S3 faults never make an asset visible without its object.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "client/http_client.h"
#include "client/tus_uploader.h"
#include "core/hashing.h"
#include "core/text.h"
#include "tests/support/nginx_proxy.h"
#include "tests/support/postgres_server.h"
#include "tests/support/s3_server.h"
#include "tests/support/test_support.h"

namespace shoebox::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// One real JPEG (an ffmpeg test picture) that the media jobs can decode.
const std::string& BaseJpeg() {
  static const std::string bytes = [] {
    static TempDir dir;
    fs::path file = dir.path() / "base.jpg";
    std::string command = "ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=320x240 "
                          "-frames:v 1 -y " + file.string();
    if (std::system(command.c_str()) != 0) throw std::runtime_error("ffmpeg failed");
    return ReadFile(file);
  }();
  return bytes;
}

// Photo `n`: the base picture with `n` after its end, so every one has its own checksum.
std::string Photo(int n, std::size_t padding = 0) {
  std::string bytes = BaseJpeg() + "shoebox-photo-" + std::to_string(n);
  bytes.append(padding, static_cast<char>('a' + n % 26));
  return bytes;
}

class ScaleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& [key, value] : SharedBackendSettings()) settings_.push_back(key + "=" + value);
    // A dead instance's holds lapse quickly, so the test does not wait a minute for them.
    settings_.insert(settings_.end(),
                     {"uploads.lease_seconds=3", "jobs.lease_seconds=6",
                      "jobs.retry_base_seconds=1", "jobs.workers=1", "log.level=debug",
                      "server.shutdown_grace_seconds=1", "server.trusted_proxies=127.0.0.1"});
    SharedS3().SetFaults("[]");
  }

  void TearDown() override { SharedS3().SetFaults("[]"); }

  std::unique_ptr<ServerProcess> StartInstance(const std::string& name,
                                               const std::vector<std::string>& extra = {}) {
    fs::create_directories(dir_.path() / name);
    std::vector<std::string> args;
    for (const std::string& setting : settings_) {
      args.push_back("--set");
      args.push_back(setting);
    }
    for (const std::string& setting : extra) {
      args.push_back("--set");
      args.push_back(setting);
    }
    logs_.push_back(dir_.path() / (name + ".log"));
    return std::make_unique<ServerProcess>(dir_.path() / name, args, "127.0.0.1:0",
                                           logs_.back().string());
  }

  static std::string Address(const ServerProcess& server) {
    client::ServerAddress a = server.address();
    return a.host + ":" + a.port;
  }

  // The first administrator, signed in; returns the token.
  std::string SetUpAdmin(const client::ServerAddress& server) {
    client::HttpClient http(server, 30);
    json body = {{"email", "admin@example.com"}, {"password", "password123"}, {"name", "Admin"}};
    auto reply = http.Send("POST", "/api/v1/auth/setup", {{"Content-Type", "application/json"}},
                           body.dump());
    EXPECT_TRUE(reply && reply->status == 201) << (reply ? reply->body : reply.error().message);
    return json::parse(reply->body)["token"];
  }

  static json Get(client::HttpClient& http, const std::string& token, const std::string& target) {
    auto reply = http.Send("GET", target, Bearer(token));
    if (!reply || reply->status != 200) return json();
    return json::parse(reply->body, nullptr, false);
  }

  // Waits until no job is queued or running; false after `seconds`.
  bool WaitForJobs(client::HttpClient& http, const std::string& token, int seconds) {
    for (int i = 0; i < seconds * 4; ++i) {
      json jobs = Get(http, token, "/api/v1/admin/jobs");
      std::int64_t pending = jobs.is_object() ? 0 : 1;
      if (jobs.contains("kinds")) {
        for (auto& [kind, counts] : jobs["kinds"].items()) {
          pending += counts["queued"].get<std::int64_t>() + counts["running"].get<std::int64_t>();
        }
      } else {
        pending = 1;
      }
      if (pending == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return false;
  }

  // "job_done" log lines of every instance: (kind, asset id) -> how many times it ran to its end.
  std::map<std::pair<std::string, std::string>, int> JobsDone() const {
    std::map<std::pair<std::string, std::string>, int> done;
    for (const fs::path& log : logs_) {
      std::istringstream lines(ReadFile(log));
      std::string line;
      while (std::getline(lines, line)) {
        json entry = json::parse(line, nullptr, false);
        if (!entry.is_object() || !entry.contains("event") || !entry["event"].is_object()) continue;
        const json& event = entry["event"];
        if (event.value("event", "") != "job_done") continue;
        ++done[{event.value("kind", ""), event.value("asset_id", "")}];
      }
    }
    return done;
  }

  // Every asset of the library, with its checksum.
  static std::map<std::string, json> Library(client::HttpClient& http, const std::string& token) {
    std::map<std::string, json> assets;
    std::string cursor;
    while (true) {
      json page = Get(http, token, "/api/v1/assets?limit=500" + (cursor.empty() ? "" : "&cursor=" + cursor));
      if (!page.is_object()) break;
      for (const json& asset : page["assets"]) assets[asset["sha256"]] = asset;
      if (!page.contains("next_cursor") || !page["next_cursor"].is_string()) break;
      cursor = page["next_cursor"];
    }
    return assets;
  }

  // Uploads `photos` through `server` from `threads` clients; returns the checksums uploaded.
  std::set<std::string> UploadAll(const client::ServerAddress& server, const std::string& token,
                                  const std::vector<std::string>& photos, int threads,
                                  std::int64_t chunk_bytes,
                                  const std::function<void(int)>& after_each = {}) {
    fs::path folder = dir_.path() / "photos";
    fs::create_directories(folder);
    std::atomic<int> next{0};
    std::atomic<int> done{0};
    std::mutex mutex;
    std::set<std::string> sent;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&] {
        client::HttpClient http(server, 60);
        while (true) {
          int i = next++;
          if (i >= static_cast<int>(photos.size())) return;
          fs::path file = folder / ("IMG_" + std::to_string(i) + ".jpg");
          WriteFile(file, photos[i]);
          client::UploadOptions options;
          options.token = token;
          options.chunk_bytes = chunk_bytes;
          options.max_attempts = 12;
          auto outcome = client::UploadFile(http, file, options);
          EXPECT_TRUE(outcome) << file << ": " << outcome.error().message;
          if (outcome) {
            std::lock_guard lock(mutex);
            sent.insert(Sha256Hex(photos[i]));
          }
          int finished = ++done;
          if (after_each) after_each(finished);
        }
      });
    }
    for (auto& worker : workers) worker.join();
    return sent;
  }

  TempDir dir_;
  std::vector<std::string> settings_;
  std::vector<fs::path> logs_;
};

TEST_F(ScaleTest, AnUploadStartedOnOneInstanceFinishesOnTheOther) {
  auto a = StartInstance("a", {"jobs.enabled=false"});
  auto b = StartInstance("b", {"jobs.enabled=false"});
  std::string token = SetUpAdmin(a->address());
  client::HttpClient on_a(a->address(), 30), on_b(b->address(), 30);
  std::string photo = Photo(1, 3'000'000);
  auto headers = Tus(token);
  headers["Upload-Length"] = std::to_string(photo.size());
  headers["Upload-Metadata"] = "filename " + Base64Encode("IMG_1.jpg") + ",sha256 " +
                               Base64Encode(Sha256Hex(photo));
  auto created = on_a.Send("POST", "/api/v1/uploads", headers);
  ASSERT_TRUE(created && created->status == 201);
  std::string url = created->Header("location");
  auto patch = [&](client::HttpClient& http, std::size_t from, std::size_t length) {
    auto h = Tus(token);
    h["Upload-Offset"] = std::to_string(from);
    h["Content-Type"] = "application/offset+octet-stream";
    return http.Send("PATCH", url, h, photo.substr(from, length));
  };
  auto first = patch(on_a, 0, 1'000'000);
  ASSERT_TRUE(first && first->status == 204) << (first ? first->body : "");
  // B sees where A got to, takes the upload over and finishes it.
  auto head = on_b.Send("HEAD", url, Tus(token));
  ASSERT_TRUE(head);
  EXPECT_EQ(head->Header("upload-offset"), "1000000");
  auto last = patch(on_b, 1'000'000, photo.size() - 1'000'000);
  ASSERT_TRUE(last && last->status == 204) << (last ? last->body : "");
  std::string id = last->Header("shoebox-asset-id");
  ASSERT_FALSE(id.empty());
  // A serves what B stored.
  auto original = on_a.Send("GET", "/api/v1/assets/" + id + "/original", Bearer(token));
  ASSERT_TRUE(original);
  EXPECT_EQ(original->status, 200);
  EXPECT_EQ(Sha256Hex(original->body), Sha256Hex(photo));
  // A session made on A works on B.
  EXPECT_EQ(Get(on_b, token, "/api/v1/assets/" + id)["sha256"], Sha256Hex(photo));
}

TEST_F(ScaleTest, FiveHundredUploadsOverTwoInstancesRunEachJobOnce) {
  auto a = StartInstance("a");
  auto b = StartInstance("b");
  NginxProxy nginx({Address(*a), Address(*b)});
  std::string token = SetUpAdmin(nginx.address());
  std::vector<std::string> photos;
  for (int i = 0; i < 500; ++i) photos.push_back(Photo(i));
  std::set<std::string> sent = UploadAll(nginx.address(), token, photos, 4, 64 << 20);
  ASSERT_EQ(sent.size(), 500u);

  client::HttpClient http(nginx.address(), 30);
  ASSERT_TRUE(WaitForJobs(http, token, 300)) << Get(http, token, "/api/v1/admin/jobs").dump();
  std::map<std::string, json> library = Library(http, token);
  ASSERT_EQ(library.size(), 500u);
  std::set<std::string> asset_ids;
  for (const auto& [sha, asset] : library) {
    EXPECT_TRUE(sent.count(sha));
    EXPECT_EQ(asset["media_state"], "ready") << asset.dump();
    asset_ids.insert(asset["id"]);
  }
  // Each job ran to its end exactly once, and the work was shared by both instances.
  auto done = JobsDone();
  std::map<std::string, int> per_kind;
  for (const auto& [job, times] : done) {
    EXPECT_EQ(times, 1) << job.first << " " << job.second;
    EXPECT_TRUE(asset_ids.count(job.second)) << job.second;
    ++per_kind[job.first];
  }
  EXPECT_EQ(per_kind["metadata"], 500);
  EXPECT_EQ(per_kind["thumbnails"], 500);
  std::map<fs::path, int> per_instance;
  for (const fs::path& log : logs_) {
    std::string text = ReadFile(log);
    std::size_t at = 0;
    while ((at = text.find("\"job_done\"", at)) != std::string::npos) {
      ++per_instance[log];
      ++at;
    }
  }
  for (const fs::path& log : logs_) EXPECT_GT(per_instance[log], 50) << log;
}

TEST_F(ScaleTest, AnInstanceKilledMidLoadLosesNothing) {
  auto a = StartInstance("a");
  auto b = StartInstance("b");
  NginxProxy nginx({Address(*a), Address(*b)});
  std::string token = SetUpAdmin(nginx.address());
  std::vector<std::string> photos;
  for (int i = 0; i < 120; ++i) photos.push_back(Photo(i, 700'000));
  std::once_flag killed;
  // Several PATCHes per photo, so the kill lands in the middle of uploads as well as of jobs.
  std::set<std::string> sent = UploadAll(nginx.address(), token, photos, 4, 256 * 1024, [&](int done) {
    if (done == 40) std::call_once(killed, [&] { a->Stop(SIGKILL); });
  });
  EXPECT_EQ(sent.size(), 120u);

  client::HttpClient http(b->address(), 30);
  ASSERT_TRUE(WaitForJobs(http, token, 300)) << Get(http, token, "/api/v1/admin/jobs").dump();
  std::map<std::string, json> library = Library(http, token);
  EXPECT_EQ(library.size(), 120u);
  for (const std::string& photo : photos) {
    auto found = library.find(Sha256Hex(photo));
    ASSERT_NE(found, library.end());
    EXPECT_EQ(found->second["media_state"], "ready") << found->second.dump();
  }
  // Every stored object holds exactly the bytes its checksum says.
  std::vector<std::string> verify = {"verify", "--quiet", "--data", (dir_.path() / "b").string()};
  for (const std::string& setting : settings_) {
    verify.push_back("--set");
    verify.push_back(setting);
  }
  auto [code, out] = RunServerCommand(verify);
  EXPECT_EQ(code, 0) << out;
}

TEST_F(ScaleTest, S3FaultsNeverMakeAnAssetVisibleWithoutItsObject) {
  // Parts of 5 MiB, so a 9 MB photo (staged in two chunks) is committed by a multipart upload;
  // a 1 MB one (one chunk) is copied by the store itself (CopyObject).
  auto a = StartInstance("a", {"jobs.enabled=false", "storage.s3_part_mb=5"});
  std::string token = SetUpAdmin(a->address());
  client::HttpClient http(a->address(), 60);
  client::UploadOptions options;
  options.token = token;
  options.max_attempts = 2;
  fs::path small_file = dir_.path() / "IMG_small.jpg";
  std::string small = Photo(8, 1'000'000);
  WriteFile(small_file, small);
  SharedS3().SetFaults(R"([{"method": "PUT", "path": "/library/", "error_at_200": true}])");
  EXPECT_FALSE(client::UploadFile(http, small_file, options));
  EXPECT_TRUE(Library(http, token).empty());

  fs::path file = dir_.path() / "IMG_big.jpg";
  std::string photo = Photo(7, 9'000'000);
  WriteFile(file, photo);

  // The store keeps answering CompleteMultipartUpload with 200 and an error document.
  SharedS3().SetFaults(R"([{"method": "POST", "query": "uploadId", "error_at_200": true}])");
  auto failed = client::UploadFile(http, file, options);
  EXPECT_FALSE(failed);
  EXPECT_TRUE(Library(http, token).empty());
  EXPECT_EQ(SharedS3().OpenMultipartUploads(), 0);

  // 500s and slow answers: retried, and the upload completes once the store recovers.
  SharedS3().SetFaults(R"([{"method": "PUT", "status": 500, "times": 3},
                     {"method": "GET", "delay_ms": 300, "times": 5}])");
  options.max_attempts = 8;
  auto stored = client::UploadFile(http, file, options);
  ASSERT_TRUE(stored) << stored.error().message;
  SharedS3().SetFaults("[]");
  auto original = http.Send("GET", "/api/v1/assets/" + stored->asset_id + "/original", Bearer(token));
  ASSERT_TRUE(original);
  EXPECT_EQ(Sha256Hex(original->body), Sha256Hex(photo));
  auto small_stored = client::UploadFile(http, small_file, options);
  ASSERT_TRUE(small_stored) << small_stored.error().message;
  EXPECT_EQ(Library(http, token).size(), 2u);
}

// What a user sees of a library, and the bytes behind it.
json Snapshot(const client::ServerAddress& server, const std::string& token) {
  client::HttpClient http(server, 30);
  auto get = [&](const std::string& target) {
    auto reply = http.Send("GET", target, Bearer(token));
    EXPECT_TRUE(reply && reply->status == 200) << target;
    return reply ? json::parse(reply->body, nullptr, false) : json();
  };
  json snapshot;
  snapshot["me"] = get("/api/v1/me");
  snapshot["me"].erase("last_used_at");
  for (const char* visibility : {"timeline", "archive", "trash"}) {
    snapshot[visibility] = get(std::string("/api/v1/assets?limit=500&visibility=") + visibility);
  }
  snapshot["albums"] = get("/api/v1/albums");
  for (const json& album : snapshot["albums"]["albums"]) {
    std::string id = album["id"];
    snapshot["album_" + id] = get("/api/v1/albums/" + id);
    snapshot["album_items_" + id] = get("/api/v1/albums/" + id + "/assets");
  }
  for (const char* visibility : {"timeline", "archive", "trash"}) {
    for (const json& asset : snapshot[visibility]["assets"]) {
      std::string id = asset["id"];
      for (const char* file : {"original", "thumbnail"}) {
        auto reply = http.Send("GET", "/api/v1/assets/" + id + "/" + file, Bearer(token));
        snapshot["bytes"][id + "/" + file] = reply && reply->status == 200 ? Sha256Hex(reply->body) : "missing";
      }
    }
  }
  return snapshot;
}

TEST_F(ScaleTest, MigrateThereAndBackKeepsEveryAssetAndItsBytes) {
  fs::path sqlite_a = dir_.path() / "sqlite-a", sqlite_b = dir_.path() / "sqlite-b";
  fs::path shared = dir_.path() / "shared";
  for (const fs::path& folder : {sqlite_a, sqlite_b, shared}) fs::create_directories(folder);
  // A library on SQLite + a folder, with media jobs done, an album, a link, the trash.
  std::string token;
  json before;
  {
    ServerProcess server(sqlite_a, {"--set", "jobs.workers=1"});
    token = SetUpAdmin(server.address());
    client::HttpClient http(server.address(), 30);
    std::vector<std::string> photos;
    for (int i = 0; i < 6; ++i) photos.push_back(Photo(100 + i));
    UploadAll(server.address(), token, photos, 2, 64 << 20);
    ASSERT_TRUE(WaitForJobs(http, token, 120));
    json timeline = Get(http, token, "/api/v1/assets");
    ASSERT_EQ(timeline["assets"].size(), 6u);
    std::vector<std::string> ids;
    for (const json& asset : timeline["assets"]) ids.push_back(asset["id"]);
    auto send = [&](const std::string& method, const std::string& target, const json& body) {
      auto headers = Bearer(token);
      headers["Content-Type"] = "application/json";
      auto reply = http.Send(method, target, headers, body.dump());
      EXPECT_TRUE(reply && reply->status / 100 == 2) << target << (reply ? reply->body : "");
      return reply ? json::parse(reply->body, nullptr, false) : json();
    };
    send("PATCH", "/api/v1/assets/" + ids[0], {{"is_favorite", true}});
    send("PATCH", "/api/v1/assets/" + ids[1], {{"is_archived", true}});
    send("DELETE", "/api/v1/assets/" + ids[2], json::object());
    json album = send("POST", "/api/v1/albums", {{"name", "Holiday"}, {"asset_ids", {ids[3], ids[4]}}});
    send("POST", "/api/v1/albums/" + std::string(album["id"]) + "/links", {{"allow_download", true}});
    before = Snapshot(server.address(), token);
  }
  std::string from = (dir_.path() / "from.toml").string(), to = (dir_.path() / "to.toml").string(),
              back = (dir_.path() / "back.toml").string();
  WriteFile(from, "[storage]\ndata_dir = \"" + sqlite_a.string() + "\"\n");
  WriteFile(back, "[storage]\ndata_dir = \"" + sqlite_b.string() + "\"\n");
  std::map<std::string, std::string> sections = {
      {"storage", "data_dir = \"" + shared.string() + "\"\n"}};
  std::vector<std::string> shared_args = {"--set", "jobs.workers=1"};
  for (const std::string& setting : settings_) {
    auto eq = setting.find('=');
    std::string key = setting.substr(0, eq);
    if (!key.starts_with("database.") && !key.starts_with("storage.")) continue;
    sections[key.substr(0, key.find('.'))] +=
        key.substr(key.find('.') + 1) + " = \"" + setting.substr(eq + 1) + "\"\n";
    shared_args.push_back("--set");
    shared_args.push_back(setting);
  }
  std::string shared_config;
  for (const auto& [section, lines] : sections) shared_config += "[" + section + "]\n" + lines;
  WriteFile(to, shared_config);

  auto [code, out] = RunServerCommand({"migrate", "--quiet", "--from", from, "--to", to});
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("assets"), std::string::npos) << out;
  // Run again (as after an interruption): everything is there already, nothing changes.
  auto [again, again_out] = RunServerCommand({"migrate", "--quiet", "--from", from, "--to", to});
  ASSERT_EQ(again, 0) << again_out;
  EXPECT_NE(again_out.find("copied 0 objects"), std::string::npos) << again_out;
  {
    ServerProcess server(shared, shared_args);
    EXPECT_EQ(Snapshot(server.address(), token), before);  // the same session works, too
  }
  auto [code_back, out_back] = RunServerCommand({"migrate", "--quiet", "--from", to, "--to", back});
  ASSERT_EQ(code_back, 0) << out_back;
  {
    ServerProcess server(sqlite_b, {"--set", "jobs.workers=1"});
    EXPECT_EQ(Snapshot(server.address(), token), before);
  }
  // Into stores that hold another library: refused.
  fs::path other = dir_.path() / "other";
  fs::create_directories(other);
  {
    ServerProcess server(other, {"--set", "jobs.enabled=false"});
    SetUpAdmin(server.address());
  }
  std::string into_other = (dir_.path() / "other.toml").string();
  WriteFile(into_other, "[storage]\ndata_dir = \"" + other.string() + "\"\n");
  auto [refused, refused_out] =
      RunServerCommand({"migrate", "--quiet", "--from", to, "--to", into_other});
  EXPECT_NE(refused, 0) << refused_out;
  EXPECT_NE(refused_out.find("another library"), std::string::npos) << refused_out;
}

}  // namespace
}  // namespace shoebox::testing
