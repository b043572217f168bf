// shoebox-server: serve (default), admin create-user, verify, config, version.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>

#include "app/runtime.h"
#include "core/durable_file.h"
#include "services/migrate_service.h"
#include "services/media_limits.h"

namespace {

using namespace shoebox;

struct CommonFlags {
  std::string config_file;
  std::string data_dir;
  std::string listen;
  std::vector<std::string> settings;  // key=value
  std::string role;
};

void AddCommonFlags(CLI::App& command, CommonFlags& flags, bool with_listen) {
  command.add_option("--config", flags.config_file, "TOML configuration file")
      ->envname("SHOEBOX_CONFIG");
  command.add_option("--data", flags.data_dir, "data folder (default ./shoebox-data)");
  if (with_listen) {
    command.add_option("--listen", flags.listen,
                       std::string("address to listen on (default ") + kDefaultListen + ")");
  }
  command.add_option("--set", flags.settings, "override a setting: --set section.key=value");
  if (with_listen) {
    command.add_option("--role", flags.role,
                       "all (default), api (HTTP only) or worker (media jobs only, no HTTP)");
  }
}

// Fills what `flags` (a command's) leaves unset from `outer` (given before the command).
void InheritFlags(CommonFlags& flags, const CommonFlags& outer) {
  if (flags.config_file.empty()) flags.config_file = outer.config_file;
  if (flags.data_dir.empty()) flags.data_dir = outer.data_dir;
  if (flags.listen.empty()) flags.listen = outer.listen;
  if (flags.role.empty()) flags.role = outer.role;
  flags.settings.insert(flags.settings.begin(), outer.settings.begin(), outer.settings.end());
}

Result<ServerConfig> LoadConfig(const CommonFlags& flags) {
  std::map<std::string, std::string> overrides;
  for (const std::string& setting : flags.settings) {
    auto eq = setting.find('=');
    if (eq == std::string::npos) {
      return MakeError(ErrorCode::kBadRequest, "--set needs key=value, got " + setting);
    }
    overrides[setting.substr(0, eq)] = setting.substr(eq + 1);
  }
  if (!flags.data_dir.empty()) overrides["storage.data_dir"] = flags.data_dir;
  if (!flags.listen.empty()) overrides["server.listen"] = flags.listen;
  if (!flags.role.empty()) overrides["server.role"] = flags.role;
  return LoadServerConfig(flags.config_file, CurrentEnvironment(), overrides);
}

void SetUpLogging(const ServerConfig& config) {
  auto logger = spdlog::stderr_color_mt("shoebox");
  spdlog::set_default_logger(logger);
  if (config.log_format == "json") {
    spdlog::set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","event":%v})",
                        spdlog::pattern_time_type::utc);
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  }
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  spdlog::flush_on(spdlog::level::info);
}

int Fail(const Error& error) {
  std::fprintf(stderr, "shoebox-server: %s (%s)\n", error.message.c_str(),
               std::string(ErrorCodeName(error.code)).c_str());
  return 1;
}

int Serve(const CommonFlags& flags) {
  auto config = LoadConfig(flags);
  if (!config) return Fail(config.error());
  SetUpLogging(*config);
  SystemClock clock;
  auto runtime = Runtime::Open(*config, clock);
  if (!runtime) return Fail(runtime.error());
  ServerApp app(**runtime);
  auto bound = app.Start();
  if (!bound) return Fail(bound.error());
  if (config->role == "worker") {
    std::printf("Shoebox %s media worker running (data: %s)\n", SHOEBOX_VERSION,
                config->data_dir.c_str());
  } else {
    std::printf("Shoebox %s listening on http://%s (data: %s)\n", SHOEBOX_VERSION,
                bound->c_str(), config->data_dir.c_str());
  }
  std::fflush(stdout);
  app.Run();
  std::printf("Shoebox stopped.\n");
  return 0;
}

int CreateUser(const CommonFlags& flags, const NewUser& request) {
  auto config = LoadConfig(flags);
  if (!config) return Fail(config.error());
  SystemClock clock;
  auto runtime = Runtime::Open(*config, clock);
  if (!runtime) return Fail(runtime.error());
  auto user = (*runtime)->users().Create(request);
  if (!user) return Fail(user.error());
  std::printf("created %s%s (id %s)\n", user->email.c_str(), user->is_admin ? " as admin" : "",
              user->id.c_str());
  return 0;
}

