// shoebox: the device side. Signs this device in, keeps its backup settings, backs its folders
// up (one pass with `backup run`, continuously with `agent`), tells the truth in `status`, mirrors
// the library back (`sync-down`), and frees space only for what the server verifiably holds.
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "adapters/libmagic/libmagic_inspector.h"
#include "agent/agent.h"
#include "agent/backup_engine.h"
#include "agent/local_state.h"
#include "agent/safety_check.h"
#include "agent/settings.h"
#include "agent/status.h"
#include "agent/sync_down.h"
#include "client/http_client.h"
#include "client/tus_uploader.h"

using namespace shoebox;
using namespace shoebox::agent;
using Json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop = true; }

int Fail(const std::string& message, int code = 1) {
  std::fprintf(stderr, "shoebox: %s\n", message.c_str());
  return code;
}

std::string Prompt(const std::string& question, bool secret) {
  std::fprintf(stderr, "%s", question.c_str());
  std::fflush(stderr);
  termios old {};
  bool tty = ::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &old) == 0;
  if (secret && tty) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string answer;
  std::getline(std::cin, answer);
  if (secret && tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::fprintf(stderr, "\n");
  }
  return answer;
}

std::string HostName() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name[0] ? name : "this device";
}

std::map<std::string, std::string> Bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

// Signs in with a password (then trades the session for a device API key) or with a key.
Result<Credentials> SignIn(const std::string& server, std::string email, std::string password,
                           const std::string& api_key, const std::string& device_name) {
  SHOEBOX_ASSIGN(auto address, client::ServerAddress::Parse(server));
  client::HttpClient http(address, 30);
  Credentials c;
  c.server = "http://" + address.host + ":" + address.port;
  c.device_name = device_name;
  if (api_key.empty()) {
    if (email.empty()) email = Prompt("Email: ", false);
    if (password.empty()) password = Prompt("Password: ", true);
    Json body = {{"email", email}, {"password", password}, {"device_name", "shoebox login on " + device_name}};
    auto login = http.Send("POST", "/api/v1/auth/login", {}, body.dump());
    if (!login) return login.error();
    if (login->status != 200) {
      auto e = client::ErrorFromReply(*login);
      return MakeError(e.code, e.message);
    }
    std::string session = Json::parse(login->body).value("token", "");
    auto key = http.Send("POST", "/api/v1/api-keys", Bearer(session), Json{{"name", device_name}}.dump());
    (void)http.Send("POST", "/api/v1/auth/logout", Bearer(session));
    if (!key) return key.error();
    if (key->status != 201) return client::ErrorFromReply(*key);
    auto issued = Json::parse(key->body);
    c.token = issued.value("secret", "");
    c.device_id = issued.value("id", "");
    c.email = email;
    return c;
  }
  c.token = api_key;
  auto me = http.Send("GET", "/api/v1/me", Bearer(api_key));
  if (!me) return me.error();
  if (me->status != 200) return client::ErrorFromReply(*me);
  c.email = Json::parse(me->body).value("email", "");
  auto devices = http.Send("GET", "/api/v1/devices", Bearer(api_key));
  if (devices && devices->status == 200) {
    for (const auto& d : Json::parse(devices->body).value("devices", Json::array())) {
      if (d.value("is_current", false)) {
        c.device_id = d.value("id", "");
        if (device_name.empty() || device_name == HostName()) c.device_name = d.value("name", "");
      }
    }
  }
  return c;
}

