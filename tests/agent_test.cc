// The backup agent end to end: the real `shoebox` command and agent against a real
// `shoebox-server` process on 127.0.0.1, with real files, signals and a private D-Bus bus.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <set>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/hashing.h"
#include "core/text.h"
#include "tests/support/test_support.h"

namespace shoebox::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kPassword = "password123";

void CreateUser(const fs::path& data, const std::string& email) {
  auto [code, out] = RunServerCommand(
      {"admin", "create-user", "--data", data.string(), "--email", email, "--password", kPassword});
  ASSERT_EQ(code, 0) << out;
}

std::string Login(const client::ServerAddress& address, const std::string& email) {
  client::HttpClient http(address);
  auto reply = http.Send("POST", "/api/v1/auth/login", {},
                         json{{"email", email}, {"password", kPassword}}.dump());
  if (!reply || reply->status != 200) throw std::runtime_error("login failed");
  return json::parse(reply->body)["token"];
}

std::string Url(const client::ServerAddress& a) { return "http://" + a.host + ":" + a.port; }

// Waits up to `limit` for `done`; true when it happened.
bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds limit = 20s) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return done();
}

json Assets(const client::ServerAddress& address, const std::string& token) {
  client::HttpClient http(address);
  auto reply = http.Send("GET", "/api/v1/assets?visibility=all&limit=1000", Bearer(token));
  if (!reply || reply->status != 200) return json::array();
  return json::parse(reply->body)["assets"];
}

std::int64_t ReceivedBytes(const client::ServerAddress& address) {
  client::HttpClient http(address);
  auto reply = http.Send("GET", "/metrics", {});
  if (!reply) return -1;
  auto at = reply->body.find("\nshoebox_http_received_bytes_total ");
  if (at == std::string::npos) return -1;
  return std::stoll(reply->body.substr(reply->body.find(' ', at + 1) + 1));
}

std::int64_t RequestsTotal(const client::ServerAddress& address) {
  client::HttpClient http(address);
  auto reply = http.Send("GET", "/metrics", {});
  if (!reply) return -1;
  auto at = reply->body.find("\nshoebox_http_requests_total ");
  return std::stoll(reply->body.substr(reply->body.find(' ', at + 1) + 1));
}

// One device: its own config and state folders, the `shoebox` command and its agent.
class Device {
 public:
  Device() { ::chmod(dir_.path().c_str(), 0777); }
  ~Device() { StopAgent(SIGKILL); }

  const fs::path& dir() const { return dir_.path(); }
  void SetEnv(const std::string& name, const std::string& value) { env_[name] = value; }
  // Runs the agent and the command as this user id (permission tests run as root otherwise).
  void RunAs(uid_t uid) { uid_ = uid; }