int Verify(const CommonFlags& flags, bool quiet) {
  auto config = LoadConfig(flags);
  if (!config) return Fail(config.error());
  SystemClock clock;
  auto runtime = Runtime::Open(*config, clock);
  if (!runtime) return Fail(runtime.error());
  bool tty = isatty(fileno(stderr)) != 0 && !quiet;
  auto report = (*runtime)->verify().Run([&](const VerifyProgress& p) {
    if (tty) {
      std::fprintf(stderr, "\rverifying %lld/%lld assets, %s of %s", (long long)p.assets_done,
                   (long long)p.assets_total, FormatBytes(p.bytes_done).c_str(),
                   FormatBytes(p.bytes_total).c_str());
    }
  });
  if (tty) std::fprintf(stderr, "\n");
  if (!report) return Fail(report.error());
  for (const VerifyProblem& problem : report->problems) {
    std::printf("%s\t%s\t%s\t%s\n", std::string(VerifyProblemName(problem.kind)).c_str(),
                problem.blob_key.c_str(), problem.asset_id.empty() ? "-" : problem.asset_id.c_str(),
                problem.detail.c_str());
  }
  std::printf("verified %lld assets (%s): %s\n", (long long)report->assets_checked,
              FormatBytes(report->bytes_checked).c_str(),
              report->clean() ? "clean" : (std::to_string(report->problems.size()) + " problem(s)").c_str());
  return report->clean() ? 0 : 2;
}

int Jobs(const CommonFlags& flags, const std::string& rerun, const std::string& only,
         bool run_now) {
  auto config = LoadConfig(flags);
  if (!config) return Fail(config.error());
  SystemClock clock;
  auto runtime = Runtime::Open(*config, clock);
  if (!runtime) return Fail(runtime.error());
  MediaService& media = (*runtime)->media();
  if (!rerun.empty()) {
    auto kind = ParseJobKind(rerun);
    if (!kind) return Fail(MakeError(ErrorCode::kBadRequest, "unknown job kind " + rerun));
    std::optional<MediaKind> only_kind;
    if (!only.empty()) only_kind = ParseMediaKind(only);  // CLI11 let only photo or video through
    auto queued = media.Rerun(*kind, only_kind);
    if (!queued) return Fail(queued.error());
    std::printf("queued %lld %s job(s)\n", (long long)*queued, rerun.c_str());
  }
  if (run_now) {
    auto ran = (*runtime)->RunJobsUntilIdle();
    if (!ran) return Fail(ran.error());
    std::printf("ran %d job(s)\n", *ran);
  }
  auto overview = media.Overview(20);
  if (!overview) return Fail(overview.error());
  std::printf("%-14s %8s %8s %8s\n", "kind", "queued", "running", "failed");
  for (const JobCounts& c : overview->counts) {
    std::printf("%-14s %8lld %8lld %8lld\n", std::string(JobKindName(c.kind)).c_str(),
                (long long)c.queued, (long long)c.running, (long long)c.failed);
  }
  for (const Job& job : overview->failed) {
    std::printf("failed\t%s\t%s\t%s\n", std::string(JobKindName(job.kind)).c_str(),
                job.asset_id.c_str(), job.last_error.c_str());
  }
  return 0;
}

