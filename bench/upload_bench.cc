// shoebox-bench: the client side of bench/run. The same HTTP client code talks to Shoebox (tus)
// and to the peer (nginx WebDAV PUT), so the ratio compares servers, not clients.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>
#include <vector>

#include "client/http_client.h"
#include "core/hashing.h"
#include "core/text.h"

using namespace shoebox;
using WallClock = std::chrono::steady_clock;

namespace {

// Photo-looking files: a few random buffers made before timing starts, each file a copy of one
// with its index stamped in, so every file differs and clients spend little CPU of their own.
class PhotoPool {
 public:
  PhotoPool(std::size_t max_size, std::uint64_t seed) {
    std::mt19937_64 random(seed);
    for (auto& buffer : buffers_) {
      buffer.resize(max_size);
      for (std::size_t i = 0; i + 8 <= max_size; i += 8) {
        std::uint64_t v = random();
        std::memcpy(buffer.data() + i, &v, 8);
      }
      static const char kHeader[] = "\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00";
      std::memcpy(buffer.data(), kHeader, sizeof kHeader - 1);
    }
  }
  std::string Make(std::size_t size, std::uint64_t index) const {
    std::string bytes = buffers_[index % buffers_.size()].substr(0, size);
    std::memcpy(bytes.data() + 32, &index, sizeof index);
    return bytes;
  }

 private:
  std::array<std::string, 8> buffers_;
};

bool UploadOne(client::HttpClient& http, const std::string& target, const std::string& token,
               const std::string& name, const std::string& bytes) {
  if (target == "nginx") {
    auto reply = http.Send("PUT", "/bench/" + name, {{"Content-Type", "application/octet-stream"}}, bytes);
    return reply && reply->status / 100 == 2;
  }
  // tus creation-with-upload: one request per file, as tus-js-client and Uppy do for small files.
  std::map<std::string, std::string> headers = {
      {"Authorization", "Bearer " + token},
      {"Tus-Resumable", "1.0.0"},
      {"Upload-Length", std::to_string(bytes.size())},
      {"Upload-Metadata", "filename " + Base64Encode(name)},
      {"Content-Type", "application/offset+octet-stream"}};
  auto reply = http.Send("POST", "/api/v1/uploads", headers, bytes);
  return reply && reply->status == 201 && !reply->Header("shoebox-asset-id").empty();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"Shoebox benchmark client"};
  std::string server, token, target = "shoebox";
  int files = 2000, clients = 4;
  std::int64_t min_bytes = 2'000'000, max_bytes = 5'000'000;
  std::uint64_t seed = 1;
  auto* small = cli.add_subcommand("small", "many small uploads in parallel; prints JSON");
  small->add_option("--server", server)->required();
  small->add_option("--token", token);
  small->add_option("--target", target, "shoebox or nginx");
  small->add_option("--files", files);
  small->add_option("--clients", clients);
  small->add_option("--min-bytes", min_bytes);
  small->add_option("--max-bytes", max_bytes);
  small->add_option("--seed", seed);

  auto* exist = cli.add_subcommand("exist", "POST assets/exist with checksums; prints JSON");
  int rounds = 5;
  std::string checksum_file;
  exist->add_option("--server", server)->required();
  exist->add_option("--token", token)->required();
  exist->add_option("--checksums-file", checksum_file, "one hex checksum per line")->required();
  exist->add_option("--rounds", rounds);
  cli.require_subcommand(1);
  CLI11_PARSE(cli, argc, argv);

  auto address = client::ServerAddress::Parse(server);
  if (!address) {
    std::fprintf(stderr, "%s\n", address.error().message.c_str());
    return 2;
  }

  if (cli.got_subcommand(small)) {
    PhotoPool pool(static_cast<std::size_t>(max_bytes), seed);
    std::atomic<int> next{0}, failed{0};
    std::atomic<std::int64_t> bytes_sent{0};
    auto started = WallClock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&] {
        client::HttpClient http(*address, 60);
        std::mt19937_64 sizes(seed * 7919);
        for (int i = next++; i < files; i = next++) {
          std::uint64_t file_seed = seed * 1'000'003 + static_cast<std::uint64_t>(i);
          std::size_t size = static_cast<std::size_t>(
              min_bytes + static_cast<std::int64_t>(file_seed * 2654435761u % static_cast<std::uint64_t>(max_bytes - min_bytes + 1)));
          std::string bytes = pool.Make(size, file_seed);
          if (!UploadOne(http, target, token, "IMG_" + std::to_string(seed) + "_" + std::to_string(i) + ".jpg", bytes)) {
            ++failed;
          }
          bytes_sent += static_cast<std::int64_t>(size);
        }
      });
    }
    for (auto& thread : threads) thread.join();
    double seconds = std::chrono::duration<double>(WallClock::now() - started).count();
    std::printf("%s\n", nlohmann::json({{"target", target},
                                        {"files", files},
                                        {"clients", clients},
                                        {"failed", failed.load()},
                                        {"bytes", bytes_sent.load()},
                                        {"seconds", seconds},
                                        {"files_per_second", files / seconds}})
                            .dump()
                            .c_str());
    return failed == 0 ? 0 : 1;
  }

  std::vector<std::string> list;
  {
    FILE* in = std::fopen(checksum_file.c_str(), "r");
    if (in == nullptr) return 2;
    char line[128];
    while (std::fgets(line, sizeof line, in)) {
      std::string value(line);
      while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
      if (!value.empty()) list.push_back(value);
    }
    std::fclose(in);
  }
  std::string body = nlohmann::json({{"checksums", list}}).dump();
  client::HttpClient http(*address, 120);
  std::vector<double> millis;
  std::size_t existing = 0;
  for (int r = 0; r < rounds; ++r) {
    auto started = WallClock::now();
    auto reply = http.Send("POST", "/api/v1/assets/exist", {{"Authorization", "Bearer " + token}}, body);
    millis.push_back(std::chrono::duration<double, std::milli>(WallClock::now() - started).count());
    if (!reply || reply->status != 200) {
      std::fprintf(stderr, "exist failed: %s\n", reply ? reply->body.c_str() : reply.error().message.c_str());
      return 1;
    }
    existing = nlohmann::json::parse(reply->body)["existing"].size();
  }
  std::sort(millis.begin(), millis.end());
  std::printf("%s\n", nlohmann::json({{"checksums", list.size()},
                                      {"existing", existing},
                                      {"median_ms", millis[millis.size() / 2]},
                                      {"min_ms", millis.front()}})
                          .dump()
                          .c_str());
  return 0;
}