  // Runs `shoebox ARGS`; returns {exit code, stdout + stderr}.
  std::pair<int, std::string> Run(const std::vector<std::string>& args) {
    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe");
    pid_t pid = Spawn(args, out[1]);
    ::close(out[1]);
    std::string output;
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(out[0], buffer, sizeof buffer)) > 0) output.append(buffer, static_cast<std::size_t>(n));
    ::close(out[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
  }

  json Status() {
    auto [code, out] = Run({"status", "--json"});
    auto j = json::parse(out, nullptr, false);
    return j.is_discarded() ? json{{"state", "unparsable: " + out}} : j;
  }

  json Items(const std::string& which = "all") {
    auto [code, out] = Run({"status", "--items", which, "--json"});
    auto j = json::parse(out, nullptr, false);
    return j.is_discarded() ? json::array() : j;
  }

  void Set(const std::string& key, const std::string& value) {
    auto [code, out] = Run({"settings", "set", key, value});
    ASSERT_EQ(code, 0) << out;
  }

  void StartAgent() {
    int log = ::open((dir_.path() / "agent.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    agent_ = Spawn({"agent"}, log);
    ::close(log);
  }

  void StopAgent(int signal) {
    if (agent_ <= 0) return;
    ::kill(agent_, signal);
    ::waitpid(agent_, nullptr, 0);
    agent_ = -1;
  }

  std::string AgentLog() const { return ReadFile(dir_.path() / "agent.log"); }

 private:
  pid_t Spawn(const std::vector<std::string>& args, int out_fd) {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::dup2(out_fd, STDOUT_FILENO);
      ::dup2(out_fd, STDERR_FILENO);
      int null = ::open("/dev/null", O_RDONLY);
      ::dup2(null, STDIN_FILENO);
      ::setenv("SHOEBOX_CONFIG_DIR", (dir_.path() / "config").c_str(), 1);
      ::unsetenv("SHOEBOX_SERVER");
      ::unsetenv("SHOEBOX_TOKEN");
      for (const auto& [k, v] : env_) ::setenv(k.c_str(), v.c_str(), 1);
      if (uid_ != 0 && (::setgid(uid_) != 0 || ::setuid(uid_) != 0)) ::_exit(126);
      std::vector<std::string> all = {SHOEBOX_CLIENT_BIN};
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    return pid;
  }

  TempDir dir_;
  std::map<std::string, std::string> env_;
  pid_t agent_ = -1;
  uid_t uid_ = 0;
};

// A server process with one user, and a device signed in to it.
class AgentTest : public ::testing::Test {
 protected:
  void StartServer(const std::vector<std::string>& args = {}, const std::string& listen = "127.0.0.1:0") {
    server_ = std::make_unique<ServerProcess>(data_.path(), args, listen);
  }

  void SetUp() override {
    CreateUser(data_.path(), "alice@example.com");
    StartServer({"--set", "limits.video_max_bytes=2000000", "--set", "jobs.workers=1"});
    token_ = Login(server_->address(), "alice@example.com");
    ::chmod(photos_.path().c_str(), 0777);
  }

  void SignIn(Device& device) {
    auto [code, out] = device.Run({"login", Url(server_->address()), "--email", "alice@example.com",
                                   "--password", kPassword, "--device-name", "laptop"});
    ASSERT_EQ(code, 0) << out;
    // No NetworkManager here: say the network is unmetered, so Wi-Fi-only backs up.
    device.Set("network.metered", "no");
    device.Set("agent.settle_seconds", "1");
    auto [add, added] = device.Run({"backup", "add", photos_.path().string()});
    ASSERT_EQ(add, 0) << added;
  }

  fs::path Photo(const std::string& name, std::size_t size, unsigned seed) {
    fs::path path = photos_.path() / name;
    fs::create_directories(path.parent_path());
    WriteFile(path, FakeJpeg(size, seed));
    return path;
  }

  TempDir data_, photos_;
  std::unique_ptr<ServerProcess> server_;
  std::string token_;
};

TEST_F(AgentTest, LoginSettingsAndOneBackupPass) {
  Device device;
  SignIn(device);
  struct stat st {};
  ASSERT_EQ(::stat((device.dir() / "config" / "credentials.toml").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto [get_code, settings] = device.Run({"settings", "get"});
  EXPECT_NE(settings.find("backup.wifi_only = true"), std::string::npos) << settings;
  EXPECT_NE(settings.find("backup.folders = " + photos_.path().string()), std::string::npos) << settings;
  auto [bad, bad_out] = device.Run({"settings", "set", "backup.quality", "huge"});
  EXPECT_EQ(bad, 2);
  EXPECT_NE(bad_out.find("original or storage-saver"), std::string::npos);

  Photo("a.jpg", 50'000, 1);
  Photo("sub/b.jpg", 60'000, 2);
  Photo(".hidden/c.jpg", 60'000, 3);  // hidden folders are not backed up
  WriteFile(photos_.path() / "notes.txt", "not a photo");
  WriteFile(photos_.path() / "clip.mp4", FakeMp4(2'500'000));  // over this server's 2 MB video limit
  auto [code, out] = device.Run({"backup", "run"});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("2 uploaded"), std::string::npos) << out;
  EXPECT_EQ(Assets(server_->address(), token_).size(), 2u);

  json status = device.Status();
  EXPECT_EQ(status["state"], "complete") << status.dump();
  EXPECT_EQ(status["headline"], "Backup complete");
  EXPECT_EQ(status["uploaded"], 2);
  EXPECT_EQ(status["skipped"], 2);
  std::map<std::string, std::string> reasons;
  for (const auto& item : status["skipped_items"]) reasons[item["path"]] = item["reason"];
  EXPECT_EQ(reasons[(photos_.path() / "clip.mp4").string()], "video 2.5 MB > 2.0 MB");
  EXPECT_EQ(reasons[(photos_.path() / "notes.txt").string()], "not a photo or video (text/plain)");
  EXPECT_FALSE(status["last_backup_at"].is_null());

  // Nothing changed: nothing sent, nothing hashed again (the ledger is untouched).
  auto [again, again_out] = device.Run({"backup", "run"});
  EXPECT_EQ(again, 0) << again_out;
  EXPECT_NE(again_out.find("0 uploaded"), std::string::npos) << again_out;

  // A second install asks the server before sending anything: nothing goes twice.
  Device reinstalled;
  SignIn(reinstalled);
  std::int64_t before = ReceivedBytes(server_->address());
  auto [re, re_out] = reinstalled.Run({"backup", "run"});
  EXPECT_EQ(re, 0) << re_out;
  EXPECT_NE(re_out.find("0 uploaded"), std::string::npos) << re_out;
  EXPECT_NE(re_out.find("2 already on the server"), std::string::npos) << re_out;
  EXPECT_LT(ReceivedBytes(server_->address()) - before, 100'000);  // requests only, no file
  EXPECT_EQ(Assets(server_->address(), token_).size(), 2u);

  // Both devices are on the server, each with the state it reported (the command reports too).
  auto [out_code, logout] = device.Run({"logout"});
  EXPECT_EQ(out_code, 0) << logout;
  EXPECT_FALSE(fs::exists(device.dir() / "config" / "credentials.toml"));
  auto [st_code, st_out] = device.Run({"backup", "run"});
  EXPECT_EQ(st_code, 1);
  EXPECT_NE(st_out.find("not signed in"), std::string::npos) << st_out;
}

TEST_F(AgentTest, AgentBacksUpNewFilesWithinSecondsAndFollowsTheRules) {
  Device device;
  SignIn(device);
  TempDir power;
  fs::create_directories(power.path() / "AC");
  fs::create_directories(power.path() / "BAT0");
  WriteFile(power.path() / "AC" / "type", "Mains\n");
  WriteFile(power.path() / "AC" / "online", "1\n");
  WriteFile(power.path() / "BAT0" / "type", "Battery\n");
  WriteFile(power.path() / "BAT0" / "status", "Discharging\n");
  device.Set("power.supply_dir", power.path().string());
  device.StartAgent();
  ASSERT_TRUE(WaitFor([&] { return device.Status()["state"] == "complete"; })) << device.Status().dump();

  // A file written in two halves a moment apart is sent whole, once, within seconds.
  std::string bytes = FakeJpeg(400'000, 7);
  {
    std::ofstream out(photos_.path() / "slow.jpg", std::ios::binary);
    out.write(bytes.data(), 200'000);
    out.flush();
    std::this_thread::sleep_for(500ms);
    out.write(bytes.data() + 200'000, 200'000);
  }
  ASSERT_TRUE(WaitFor([&] { return Assets(server_->address(), token_).size() == 1; })) << device.AgentLog();
  EXPECT_EQ(Assets(server_->address(), token_)[0]["sha256"], Sha256Hex(bytes));
  // Moved in from elsewhere, inside a new folder.
  TempDir outside;
  fs::create_directories(outside.path() / "trip");
  WriteFile(outside.path() / "trip" / "x.jpg", FakeJpeg(30'000, 8));
  fs::rename(outside.path() / "trip", photos_.path() / "trip");
  ASSERT_TRUE(WaitFor([&] { return Assets(server_->address(), token_).size() == 2; })) << device.AgentLog();

  // The agent's state is on the server for the web app.
  ASSERT_TRUE(WaitFor([&] {
    client::HttpClient http(server_->address());
    auto reply = http.Send("GET", "/api/v1/devices", Bearer(token_));
    auto devices = json::parse(reply->body)["devices"];
    return devices.size() == 1 && devices[0]["status"].is_object() &&
           devices[0]["status"]["state"] == "complete" && devices[0]["status"]["uploaded"] == 2;
  }));

  // Wi-Fi only on a metered network: waits, says so, sends nothing.
  device.Set("network.metered", "yes");
  Photo("metered.jpg", 30'000, 9);
  ASSERT_TRUE(WaitFor([&] { return device.Status()["state"] == "waiting_for_wifi"; })) << device.Status().dump();
  EXPECT_EQ(device.Status()["headline"], "Waiting for Wi-Fi");
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(Assets(server_->address(), token_).size(), 2u);
  // Only while charging, on battery: waits for power.
  device.Set("network.metered", "no");
  device.Set("backup.charging_only", "true");
  WriteFile(power.path() / "AC" / "online", "0\n");
  ASSERT_TRUE(WaitFor([&] { return device.Status()["state"] == "waiting_for_power"; })) << device.Status().dump();
  EXPECT_EQ(device.Status()["headline"], "Waiting for power");
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(Assets(server_->address(), token_).size(), 2u);
  // Plugged in: goes on by itself.
  WriteFile(power.path() / "AC" / "online", "1\n");
  ASSERT_TRUE(WaitFor([&] { return Assets(server_->address(), token_).size() == 3; })) << device.AgentLog();
  ASSERT_TRUE(WaitFor([&] { return device.Status()["state"] == "complete"; }));
  // Off is off.
  device.Set("backup.enabled", "false");
  ASSERT_TRUE(WaitFor([&] { return device.Status()["state"] == "off"; }));
  EXPECT_EQ(device.Status()["headline"], "Back up & sync is off");
  device.StopAgent(SIGTERM);
}

TEST_F(AgentTest, MeteredNetworkFromNetworkManagerPausesAnUploadMidFile) {
  // A private bus with a stand-in for NetworkManager: the agent asks it over D-Bus (sd-bus).
  TempDir bus;
  std::string address = "unix:path=" + (bus.path() / "socket").string();
  WriteFile(bus.path() / "bus.conf",
            "<busconfig><type>custom</type><listen>" + address + "</listen>"
            "<policy context='default'><allow send_destination='*' eavesdrop='true'/>"
            "<allow eavesdrop='true'/><allow own='*'/></policy></busconfig>");
  pid_t daemon = ::fork();
  if (daemon == 0) {
    ::execlp("dbus-daemon", "dbus-daemon", "--nofork", ("--config-file=" + (bus.path() / "bus.conf").string()).c_str(), nullptr);
    ::_exit(127);
  }
  ASSERT_TRUE(WaitFor([&] { return fs::exists(bus.path() / "socket"); }, 5s));
  WriteFile(bus.path() / "metered", "2");
  pid_t nm = ::fork();
  if (nm == 0) {
    int out = ::open((bus.path() / "nm.out").c_str(), O_WRONLY | O_CREAT, 0644);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
    // Debian's python3, which has python3-dbus and python3-gi (not a pyenv one).
    std::string script = std::string(SHOEBOX_SOURCE_DIR) + "/tests/support/fake_networkmanager.py";
    ::execl("/usr/bin/python3", "python3", script.c_str(), (bus.path() / "metered").c_str(), address.c_str(), nullptr);
    ::_exit(127);
  }
  struct Kill {
    pid_t a, b;
    ~Kill() {
      ::kill(a, SIGKILL);
      ::kill(b, SIGKILL);
      ::waitpid(a, nullptr, 0);
      ::waitpid(b, nullptr, 0);
    }
  } kill{daemon, nm};
  ASSERT_TRUE(WaitFor([&] { return ReadFile(bus.path() / "nm.out").find("ready") != std::string::npos; }, 10s))
      << ReadFile(bus.path() / "nm.out");

  Device device;
  SignIn(device);
  device.Set("network.metered", "auto");
  device.SetEnv("DBUS_SYSTEM_BUS_ADDRESS", address);
  device.Set("backup.bandwidth_kbps", "1000");  // 8 MB take about 8 s
  device.Set("upload.chunk_mb", "1");
  std::string bytes = FakeJpeg(8'000'000, 11);
  WriteFile(photos_.path() / "big.jpg", bytes);
  device.StartAgent();
  auto offset = [&]() -> std::int64_t {
    for (const auto& item : device.Items("pending")) {
      if (item["state"] == "uploading") return 1;
    }
    return 0;
  };
  ASSERT_TRUE(WaitFor([&] { return offset() > 0; })) << device.AgentLog();
  std::this_thread::sleep_for(1500ms);
  WriteFile(bus.path() / "metered", "1");  // NM_METERED_YES
  ASSERT_TRUE(WaitFor([&] { return device.Status()["state"] == "waiting_for_wifi"; }, 10s)) << device.Status().dump();
  EXPECT_NE(device.Status()["detail"].get<std::string>().find("NetworkManager"), std::string::npos);
  std::int64_t paused_at = ReceivedBytes(server_->address());
  std::this_thread::sleep_for(2500ms);
  EXPECT_LT(ReceivedBytes(server_->address()) - paused_at, 100'000) << "still sending on a metered network";
  EXPECT_TRUE(Assets(server_->address(), token_).empty());
  WriteFile(bus.path() / "metered", "4");  // NM_METERED_GUESS_NO
  ASSERT_TRUE(WaitFor([&] { return Assets(server_->address(), token_).size() == 1; }, 30s)) << device.AgentLog();
  EXPECT_EQ(Assets(server_->address(), token_)[0]["sha256"], Sha256Hex(bytes));
  // Resumed, not restarted: the server received the file about once.
  EXPECT_LT(ReceivedBytes(server_->address()), 8'000'000 * 13 / 10);
}

TEST_F(AgentTest, ServerGoingAwayAndAgentKilledMidUploadBothResume) {
  std::string port = server_->address().port;
  Device device;
  SignIn(device);
  device.Set("backup.bandwidth_kbps", "2000");
  device.Set("upload.chunk_mb", "1");
  std::string bytes = FakeJpeg(12'000'000, 21);
  WriteFile(photos_.path() / "big.jpg", bytes);
  device.StartAgent();
  ASSERT_TRUE(WaitFor([&] { return ReceivedBytes(server_->address()) > 3'000'000; })) << device.AgentLog();

  // The server dies mid-upload and comes back where it was.
  server_.reset();  // SIGKILL
  ASSERT_TRUE(WaitFor([&] { return device.Status()["state"] == "waiting_for_connection"; })) << device.Status().dump();
  EXPECT_EQ(device.Status()["headline"], "Waiting for connection");
  StartServer({"--set", "jobs.workers=1"}, "127.0.0.1:" + port);
  ASSERT_TRUE(WaitFor([&] { return ReceivedBytes(server_->address()) > 1'000'000; })) << device.AgentLog();

  // Now the agent dies mid-upload and is started again.
  device.StopAgent(SIGKILL);
  std::int64_t sent_by_then = ReceivedBytes(server_->address());
  device.StartAgent();
  ASSERT_TRUE(WaitFor([&] { return Assets(server_->address(), token_).size() == 1; }, 30s)) << device.AgentLog();
  EXPECT_EQ(Assets(server_->address(), token_)[0]["sha256"], Sha256Hex(bytes));
  // The restarted server got the rest, not the whole file again.
  EXPECT_LT(ReceivedBytes(server_->address()), 12'000'000 - 2'000'000) << "sent before the agent died: " << sent_by_then;
  ASSERT_TRUE(WaitFor([&] { return device.Status()["state"] == "complete"; }));
}

TEST_F(AgentTest, FilesChangedOrDeletedWhileUploadingAreNeverSentTorn) {
  Device device;
  SignIn(device);
  device.Set("backup.bandwidth_kbps", "1000");
  device.Set("upload.chunk_mb", "1");
  WriteFile(photos_.path() / "edit.jpg", FakeJpeg(5'000'000, 31));
  WriteFile(photos_.path() / "gone.jpg", FakeJpeg(5'000'000, 32));
  device.Set("backup.concurrency", "2");
  device.StartAgent();
  ASSERT_TRUE(WaitFor([&] { return ReceivedBytes(server_->address()) > 1'500'000; })) << device.AgentLog();
  std::string edited = FakeJpeg(5'000'000, 33);
  WriteFile(photos_.path() / "edit.jpg", edited);  // rewritten in place, same size
  fs::remove(photos_.path() / "gone.jpg");
  device.Set("backup.bandwidth_kbps", "0");
  ASSERT_TRUE(WaitFor([&] {
    auto assets = Assets(server_->address(), token_);
    return assets.size() == 1 && assets[0]["sha256"] == Sha256Hex(edited);
  }, 30s)) << device.AgentLog() << Assets(server_->address(), token_).dump();
  ASSERT_TRUE(WaitFor([&] { return device.Status()["state"] == "complete"; }));
  EXPECT_EQ(Assets(server_->address(), token_).size(), 1u);
}

TEST_F(AgentTest, AwkwardFilesAndFoldersAreReportedNotFatal) {
  Device device;
  SignIn(device);
  Photo("ok.jpg", 20'000, 41);
  Photo(std::string("caf\xe9-latin1.jpg"), 20'000, 42);        // not UTF-8
  Photo(std::string("\xff\xfe-bytes.jpg"), 20'000, 43);
  Photo("日本語の写真.jpg", 20'000, 44);
  fs::create_symlink(photos_.path(), photos_.path() / "loop");  // a symbolic link loop
  fs::create_directories(photos_.path() / "a" / "b");
  fs::create_symlink(photos_.path() / "a", photos_.path() / "a" / "b" / "up");
  Photo("locked.jpg", 20'000, 45);
  ::chmod((photos_.path() / "locked.jpg").c_str(), 0);
  fs::create_directories(photos_.path() / "private");
  Photo("private/p.jpg", 20'000, 46);
  ::chmod((photos_.path() / "private").c_str(), 0);
  // Permissions mean nothing to root: run the device as nobody.
  if (::geteuid() == 0) {
    if (::chown(device.dir().c_str(), 65534, 65534) != 0) FAIL() << "chown";
    device.RunAs(65534);
    for (auto& entry : fs::recursive_directory_iterator(device.dir())) {
      if (::chown(entry.path().c_str(), 65534, 65534) != 0) FAIL() << "chown";
    }
  }
  TempDir gone;
  auto [add, added] = device.Run({"backup", "add", gone.path().string()});
  ASSERT_EQ(add, 0) << added;
  fs::remove_all(gone.path());  // the folder disappears (an unplugged card)
  auto [code, out] = device.Run({"backup", "run"});
  EXPECT_EQ(code, 1) << out;  // the unreadable file failed; everything else went
  EXPECT_EQ(Assets(server_->address(), token_).size(), 4u) << out;
  EXPECT_NE(out.find("cannot open folder " + gone.path().string()), std::string::npos) << out;
  EXPECT_NE(out.find("cannot read " + (photos_.path() / "private").string()), std::string::npos) << out;
  json failed = device.Items("failed");
  ASSERT_EQ(failed.size(), 1u) << failed.dump();
  EXPECT_EQ(failed[0]["path"], (photos_.path() / "locked.jpg").string());
  EXPECT_NE(failed[0]["reason"].get<std::string>().find("Permission denied"), std::string::npos);
  std::set<std::string> names;
  for (const auto& a : Assets(server_->address(), token_)) names.insert(a["original_name"]);
  EXPECT_TRUE(names.count("日本語の写真.jpg")) << json(names).dump();
  // The status of that device lists the failure with its reason, and the listing survives the
  // odd names.
  auto [items_code, items] = device.Run({"status", "--items"});
  EXPECT_EQ(items_code, 0);
  EXPECT_NE(items.find("locked.jpg"), std::string::npos) << items;
}

TEST_F(AgentTest, WrongOrRevokedKeySaysSoWithoutARetryStorm) {
  Device device;
  SignIn(device);
  Photo("a.jpg", 20'000, 51);
  client::HttpClient http(server_->address());
  auto keys = json::parse(http.Send("GET", "/api/v1/api-keys", Bearer(token_))->body)["keys"];
  ASSERT_EQ(keys.size(), 1u);
  ASSERT_EQ(http.Send("DELETE", "/api/v1/api-keys/" + keys[0]["id"].get<std::string>(), Bearer(token_))->status, 204);
  auto [code, out] = device.Run({"backup", "run"});
  EXPECT_EQ(code, 3) << out;
  EXPECT_NE(out.find("revoked"), std::string::npos) << out;
  EXPECT_EQ(device.Status()["state"], "signed_out");
  device.StartAgent();
  std::this_thread::sleep_for(1s);
  std::int64_t before = RequestsTotal(server_->address());
  std::this_thread::sleep_for(6s);
  EXPECT_LT(RequestsTotal(server_->address()) - before, 6) << "an agent with a revoked key keeps asking";
  EXPECT_EQ(device.Status()["state"], "signed_out");
  EXPECT_TRUE(Assets(server_->address(), token_).empty());
}

TEST_F(AgentTest, DeletedOnTheServerIsNotSentAgainUnlessAsked) {
  Device device;
  SignIn(device);
  fs::path a = Photo("a.jpg", 20'000, 61);
  ASSERT_EQ(device.Run({"backup", "run"}).first, 0);
  auto assets = Assets(server_->address(), token_);
  ASSERT_EQ(assets.size(), 1u);
  client::HttpClient http(server_->address());
  ASSERT_EQ(http.Send("DELETE", "/api/v1/assets/" + assets[0]["id"].get<std::string>(), Bearer(token_))->status, 204);
  ASSERT_EQ(http.Send("POST", "/api/v1/trash/empty", Bearer(token_))->status, 200);
  // A reinstalled device finds it deleted, and leaves it so.
  Device fresh;
  SignIn(fresh);
  auto [code, out] = fresh.Run({"backup", "run"});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("1 deleted on the server"), std::string::npos) << out;
  EXPECT_TRUE(Assets(server_->address(), token_).empty());
  EXPECT_EQ(fresh.Status()["deleted_on_server"], 1);
  auto [again, again_out] = fresh.Run({"backup", "run", "--reupload-deleted"});
  EXPECT_EQ(again, 0) << again_out;
  EXPECT_EQ(Assets(server_->address(), token_).size(), 1u) << again_out;
}

TEST_F(AgentTest, SyncDownMirrorsWhatOtherDevicesUploaded) {
  Device phone, laptop;
  SignIn(phone);
  Photo("from-phone.jpg", 30'000, 71);
  ASSERT_EQ(phone.Run({"backup", "run"}).first, 0);
  TempDir laptop_photos;
  auto [login, login_out] = laptop.Run({"login", Url(server_->address()), "--email", "alice@example.com",
                                        "--password", kPassword, "--device-name", "laptop"});
  ASSERT_EQ(login, 0) << login_out;
  laptop.Set("network.metered", "no");
  WriteFile(laptop_photos.path() / "from-laptop.jpg", FakeJpeg(30'000, 72));
  ASSERT_EQ(laptop.Run({"backup", "add", laptop_photos.path().string()}).first, 0);
  ASSERT_EQ(laptop.Run({"backup", "run"}).first, 0);

  TempDir gallery;
  auto [code, out] = laptop.Run({"sync-down", gallery.path().string(), "--originals"});
  EXPECT_EQ(code, 0) << out;
  std::vector<fs::path> files;
  for (auto& e : fs::recursive_directory_iterator(gallery.path())) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  ASSERT_EQ(files.size(), 1u) << out;  // the phone's photo; not the laptop's own
  EXPECT_EQ(files[0].filename(), "from-phone.jpg");
  EXPECT_EQ(ReadFile(files[0]), ReadFile(photos_.path() / "from-phone.jpg"));
  // Incremental: nothing new, nothing fetched; a new photo from the phone arrives; a deleted one leaves.
  auto [again, again_out] = laptop.Run({"sync-down", gallery.path().string(), "--originals"});
  EXPECT_NE(again_out.find("0 downloaded"), std::string::npos) << again_out;
  Photo("second.jpg", 30'000, 73);
  ASSERT_EQ(phone.Run({"backup", "run"}).first, 0);
  laptop.Run({"sync-down", gallery.path().string(), "--originals"});
  std::string first_id;
  for (const auto& a : Assets(server_->address(), token_)) {
    if (a["original_name"] == "from-phone.jpg") first_id = a["id"];
  }
  client::HttpClient http(server_->address());
  ASSERT_EQ(http.Send("DELETE", "/api/v1/assets/" + first_id, Bearer(token_))->status, 204);
  auto [third, third_out] = laptop.Run({"sync-down", gallery.path().string(), "--originals"});
  EXPECT_NE(third_out.find("1 removed"), std::string::npos) << third_out;
  EXPECT_FALSE(fs::exists(files[0]));
  int left = 0;
  for (auto& e : fs::recursive_directory_iterator(gallery.path())) left += e.is_regular_file();
  EXPECT_EQ(left, 1);
}

TEST_F(AgentTest, FreeUpSpaceDeletesOnlyWhatTheServerVerifiablyHas) {
  Device device;
  SignIn(device);
  fs::path kept_changed = Photo("changed.jpg", 20'000, 81);
  fs::path trashed = Photo("trashed.jpg", 20'000, 82);
  fs::path safe = Photo("safe.jpg", 20'000, 83);
  Photo("not-yet.jpg", 20'000, 84);
  device.Set("backup.include", "changed.jpg,trashed.jpg,safe.jpg");
  ASSERT_EQ(device.Run({"backup", "run"}).first, 0);
  device.Set("backup.include", "");
  for (const auto& a : Assets(server_->address(), token_)) {
    if (a["original_name"] == "trashed.jpg") {
      client::HttpClient http(server_->address());
      ASSERT_EQ(http.Send("DELETE", "/api/v1/assets/" + a["id"].get<std::string>(), Bearer(token_))->status, 204);
    }
  }
  WriteFile(kept_changed, FakeJpeg(20'000, 85));  // edited after its backup

  auto [verify, verify_out] = device.Run({"verify"});
  EXPECT_EQ(verify, 1) << verify_out;
  EXPECT_NE(verify_out.find("trashed.jpg\tin the server's trash"), std::string::npos) << verify_out;
  EXPECT_NE(verify_out.find("not-yet.jpg\tnot backed up yet"), std::string::npos) << verify_out;
  EXPECT_NE(verify_out.find("changed.jpg\tnot backed up yet"), std::string::npos) << verify_out;

  auto [dry, dry_out] = device.Run({"free-up-space", "--dry-run"});
  EXPECT_EQ(dry, 0) << dry_out;
  EXPECT_NE(dry_out.find("Would free 1 files, 20.0 KB"), std::string::npos) << dry_out;
  EXPECT_TRUE(fs::exists(safe));
  auto [real, real_out] = device.Run({"free-up-space"});
  EXPECT_EQ(real, 0) << real_out;
  EXPECT_NE(real_out.find("Freed 1 files"), std::string::npos) << real_out;
  EXPECT_FALSE(fs::exists(safe));
  EXPECT_TRUE(fs::exists(trashed));
  EXPECT_TRUE(fs::exists(kept_changed));
}

TEST_F(AgentTest, HundredThousandFilesInOneFolder) {
  Device device;
  SignIn(device);
  fs::path crowded = photos_.path() / "crowded";
  fs::create_directories(crowded);
  for (int i = 0; i < 100'000; ++i) {
    int fd = ::open((crowded / ("f" + std::to_string(i) + ".txt")).c_str(), O_WRONLY | O_CREAT, 0644);
    ::close(fd);
  }
  Photo("crowded/real.jpg", 20'000, 91);
  auto started = std::chrono::steady_clock::now();
  auto [code, out] = device.Run({"backup", "run"});
  EXPECT_EQ(code, 0) << out.substr(out.size() > 2000 ? out.size() - 2000 : 0);
  EXPECT_EQ(Assets(server_->address(), token_).size(), 1u);
  EXPECT_EQ(device.Status()["skipped"], 100'000);
  auto first = std::chrono::steady_clock::now() - started;
  auto [again, again_out] = device.Run({"backup", "run"});
  EXPECT_NE(again_out.find("0 uploaded"), std::string::npos);
  EXPECT_NE(again_out.find("100001 files looked at"), std::string::npos) << again_out;
  std::printf("first pass %.1f s\n", std::chrono::duration<double>(first).count());
}

TEST_F(AgentTest, AFullDiskUnderTheStateDatabaseFailsCleanly) {
  TempDir mount_point;
  if (::mount("tmpfs", mount_point.path().c_str(), "tmpfs", 0, "size=600k") != 0) {
    GTEST_SKIP() << "mounting a small tmpfs needs root (CAP_SYS_ADMIN)";
  }
  struct Unmount {
    fs::path path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mount_point.path()};
  Device device;
  device.SetEnv("SHOEBOX_DATA_DIR", (mount_point.path() / "state").string());
  SignIn(device);
  for (int i = 0; i < 3000; ++i) WriteFile(photos_.path() / ("n" + std::to_string(i) + "-with-a-rather-long-name-to-fill-the-database.txt"), "x");
  Photo("real.jpg", 20'000, 95);
  auto [code, out] = device.Run({"backup", "run"});
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("disk full"), std::string::npos) << out;
  // Room again: the next run goes through.
  for (int i = 0; i < 3000; ++i) fs::remove(photos_.path() / ("n" + std::to_string(i) + "-with-a-rather-long-name-to-fill-the-database.txt"));
  auto [again, again_out] = device.Run({"backup", "run"});
  EXPECT_EQ(again, 0) << again_out;
  EXPECT_EQ(Assets(server_->address(), token_).size(), 1u);
}

}  // namespace
}  // namespace shoebox::testing
