// Tests that need the real server binary: crashes (SIGKILL), clean shutdown (SIGTERM), a full
// disk, and `verify`.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>

#include "core/hashing.h"
#include "core/text.h"
#include "tests/support/test_support.h"

namespace shoebox::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::string Login(const client::ServerAddress& address, const std::string& email) {
  client::HttpClient http(address);
  auto reply = http.Send("POST", "/api/v1/auth/login", {},
                         json{{"email", email}, {"password", "password123"}}.dump());
  if (!reply || reply->status != 200) throw std::runtime_error("login failed");
  return json::parse(reply->body)["token"];
}

void CreateUser(const fs::path& data, const std::string& email) {
  auto [code, out] = RunServerCommand({"admin", "create-user", "--data", data.string(), "--email",
                                       email, "--password", "password123"});
  ASSERT_EQ(code, 0) << out;
}

struct Acknowledged {
  std::string asset_id;
  std::string sha256;
};

TEST(ProcessTest, EveryAcknowledgedUploadSurvivesSigkill) {
  TempDir data, files;
  CreateUser(data.path(), "alice@example.com");
  std::mutex mutex;
  std::vector<Acknowledged> acknowledged;
  std::vector<std::pair<fs::path, std::string>> interrupted;  // file, upload url
  std::atomic<bool> stop{false};
  {
    ServerProcess server(data.path());
    std::string token = Login(server.address(), "alice@example.com");
    std::vector<std::thread> clients;
    for (int c = 0; c < 4; ++c) {
      clients.emplace_back([&, c] {
        client::HttpClient http(server.address(), 10);
        for (int i = 0; !stop; ++i) {
          // Mostly small photos, and now and then a bigger one sent in several requests.
          std::size_t size = (i % 5 == 4) ? 6'000'000 : 100'000 + 50'000 * static_cast<std::size_t>(c);
          fs::path file = files.path() / ("c" + std::to_string(c) + "_" + std::to_string(i) + ".jpg");
          std::string bytes = FakeJpeg(size, static_cast<unsigned>(c * 10000 + i));
          WriteFile(file, bytes);
          client::UploadOptions options;
          options.token = token;
          options.chunk_bytes = 1 << 20;
          options.max_attempts = 1;
          auto outcome = client::UploadFile(http, file, options);
          std::lock_guard lock(mutex);
          if (outcome) {
            acknowledged.push_back({outcome->asset_id, Sha256Hex(bytes)});
          } else {
            interrupted.emplace_back(file, "");
            return;  // the server is gone
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    int status = server.Stop(SIGKILL);
    EXPECT_TRUE(WIFSIGNALED(status));
    stop = true;
    for (auto& thread : clients) thread.join();
  }
  ASSERT_GT(acknowledged.size(), 10u);

  ServerProcess restarted(data.path());
  std::string token = Login(restarted.address(), "alice@example.com");
  client::HttpClient http(restarted.address());
  for (const Acknowledged& ack : acknowledged) {
    auto original = http.Send("GET", "/api/v1/assets/" + ack.asset_id + "/original", Bearer(token));
    ASSERT_TRUE(original);
    ASSERT_EQ(original->status, 200) << ack.asset_id;
    EXPECT_EQ(Sha256Hex(original->body), ack.sha256) << ack.asset_id;
  }
  // Clients that were cut off upload again (resuming or starting over) and nothing is doubled.
  for (const auto& [file, url] : interrupted) {
    client::UploadOptions options;
    options.token = token;
    auto outcome = client::UploadFile(http, file, options);
    EXPECT_TRUE(outcome) << (outcome ? "" : outcome.error().message);
  }
  auto list = http.Send("GET", "/api/v1/assets?limit=1000", Bearer(token));
  EXPECT_EQ(json::parse(list->body)["assets"].size(), acknowledged.size() + interrupted.size());
  restarted.Stop(SIGTERM);
  auto [code, out] = RunServerCommand({"verify", "--quiet", "--data", data.path().string()});
  EXPECT_EQ(code, 0) << out;
}

TEST(ProcessTest, SigtermFinishesCleanlyAndKeepsReceivedBytes) {
  TempDir data;
  CreateUser(data.path(), "alice@example.com");
  std::string url;
  std::string bytes = FakeJpeg(5'000'000, 9);
  {
    ServerProcess server(data.path(), {"--set", "server.shutdown_grace_seconds=1"});
    std::string token = Login(server.address(), "alice@example.com");
    client::HttpClient http(server.address());
    auto headers = Tus(token);
    headers["Upload-Length"] = "5000000";
    headers["Upload-Metadata"] = "filename " + Base64Encode("slow.jpg");
    url = http.Send("POST", "/api/v1/uploads", headers)->Header("location");
    RawConnection slow(server.address());
    slow.Send("PATCH " + url + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
              "\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: "
              "application/offset+octet-stream\r\nContent-Length: 5000000\r\n\r\n" +
              bytes.substr(0, 2'000'000));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto started = std::chrono::steady_clock::now();
    int status = server.Stop(SIGTERM);
    auto took = std::chrono::steady_clock::now() - started;
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    EXPECT_LT(took, std::chrono::seconds(5));
  }
  ServerProcess again(data.path());
  std::string token = Login(again.address(), "alice@example.com");
  client::HttpClient http(again.address());
  auto head = http.Send("HEAD", url, Tus(token));
  EXPECT_EQ(head->Header("upload-offset"), "2000000");
  auto headers = Tus(token);
  headers["Upload-Offset"] = "2000000";
  headers["Content-Type"] = "application/offset+octet-stream";
  auto rest = http.Send("PATCH", url, headers, bytes.substr(2'000'000));
  EXPECT_EQ(rest->status, 204);
  EXPECT_FALSE(rest->Header("shoebox-asset-id").empty());
}

// A full disk fails the upload cleanly (507), keeps earlier assets intact, and the server goes
// on serving; once space is back, the same upload resumes.
TEST(ProcessTest, AFullDiskFailsCleanly) {
  TempDir mount_point;
  if (::mount("tmpfs", mount_point.path().c_str(), "tmpfs", 0, "size=12m") != 0) {
    GTEST_SKIP() << "mounting a small tmpfs needs root (CAP_SYS_ADMIN)";
  }
  struct Unmount {
    fs::path path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mount_point.path()};
  fs::path data = mount_point.path() / "data";
  CreateUser(data, "alice@example.com");
  ServerProcess server(data);
  std::string token = Login(server.address(), "alice@example.com");
  client::HttpClient http(server.address());
  TempDir files;
  std::string first = FakeJpeg(1'000'000, 1);
  WriteFile(files.path() / "first.jpg", first);
  client::UploadOptions options;
  options.token = token;
  auto kept = client::UploadFile(http, files.path() / "first.jpg", options);
  ASSERT_TRUE(kept);

  // Too big for what is free: refused before any byte moves.
  auto headers = Tus(token);
  headers["Upload-Length"] = "20000000";
  headers["Upload-Metadata"] = "filename " + Base64Encode("huge.mp4");
  auto refused = http.Send("POST", "/api/v1/uploads", headers);
  EXPECT_EQ(refused->status, 507);

  // Fits when it starts, but the disk fills up while it is being sent.
  std::string second = FakeJpeg(6'000'000, 2);
  headers["Upload-Length"] = "6000000";
  headers["Upload-Metadata"] = "filename " + Base64Encode("second.jpg");
  std::string url = http.Send("POST", "/api/v1/uploads", headers)->Header("location");
  ASSERT_FALSE(url.empty());
  {
    std::string filler(7'500'000, 'f');
    WriteFile(mount_point.path() / "filler", filler);
  }
  auto patch_headers = Tus(token);
  patch_headers["Upload-Offset"] = "0";
  patch_headers["Content-Type"] = "application/offset+octet-stream";
  auto full = http.Send("PATCH", url, patch_headers, second);
  ASSERT_TRUE(full);
  EXPECT_EQ(full->status, 507) << full->body;
  EXPECT_NE(full->body.find("insufficient_storage"), std::string::npos);

  EXPECT_EQ(http.Send("GET", "/healthz", {})->status, 200);
  auto original = http.Send("GET", "/api/v1/assets/" + kept->asset_id + "/original", Bearer(token));
  EXPECT_EQ(Sha256Hex(original->body), Sha256Hex(first));
  auto list = http.Send("GET", "/api/v1/assets", Bearer(token));
  EXPECT_EQ(json::parse(list->body)["assets"].size(), 1u);

  fs::remove(mount_point.path() / "filler");
  auto head = http.Send("HEAD", url, Tus(token));
  ASSERT_EQ(head->status, 200);
  std::int64_t offset = ParseNonNegativeInt(head->Header("upload-offset")).value_or(-1);
  ASSERT_GE(offset, 0);
  patch_headers["Upload-Offset"] = std::to_string(offset);
  auto resumed = http.Send("PATCH", url, patch_headers, second.substr(static_cast<std::size_t>(offset)));
  EXPECT_EQ(resumed->status, 204) << resumed->body;
  EXPECT_FALSE(resumed->Header("shoebox-asset-id").empty());
  server.Stop(SIGTERM);
  auto [code, out] = RunServerCommand({"verify", "--quiet", "--data", data.string()});
  EXPECT_EQ(code, 0) << out;
}

TEST(ProcessTest, VerifyReportsMissingChangedAndStrayFiles) {
  TempDir data, files;
  CreateUser(data.path(), "alice@example.com");
  {
    ServerProcess server(data.path());
    std::string token = Login(server.address(), "alice@example.com");
    client::HttpClient http(server.address());
    for (int i = 0; i < 3; ++i) {
      fs::path file = files.path() / ("p" + std::to_string(i) + ".jpg");
      WriteFile(file, FakeJpeg(10'000, static_cast<unsigned>(i)));
      client::UploadOptions options;
      options.token = token;
      ASSERT_TRUE(client::UploadFile(http, file, options));
    }
    server.Stop(SIGTERM);
  }
  auto [clean, clean_out] = RunServerCommand({"verify", "--quiet", "--data", data.path().string()});
  EXPECT_EQ(clean, 0) << clean_out;
  EXPECT_NE(clean_out.find("verified 3 assets"), std::string::npos) << clean_out;
  std::vector<fs::path> originals;
  for (auto& entry : fs::recursive_directory_iterator(data.path() / "library")) {
    if (entry.is_regular_file()) originals.push_back(entry.path());
  }
  std::sort(originals.begin(), originals.end());
  ASSERT_EQ(originals.size(), 3u);
  fs::remove(originals[0]);
  std::string changed = ReadFile(originals[1]);
  changed[5000] ^= 1;
  WriteFile(originals[1], changed);
  WriteFile(data.path() / "library" / "alice" / "stray.jpg", "x");
  auto [code, out] = RunServerCommand({"verify", "--quiet", "--data", data.path().string()});
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("missing\tlibrary/alice/"), std::string::npos) << out;
  EXPECT_NE(out.find("changed\tlibrary/alice/"), std::string::npos) << out;
  EXPECT_NE(out.find("stray\tlibrary/alice/stray.jpg"), std::string::npos) << out;
}

// The `shoebox upload` command sends only what the server lacks, and never what its owner
// deleted there.
TEST(ProcessTest, UploadCommandSkipsWhatTheServerHasOrWasDeleted) {
  TempDir data, files;
  CreateUser(data.path(), "alice@example.com");
  ServerProcess server(data.path());
  std::string token = Login(server.address(), "alice@example.com");
  WriteFile(files.path() / "a.jpg", FakeJpeg(20'000, 1));
  WriteFile(files.path() / "b.jpg", FakeJpeg(20'000, 2));
  auto run = [&](const std::string& names) {
    std::string command = std::string("SHOEBOX_SERVER=http://") + server.address().host + ":" +
                          server.address().port + " SHOEBOX_TOKEN=" + token + " " +
                          SHOEBOX_CLIENT_BIN + " upload " + names + " 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    std::string output;
    char buffer[4096];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
    ::pclose(pipe);
    return output;
  };
  std::string a = (files.path() / "a.jpg").string(), b = (files.path() / "b.jpg").string();
  std::string first = run(a);
  EXPECT_NE(first.find("\tuploaded\t"), std::string::npos) << first;
  std::string uploaded = a + "\tuploaded\t";
  std::string asset_id = first.substr(first.find(uploaded) + uploaded.size(), 36);
  std::string second = run(a + " " + b);
  EXPECT_NE(second.find(a + "\texisting\t" + asset_id), std::string::npos) << second;
  EXPECT_NE(second.find(b + "\tuploaded\t"), std::string::npos) << second;
  client::HttpClient http(server.address());
  ASSERT_EQ(http.Send("DELETE", "/api/v1/assets/" + asset_id, Bearer(token))->status, 204);
  ASSERT_EQ(http.Send("POST", "/api/v1/trash/empty", Bearer(token))->status, 200);
  std::string third = run(a);
  EXPECT_NE(third.find("deleted on the server, not sent again"), std::string::npos) << third;
  auto list = http.Send("GET", "/api/v1/assets", Bearer(token));
  EXPECT_EQ(json::parse(list->body)["assets"].size(), 1u);
}

TEST(ProcessTest, ConfigComesFromFileEnvironmentAndFlags) {
  TempDir dir;
  WriteFile(dir.path() / "shoebox.toml",
            "[server]\nlisten = \"127.0.0.1:4000\"\n[limits]\nphoto_max_bytes = 123\n");
  setenv("SHOEBOX_LIMITS_VIDEO_MAX_BYTES", "456", 1);
  auto [code, out] = RunServerCommand({"config", "--config", (dir.path() / "shoebox.toml").string(),
                                       "--listen", "127.0.0.1:5000"});
  unsetenv("SHOEBOX_LIMITS_VIDEO_MAX_BYTES");
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("server.listen = 127.0.0.1:5000"), std::string::npos) << out;
  EXPECT_NE(out.find("limits.photo_max_bytes = 123"), std::string::npos) << out;
  EXPECT_NE(out.find("limits.video_max_bytes = 456"), std::string::npos) << out;
  WriteFile(dir.path() / "bad.toml", "[server]\nlisten = 5\n");
  auto [bad, bad_out] = RunServerCommand({"config", "--config", (dir.path() / "bad.toml").string()});
  EXPECT_NE(bad, 0);
  EXPECT_NE(bad_out.find("server.listen must be a string"), std::string::npos) << bad_out;
  auto [typo, typo_out] = RunServerCommand({"config", "--set", "server.lisen=1"});
  EXPECT_NE(typo, 0);
  EXPECT_NE(typo_out.find("unknown setting server.lisen"), std::string::npos) << typo_out;
  // Options before the command count for it; secrets are masked; a wrong role is refused.
  auto [before, before_out] = RunServerCommand(
      {"--config", (dir.path() / "shoebox.toml").string(), "--set",
       "database.url=postgresql://shoebox:hunter2@db/shoebox", "--set",
       "storage.s3_secret_key=abc", "--role", "api", "config"});
  EXPECT_EQ(before, 0) << before_out;
  EXPECT_NE(before_out.find("server.listen = 127.0.0.1:4000"), std::string::npos) << before_out;
  EXPECT_NE(before_out.find("server.role = api"), std::string::npos) << before_out;
  EXPECT_NE(before_out.find("postgresql://shoebox:********@db/shoebox"), std::string::npos)
      << before_out;
  EXPECT_EQ(before_out.find("hunter2"), std::string::npos) << before_out;
  EXPECT_EQ(before_out.find("abc"), std::string::npos) << before_out;
  auto [role, role_out] = RunServerCommand({"config", "--role", "boss"});
  EXPECT_NE(role, 0);
  EXPECT_NE(role_out.find("server.role must be all, api or worker"), std::string::npos) << role_out;
}

}  // namespace
}  // namespace shoebox::testing