// A progress display for a running pass: a bar on a terminal, nothing extra on a pipe (where
// each file gets its own line instead).
class ProgressDisplay {
 public:
  ProgressDisplay(PassProgress& progress, bool terminal) : progress_(progress), terminal_(terminal) {
    if (terminal_) thread_ = std::thread([this] { Loop(); });
  }
  ~ProgressDisplay() { Stop(); }
  void Stop() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
  }
  void Line(const std::string& text) {
    std::lock_guard lock(mutex_);
    if (terminal_) std::fprintf(stdout, "\r\033[K");
    std::fprintf(stdout, "%s\n", text.c_str());
    std::fflush(stdout);
  }

 private:
  void Loop() {
    auto started = std::chrono::steady_clock::now();
    while (!done_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      std::int64_t total = progress_.bytes_to_send, sent = progress_.bytes_sent;
      double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      std::string phase;
      {
        std::lock_guard lock(progress_.mutex);
        phase = progress_.phase;
      }
      std::lock_guard lock(mutex_);
      if (phase != "uploading" || total <= 0) {
        std::fprintf(stdout, "\r\033[K%s...", phase.c_str());
      } else {
        int width = 30;
        int filled = static_cast<int>(static_cast<double>(std::min(sent, total)) / static_cast<double>(total) * width);
        std::string bar(static_cast<std::size_t>(filled), '#');
        bar.resize(static_cast<std::size_t>(width), '.');
        std::fprintf(stdout, "\r\033[K[%s] %lld/%lld files  %s of %s  %s/s", bar.c_str(),
                     static_cast<long long>(progress_.files_sent.load()),
                     static_cast<long long>(progress_.files_to_send.load()), HumanBytes(sent).c_str(),
                     HumanBytes(total).c_str(),
                     HumanBytes(static_cast<std::int64_t>(static_cast<double>(sent) / std::max(seconds, 0.1))).c_str());
      }
      std::fflush(stdout);
    }
    std::lock_guard lock(mutex_);
    std::fprintf(stdout, "\r\033[K");
    std::fflush(stdout);
  }

  PassProgress& progress_;
  bool terminal_;
  std::atomic<bool> done_{false};
  std::mutex mutex_;
  std::thread thread_;
};

void PrintSummary(const PassSummary& s, double seconds) {
  std::printf("%lld uploaded (%s), %lld already on the server, %lld skipped, %lld failed, %lld deleted on the server; %lld files looked at in %.1f s\n",
              static_cast<long long>(s.uploaded), HumanBytes(s.bytes_uploaded).c_str(),
              static_cast<long long>(s.already_on_server), static_cast<long long>(s.skipped),
              static_cast<long long>(s.failed), static_cast<long long>(s.deleted_on_server),
              static_cast<long long>(s.files_seen), seconds);
  if (s.still_being_written) {
    std::printf("%lld files are still being written; they are left for the next backup\n",
                static_cast<long long>(s.still_being_written));
  }
  for (const auto& p : s.problems) std::printf("problem: %s\n", p.c_str());
  if (s.hold != Hold::kNone) {
    std::printf("%s%s\n", HoldHeadline(s.hold).c_str(),
                s.hold_detail.empty() ? "" : (" (" + s.hold_detail + ")").c_str());
  }
}

