// shoebox: the device side. This first cut uploads files, skipping what the server already has
// or what its owner deleted there; login, settings and the backup agent come with the agent work.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>

#include "client/tus_uploader.h"

using namespace shoebox;

int main(int argc, char** argv) {
  CLI::App cli{"Shoebox device client"};
  cli.require_subcommand(1);
  std::string server = "http://127.0.0.1:3420";
  std::string token;
  cli.add_option("--server", server, "server URL")->envname("SHOEBOX_SERVER");
  cli.add_option("--token", token, "API key or session token")->envname("SHOEBOX_TOKEN");

  auto* upload = cli.add_subcommand("upload", "upload files (resumable)");
  std::vector<std::string> files;
  std::int64_t chunk_mb = 64;
  upload->add_option("files", files, "files to upload")->required();
  upload->add_option("--chunk-mb", chunk_mb, "megabytes per request (default 64)");

  cli.add_subcommand("version", "print the version");
  CLI11_PARSE(cli, argc, argv);

  if (cli.got_subcommand("version")) {
    std::printf("shoebox %s\n", SHOEBOX_VERSION);
    return 0;
  }
  auto address = client::ServerAddress::Parse(server);
  if (!address) {
    std::fprintf(stderr, "shoebox: %s\n", address.error().message.c_str());
    return 2;
  }
  if (token.empty()) {
    std::fprintf(stderr, "shoebox: pass --token or set SHOEBOX_TOKEN (an API key)\n");
    return 2;
  }
  client::HttpClient http(*address);
  // Ask once which of these the server has (or its owner deleted), and send only the rest.
  std::map<std::string, std::string> checksums;  // file -> sha256
  nlohmann::json request = {{"checksums", nlohmann::json::array()}};
  for (const std::string& file : files) {
    auto sha256 = client::HashFile(file);
    if (sha256) {
      checksums[file] = *sha256;
      request["checksums"].push_back(*sha256);
    }
  }
  std::map<std::string, std::string> known;  // sha256 -> "existing <asset id>" or "deleted"
  auto reply = http.Send("POST", "/api/v1/assets/exist", {{"Authorization", "Bearer " + token}},
                         request.dump());
  if (reply && reply->status == 200) {
    auto body = nlohmann::json::parse(reply->body, nullptr, false);
    if (!body.is_discarded()) {
      for (const auto& item : body.value("existing", nlohmann::json::array())) {
        known[item.value("sha256", "")] = "existing\t" + item.value("asset_id", "");
      }
      for (const auto& item : body.value("deleted", nlohmann::json::array())) {
        known[item.value("sha256", "")] = "deleted on the server, not sent again";
      }
    }
  }
  int failures = 0;
  for (const std::string& file : files) {
    if (auto it = checksums.find(file); it != checksums.end()) {
      if (auto found = known.find(it->second); found != known.end()) {
        std::printf("%s\t%s\n", file.c_str(), found->second.c_str());
        continue;
      }
    }
    client::UploadOptions options;
    options.token = token;
    options.chunk_bytes = chunk_mb << 20;
    if (auto it = checksums.find(file); it != checksums.end()) options.sha256 = it->second;
    auto outcome = client::UploadFile(http, file, options);
    if (!outcome) {
      ++failures;
      std::printf("%s\tfailed\t%s: %s\n", file.c_str(),
                  std::string(ErrorCodeName(outcome.error().code)).c_str(),
                  outcome.error().message.c_str());
    } else {
      std::printf("%s\t%s\t%s\n", file.c_str(), outcome->duplicate ? "duplicate" : "uploaded",
                  outcome->asset_id.c_str());
    }
  }
  return failures == 0 ? 0 : 1;
}