// Copies the library of the stores `from_file` names into those `to_file` names.
int Migrate(const std::string& from_file, const std::string& to_file, bool quiet) {
  auto from = LoadServerConfig(from_file, {}, {});
  if (!from) return Fail(from.error());
  auto to = LoadServerConfig(to_file, {}, {});
  if (!to) return Fail(to.error());
  bool same_database = from->database_url == to->database_url &&
                       (!from->database_url.empty() || from->data_dir == to->data_dir);
  bool same_storage = from->s3_bucket == to->s3_bucket && from->s3_prefix == to->s3_prefix &&
                      from->s3_endpoint == to->s3_endpoint &&
                      (!from->s3_bucket.empty() || from->data_dir == to->data_dir);
  if (same_database || same_storage) {
    return Fail(MakeError(ErrorCode::kBadRequest,
                          "--from and --to must name different databases and different storage"));
  }
  for (const ServerConfig* config : {&*from, &*to}) {
    if (auto made = CreateDirectoriesDurably(std::filesystem::absolute(config->data_dir)); !made) {
      return Fail(made.error());
    }
  }
  auto from_store = OpenMetadataStore(*from);
  if (!from_store) return Fail(from_store.error());
  auto from_blobs = OpenBlobStore(*from);
  if (!from_blobs) return Fail(from_blobs.error());
  auto to_store = OpenMetadataStore(*to);
  if (!to_store) return Fail(to_store.error());
  auto to_blobs = OpenBlobStore(*to);
  if (!to_blobs) return Fail(to_blobs.error());
  bool tty = isatty(fileno(stderr)) != 0 && !quiet;
  std::string work = (std::filesystem::absolute(to->data_dir) / "tmp" / "migrate").string();
  auto report = MigrateLibrary({**from_store, **from_blobs}, {**to_store, **to_blobs}, work,
                               [&](const MigrateProgress& p) {
                                 if (!tty) return;
                                 std::fprintf(stderr, "\r%-24s %lld/%lld%s", p.stage.c_str(),
                                              (long long)p.done, (long long)p.total,
                                              p.stage == "objects"
                                                  ? (", " + FormatBytes(p.bytes)).c_str()
                                                  : "");
                                 if (p.done == p.total) std::fprintf(stderr, "\n");
                               });
  if (tty) std::fprintf(stderr, "\n");
  if (!report) return Fail(report.error());
  std::printf("copied %lld objects (%s), %lld already there\n", (long long)report->objects_copied,
              FormatBytes(report->bytes_copied).c_str(), (long long)report->objects_present);
  for (const auto& [table, rows] : report->rows) {
    std::printf("%-24s %lld rows\n", table.c_str(), (long long)rows);
  }
  std::printf("migrated: every object verified by SHA-256\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A closed stdout or a peer that went away must surface as an error, not kill the server.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App cli{"Shoebox photo and video backup server"};
  cli.require_subcommand(0, 1);
  CommonFlags serve_flags;
  AddCommonFlags(cli, serve_flags, true);

  auto* serve = cli.add_subcommand("serve", "run the server (the default)");
  CommonFlags serve_sub_flags;
  AddCommonFlags(*serve, serve_sub_flags, true);

  auto* admin = cli.add_subcommand("admin", "administration");
  admin->require_subcommand(1);
  auto* create_user = admin->add_subcommand("create-user", "create a user account");
  CommonFlags admin_flags;
  AddCommonFlags(*create_user, admin_flags, false);
  NewUser new_user;
  std::int64_t quota = -1;
  create_user->add_option("--email", new_user.email, "email address")->required();
  create_user->add_option("--password", new_user.password, "password (8+ characters)")->required();
  create_user->add_option("--name", new_user.name, "display name");
  create_user->add_flag("--admin", new_user.is_admin, "make the user an administrator");
  create_user->add_option("--quota", quota, "storage quota in bytes");

  auto* verify = cli.add_subcommand("verify", "re-hash every original; exit 2 on problems");
  CommonFlags verify_flags;
  bool quiet = false;
  AddCommonFlags(*verify, verify_flags, false);
  verify->add_flag("--quiet", quiet, "no progress line");

  auto* config = cli.add_subcommand("config", "print the effective configuration");
  CommonFlags config_flags;
  AddCommonFlags(*config, config_flags, true);

  auto* jobs = cli.add_subcommand(
      "jobs", "show the media job queue (depth per kind, failures); re-run a kind for all assets");
  CommonFlags jobs_flags;
  AddCommonFlags(*jobs, jobs_flags, false);
  std::string rerun_kind, rerun_only;
  bool run_now = false;
  auto* rerun_option = jobs->add_option("--rerun", rerun_kind,
                                        "queue this kind again for every asset: metadata, "
                                        "thumbnails, playback, storage_saver, purge_source");
  jobs->add_option("--only", rerun_only, "with --rerun: only photos or only videos")
      ->check(CLI::IsMember({"photo", "video"}))
      ->needs(rerun_option);
  jobs->add_flag("--run", run_now, "run due jobs here until none is left (no server needed)");

  auto* migrate = cli.add_subcommand(
      "migrate", "copy the whole library to other stores (e.g. SQLite + folder to PostgreSQL + S3)");
  std::string migrate_from, migrate_to;
  bool migrate_quiet = false;
  migrate->add_option("--from", migrate_from, "TOML configuration of the stores to copy from")
      ->required();
  migrate->add_option("--to", migrate_to, "TOML configuration of the stores to copy into")
      ->required();
  migrate->add_flag("--quiet", migrate_quiet, "no progress line");

  cli.add_subcommand("version", "print the version");

  CLI11_PARSE(cli, argc, argv);
  // Options given before the command (`shoebox-server --config X jobs`) count for it too.
  for (CommonFlags* flags : {&serve_sub_flags, &admin_flags, &verify_flags, &config_flags, &jobs_flags}) {
    InheritFlags(*flags, serve_flags);
  }

  if (cli.got_subcommand("version")) {
    std::printf("shoebox-server %s\n", SHOEBOX_VERSION);
    return 0;
  }
  if (cli.got_subcommand(admin)) {
    if (quota >= 0) new_user.quota_bytes = quota;
    return CreateUser(admin_flags, new_user);
  }
  if (cli.got_subcommand(verify)) return Verify(verify_flags, quiet);
  if (cli.got_subcommand(migrate)) return Migrate(migrate_from, migrate_to, migrate_quiet);
  if (cli.got_subcommand(jobs)) return Jobs(jobs_flags, rerun_kind, rerun_only, run_now);
  if (cli.got_subcommand(config)) {
    auto loaded = LoadConfig(config_flags);
    if (!loaded) return Fail(loaded.error());
    for (const auto& [key, value] : DescribeConfig(*loaded)) {
      std::printf("%s = %s\n", key.c_str(), value.c_str());
    }
    return 0;
  }
  return Serve(cli.got_subcommand(serve) ? serve_sub_flags : serve_flags);
}