// Runs one pass with a progress display; exit code 0 when nothing failed or waits.
int RunOnePass(BackupEngine& engine, const Settings& settings, const Credentials& credentials,
               PassOptions options) {
  PassProgress progress;
  ProgressDisplay display(progress, ::isatty(STDOUT_FILENO));
  bool terminal = ::isatty(STDOUT_FILENO);
  options.stop_requested = [] { return g_stop.load(); };
  options.on_item = [&](const std::string& what, const std::string& path, const std::string& why) {
    if (terminal && what == "uploaded") return;  // the bar shows those
    display.Line(path + "\t" + what + (why.empty() ? "" : "\t" + why));
  };
  auto started = std::chrono::steady_clock::now();
  auto summary = engine.RunPass(settings, credentials, options, progress);
  display.Stop();
  if (!summary) return Fail(summary.error().message);
  PrintSummary(*summary, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (summary->hold != Hold::kNone) return 3;
  return summary->failed > 0 ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"Shoebox: back this device's photos and videos up to a Shoebox server"};
  cli.require_subcommand(1);
  std::string config_dir, server_flag, token_flag;
  cli.add_option("--config-dir", config_dir, "settings folder (default $XDG_CONFIG_HOME/shoebox)");
  cli.add_option("--server", server_flag, "server URL, instead of the signed-in one (scripts)")
      ->envname("SHOEBOX_SERVER");
  cli.add_option("--token", token_flag, "API key, instead of the signed-in one (scripts)")
      ->envname("SHOEBOX_TOKEN");

  auto* login = cli.add_subcommand("login", "sign this device in to a server");
  std::string login_url, email, password, api_key, device_name = HostName();
  login->add_option("url", login_url, "server address, e.g. http://photos.example:3420")->required();
  login->add_option("--email", email, "account email (asked when missing)");
  login->add_option("--password", password, "password (asked when missing)")->envname("SHOEBOX_PASSWORD");
  login->add_option("--api-key", api_key, "sign in with an existing API key instead");
  login->add_option("--device-name", device_name, "how this device is named on the server");

  cli.add_subcommand("logout", "revoke this device's key and forget it");

  auto* settings_cmd = cli.add_subcommand("settings", "show or change backup settings");
  settings_cmd->require_subcommand(1);
  auto* get = settings_cmd->add_subcommand("get", "show settings");
  std::string get_key;
  get->add_option("key", get_key, "one setting");
  auto* set = settings_cmd->add_subcommand("set", "change a setting");
  std::string set_key, set_value;
  set->add_option("key", set_key)->required();
  set->add_option("value", set_value)->required();

  auto* backup = cli.add_subcommand("backup", "choose folders and back them up");
  backup->require_subcommand(1);
  auto* add = backup->add_subcommand("add", "back this folder up");
  auto* remove = backup->add_subcommand("remove", "stop backing this folder up");
  std::string folder_arg;
  add->add_option("dir", folder_arg)->required();
  remove->add_option("dir", folder_arg)->required();
  backup->add_subcommand("list", "the backed-up folders");
  auto* run = backup->add_subcommand("run", "one backup pass now, then a summary");
  bool reupload_deleted = false, retry_skipped = false;
  run->add_flag("--reupload-deleted", reupload_deleted, "send again what was deleted on the server");
  run->add_flag("--retry-skipped", retry_skipped, "look again at skipped files (after a limit changed)");

  auto* status = cli.add_subcommand("status", "what the backup is doing");
  bool json = false;
  std::string items_state;
  status->add_flag("--json", json, "machine-readable");
  status->add_option("--items", items_state, "list files: all, pending, skipped, failed, done")
      ->expected(0, 1);

  cli.add_subcommand("agent", "back up continuously (run by shoebox.service)");

  auto* sync = cli.add_subcommand("sync-down", "mirror the library into a local folder");
  std::string sync_dir;
  bool previews = false, originals = false;
  sync->add_option("dir", sync_dir)->required();
  auto* p_flag = sync->add_flag("--previews", previews, "small copies (default)");
  sync->add_flag("--originals", originals, "original files")->excludes(p_flag);

  auto* free_cmd = cli.add_subcommand("free-up-space", "delete local copies the server verifiably has");
  bool dry_run = false;
  free_cmd->add_flag("--dry-run", dry_run, "only say what would be deleted");

  cli.add_subcommand("verify", "list anything not safely backed up");

  auto* upload = cli.add_subcommand("upload", "upload files and folders once (bulk import)");
  std::vector<std::string> upload_paths;
  upload->add_option("paths", upload_paths, "files or folders")->required();

  cli.add_subcommand("version", "print the version");
  CLI11_PARSE(cli, argc, argv);
  bool items = status->count("--items") > 0;

  if (cli.got_subcommand("version")) {
    std::printf("shoebox %s\n", SHOEBOX_VERSION);
    return 0;
  }
  ::signal(SIGTERM, OnSignal);
  ::signal(SIGINT, OnSignal);
  ::signal(SIGPIPE, SIG_IGN);

  Paths paths = Paths::Resolve(config_dir);
  auto settings = LoadSettings(paths);
  if (!settings) return Fail(settings.error().message);
  auto credentials = LoadCredentials(paths);
  if (!credentials) return Fail(credentials.error().message);
  if (!server_flag.empty() && !token_flag.empty() && !cli.got_subcommand("login")) {
    Credentials given;
    given.server = server_flag;
    given.token = token_flag;
    if (*credentials && (*credentials)->server == server_flag && (*credentials)->token == token_flag) {
      given = **credentials;
    }
    *credentials = given;
  }
  auto need_credentials = [&]() -> const Credentials* {
    if (!*credentials) {
      Fail("not signed in: run `shoebox login URL` first");
      return nullptr;
    }
    return &**credentials;
  };
  auto open_state = [&]() -> std::unique_ptr<LocalState> {
    auto state = LocalState::Open(paths.state_db());
    if (!state) {
      Fail(state.error().message);
      return nullptr;
    }
    return std::move(*state);
  };

  if (cli.got_subcommand("login")) {
    auto signed_in = SignIn(login_url, email, password, api_key, device_name);
    if (!signed_in) return Fail("sign-in failed: " + signed_in.error().message);
    if (auto saved = SaveCredentials(paths, *signed_in); !saved) return Fail(saved.error().message);
    if (auto saved = SaveSettings(paths, *settings); !saved) return Fail(saved.error().message);
    std::printf("Signed in to %s as %s; this device is \"%s\".\n", signed_in->server.c_str(),
                signed_in->email.c_str(), signed_in->device_name.c_str());
    if (settings->folders.empty()) std::printf("Next: shoebox backup add DIR\n");
    return 0;
  }
  if (cli.got_subcommand("logout")) {
    const Credentials* c = need_credentials();
    if (!c) return 1;
    if (!c->device_id.empty()) {
      auto address = client::ServerAddress::Parse(c->server);
      if (address) {
        client::HttpClient http(*address, 15);
        auto reply = http.Send("DELETE", "/api/v1/api-keys/" + c->device_id, Bearer(c->token));
        if (!reply) std::fprintf(stderr, "shoebox: the server could not be told (%s); the key stays valid there until revoked on the web\n", reply.error().message.c_str());
      }
    }
    if (auto gone = ForgetCredentials(paths); !gone) return Fail(gone.error().message);
    std::printf("Signed out.\n");
    return 0;
  }
  if (cli.got_subcommand("settings")) {
    if (settings_cmd->got_subcommand("get")) {
      for (const auto& [key, value] : ListSettings(*settings)) {
        if (get_key.empty() || key == get_key) std::printf("%s = %s\n", key.c_str(), value.c_str());
      }
      return 0;
    }
    if (auto changed = SetSetting(*settings, set_key, set_value); !changed) return Fail(changed.error().message, 2);
    if (auto saved = SaveSettings(paths, *settings); !saved) return Fail(saved.error().message);
    return 0;
  }
  if (cli.got_subcommand("backup")) {
    if (backup->got_subcommand("list")) {
      for (const auto& f : settings->folders) std::printf("%s\n", f.c_str());
      return 0;
    }
    if (backup->got_subcommand("add") || backup->got_subcommand("remove")) {
      std::error_code ec;
      std::string folder = fs::weakly_canonical(fs::absolute(folder_arg), ec).string();
      while (folder.size() > 1 && folder.back() == '/') folder.pop_back();
      auto& folders = settings->folders;
      if (backup->got_subcommand("add")) {
        if (!fs::is_directory(folder, ec)) return Fail(folder + " is not a folder", 2);
        if (std::find(folders.begin(), folders.end(), folder) == folders.end()) folders.push_back(folder);
      } else {
        auto it = std::find(folders.begin(), folders.end(), folder);
        if (it == folders.end()) return Fail(folder + " is not backed up", 2);
        folders.erase(it);
        if (auto state = open_state()) (void)state->ForgetFolder(folder);
      }
      if (auto saved = SaveSettings(paths, *settings); !saved) return Fail(saved.error().message);
      std::printf("Backed-up folders:\n");
      for (const auto& f : folders) std::printf("  %s\n", f.c_str());
      return 0;
    }
    const Credentials* c = need_credentials();
    if (!c) return 1;
    auto state = open_state();
    if (!state) return 1;
    auto inspector = libmagic::OpenLibmagicInspector();
    if (!inspector) return Fail(inspector.error().message);
    if (retry_skipped || reupload_deleted) (void)state->Requeue(retry_skipped, reupload_deleted, false);
    BackupEngine engine(*state, **inspector);
    PassOptions options;
    options.reupload_deleted = reupload_deleted;
    if (!settings->enabled) {
      std::printf("%s (shoebox settings set backup.enabled true)\n", HoldHeadline(Hold::kOff).c_str());
      return 3;
    }
    return RunOnePass(engine, *settings, *c, options);
  }
  if (cli.got_subcommand("status")) {
    auto state = open_state();
    if (!state) return 1;
    auto report = ReadAgentReport(*state);
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch()).count();
    if (report && !AgentIsRunning(*report, now)) report.reset();
    Hold hold;
    std::string detail;
    if (report) {
      hold = report->hold;
      detail = report->hold_detail;
    } else {
      auto inspector = libmagic::OpenLibmagicInspector();
      if (!inspector) return Fail(inspector.error().message);
      BackupEngine engine(*state, **inspector);
      hold = engine.CheckRules(*settings, *credentials, &detail);
    }
    auto built = BuildStatus(*settings, *state, hold, detail, report);
    if (!built) return Fail(built.error().message);
    if (items) {
      std::optional<FileState> only;
      if (items_state == "pending") only = FileState::kPending;
      else if (items_state == "skipped") only = FileState::kSkipped;
      else if (items_state == "failed") only = FileState::kFailed;
      else if (items_state == "done" || items_state == "uploaded") only = FileState::kUploaded;
      else if (!items_state.empty() && items_state != "all") return Fail("--items takes all, pending, skipped, failed or done", 2);
      std::vector<FileRecord> records;
      auto list = state->List(only, 10'000'000);
      if (!list) return Fail(list.error().message);
      records = std::move(*list);
      if (only == FileState::kPending) {  // pending includes uploads in flight
        auto more = state->List(FileState::kUploading, 10'000'000);
        if (more) records.insert(records.end(), more->begin(), more->end());
      }
      // Files the agent sees being written are not in the ledger yet: say so.
      std::vector<std::string> settling;
      if (report && (!only || only == FileState::kPending)) {
        auto extra = state->GetValue("agent_extra");
        if (extra && *extra) {
          auto j = Json::parse(**extra, nullptr, false);
          if (!j.is_discarded()) settling = j.value("settling", std::vector<std::string>());
        }
      }
      auto describe = [](const FileRecord& r) -> std::string {
        switch (r.state) {
          case FileState::kPending: return r.reason.empty() ? std::string("pending") : "pending: " + r.reason;
          case FileState::kUploading:
            return "uploading: " + HumanBytes(r.upload_offset) + " of " + HumanBytes(r.size) +
                   (r.reason.empty() ? "" : " (" + r.reason + ")");
          case FileState::kUploaded: return std::string("done") + (r.reason.empty() ? "" : ": " + r.reason);
          case FileState::kSkipped: return "skipped: " + r.reason;
          case FileState::kFailed: return r.reason;
          case FileState::kDeletedOnServer: return "deleted on the server: not sent again";
        }
        return std::string();
      };
      if (json) {
        Json list = Json::array();
        for (const auto& r : records) {
          list.push_back({{"path", r.path}, {"state", FileStateName(r.state)}, {"reason", r.reason},
                          {"size", r.size}, {"asset_id", r.asset_id}, {"attempts", r.attempts},
                          {"description", describe(r)}});
        }
        for (const auto& p : settling) {
          list.push_back({{"path", p}, {"state", "waiting"}, {"reason", "file still being written"},
                          {"description", "waiting: file still being written"}});
        }
        std::printf("%s\n", JsonText(list, 2).c_str());
      } else {
        for (const auto& r : records) std::printf("%s\t%s\n", r.path.c_str(), describe(r).c_str());
        for (const auto& p : settling) std::printf("%s\twaiting: file still being written\n", p.c_str());
      }
      return 0;
    }
    if (json) {
      std::printf("%s\n", JsonText(StatusJson(*built), 2).c_str());
    } else {
      std::printf("%s", StatusText(*built).c_str());
    }
    return 0;
  }
  if (cli.got_subcommand("agent")) {
    auto inspector = libmagic::OpenLibmagicInspector();
    if (!inspector) return Fail(inspector.error().message);
    return RunAgent(paths, **inspector, g_stop);
  }
  if (cli.got_subcommand("sync-down")) {
    const Credentials* c = need_credentials();
    if (!c) return 1;
    auto state = open_state();
    if (!state) return 1;
    std::error_code ec;
    fs::create_directories(sync_dir, ec);
    std::string dir = fs::weakly_canonical(fs::absolute(sync_dir), ec).string();
    std::function<void(const std::string&)> log = [](const std::string& line) { std::printf("%s\n", line.c_str()); };
    auto synced = SyncDown(*state, *c, dir, originals, &log);
    if (!synced) return Fail(synced.error().message);
    std::printf("%lld downloaded (%s), %lld removed, %lld uploaded from this device (not downloaded), %lld not ready yet\n",
                static_cast<long long>(synced->downloaded), HumanBytes(synced->bytes).c_str(),
                static_cast<long long>(synced->removed), static_cast<long long>(synced->own),
                static_cast<long long>(synced->not_ready));
    return 0;
  }
  if (cli.got_subcommand("free-up-space")) {
    const Credentials* c = need_credentials();
    if (!c) return 1;
    auto state = open_state();
    if (!state) return 1;
    auto freed = FreeUpSpace(*state, *c, dry_run, [](const std::string& line) { std::printf("%s\n", line.c_str()); });
    if (!freed) return Fail(freed.error().message);
    for (const auto& [path, why] : freed->kept) std::printf("kept %s: %s\n", path.c_str(), why.c_str());
    std::printf("%s %lld files, %s\n", dry_run ? "Would free" : "Freed",
                static_cast<long long>(freed->files), HumanBytes(freed->bytes).c_str());
    return 0;
  }
  if (cli.got_subcommand("verify")) {
    const Credentials* c = need_credentials();
    if (!c) return 1;
    auto state = open_state();
    if (!state) return 1;
    auto inspector = libmagic::OpenLibmagicInspector();
    if (!inspector) return Fail(inspector.error().message);
    // A fresh look at the folders first, so files added or changed since the last backup count.
    BackupEngine engine(*state, **inspector);
    PassProgress progress;
    PassOptions look;
    look.look_only = true;
    auto looked = engine.RunPass(*settings, *c, look, progress);
    if (!looked) return Fail(looked.error().message);
    auto report = VerifyWithServer(*state, *c);
    if (!report) return Fail(report.error().message);
    for (const auto& [path, why] : report->not_safe) std::printf("NOT SAFE\t%s\t%s\n", path.c_str(), why.c_str());
    std::printf("%lld files safely backed up in Original quality, %lld in Storage saver, %zu not safe\n",
                static_cast<long long>(report->safe), static_cast<long long>(report->saver),
                report->not_safe.size());
    return report->not_safe.empty() ? 0 : 1;
  }
  if (cli.got_subcommand("upload")) {
    const Credentials* c = need_credentials();
    if (!c) return 1;
    // A bulk import keeps a ledger of its own for this run, apart from the backed-up folders';
    // the server is asked about every file, so each gets its line.
    fs::path ledger = paths.data_dir / ("import-" + std::to_string(::getpid()) + ".db");
    struct RemoveLedger {
      fs::path file;
      ~RemoveLedger() {
        std::error_code ec;
        for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(file.string() + suffix, ec);
      }
    } remove_ledger{ledger};
    auto state = LocalState::Open(ledger);
    if (!state) return Fail(state.error().message);
    auto inspector = libmagic::OpenLibmagicInspector();
    if (!inspector) return Fail(inspector.error().message);
    Settings import = *settings;
    import.folders.clear();
    import.settle_seconds = 0;
    PassOptions options;
    for (const auto& p : upload_paths) {
      std::error_code ec;
      std::string path = fs::weakly_canonical(fs::absolute(p), ec).string();
      if (fs::is_directory(path, ec)) {
        import.folders.push_back(path);
      } else if (fs::is_regular_file(path, ec)) {
        import.folders.push_back(fs::path(path).parent_path().string());
        options.only_paths.push_back(path);
      } else {
        return Fail(p + ": no such file or folder", 2);
      }
    }
    if (!options.only_paths.empty() && options.only_paths.size() != upload_paths.size()) {
      return Fail("give either files or folders to upload, not both", 2);
    }
    // Rules are for the background backup; an import the user starts runs now.
    import.wifi_only = false;
    import.charging_only = false;
    import.enabled = true;
    BackupEngine engine(**state, **inspector);
    return RunOnePass(engine, import, *c, options);
  }
  return 0;
}
