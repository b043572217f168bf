// The media pipeline on real files: a real server (SQLite, local disk) whose job workers run the
// real sandboxed decoder (shoebox-media: libvips, exiv2, libavformat) and ffmpeg. Fixtures come
// from tests/fixtures/make_media_fixtures.sh (generated once per build folder); their expected
// values are in tests/fixtures/expected.json, and real camera files are compared against
// exiftool.
#include <gtest/gtest.h>
#include <vips/vips8>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "adapters/libmagic/image_header.h"
#include "adapters/sandbox/child_process.h"
#include "adapters/sandbox/sandboxed_media_processor.h"
#include "adapters/sqlite/sqlite_metadata_store.h"
#include "core/hashing.h"
#include "core/ids.h"
#include "core/text.h"
#include "services/file_name_date.h"
#include "tests/support/test_support.h"

namespace shoebox::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const fs::path& Fixtures() {
  static const fs::path dir = [] {
    fs::path out = fs::path(SHOEBOX_BUILD_DIR) / "fixtures" / "media";
    std::string command = "bash '" + std::string(SHOEBOX_SOURCE_DIR) +
                          "/tests/fixtures/make_media_fixtures.sh' '" + out.string() + "' >/dev/null";
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    return out;
  }();
  return dir;
}

const json& Expected() {
  static const json expected = json::parse(
      ReadFile(fs::path(SHOEBOX_SOURCE_DIR) / "tests/fixtures/expected.json"));
  return expected;
}

std::string Shell(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[4096];
  while (pipe != nullptr && std::fgets(buffer, sizeof buffer, pipe) != nullptr) out += buffer;
  if (pipe != nullptr) pclose(pipe);
  return out;
}

std::string MediaTool() { return (fs::path(SHOEBOX_SERVER_BIN).parent_path() / "shoebox-media").string(); }

json Inspect(const fs::path& file, const std::string& kind) {
  return json::parse(Shell(MediaTool() + " inspect --kind " + kind + " '" + file.string() + "'"),
                     nullptr, false);
}

json Body(const client::HttpReply& reply) { return json::parse(reply.body, nullptr, false); }

class MediaServer {
 public:
  MediaServer() : MediaServer(std::map<std::string, std::string>{}) {}
  explicit MediaServer(std::map<std::string, std::string> settings) {
    settings.emplace("jobs.workers", "2");
    settings.emplace("jobs.retry_base_seconds", "0");
    server_ = std::make_unique<TestServer>(settings);
    client_ = server_->Client();
    token_ = server_->CreateUserAndLogin("alice@example.com", "password123", true);
  }

  client::HttpReply Call(const std::string& method, const std::string& target,
                         std::map<std::string, std::string> headers = {},
                         const std::string& body = "") {
    auto auth = Bearer(token_);
    headers.insert(auth.begin(), auth.end());
    auto reply = client_->Send(method, target, headers, body);
    EXPECT_TRUE(reply) << method << " " << target;
    return reply ? *reply : client::HttpReply{};
  }

  // Uploads `file` in one request (creation-with-upload); returns the reply.
  // `head_only`: send only the first 64 KiB (what the server sniffs) of a declared full length.
  client::HttpReply Upload(const fs::path& file, const std::string& quality = "",
                           bool head_only = false) {
    std::string bytes = ReadFile(file);
    std::string name;
    std::string meta = "filename " + Base64Encode(name.empty() ? file.filename().string() : name);
    if (!quality.empty()) meta += ",quality " + Base64Encode(quality);
    auto headers = Tus(token_);
    headers["Upload-Length"] = std::to_string(bytes.size());
    headers["Upload-Metadata"] = meta;
    headers["Content-Type"] = "application/offset+octet-stream";
    if (head_only) bytes.resize(std::min<std::size_t>(bytes.size(), 64 * 1024));
    return Call("POST", "/api/v1/uploads", headers, bytes);
  }

  std::string UploadOk(const fs::path& file, const std::string& quality = "") {
    auto reply = Upload(file, quality);
    EXPECT_EQ(reply.status, 201) << file << ": " << reply.body;
    return reply.headers["shoebox-asset-id"];
  }

  // Waits until no media job is queued or running.
  void WaitForJobs() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (std::chrono::steady_clock::now() < deadline) {
      auto overview = server_->runtime().media().Overview();
      ASSERT_TRUE(overview);
      std::int64_t busy = 0;
      for (const JobCounts& c : overview->counts) {
        // A kept source is purged days later: that job waits by design.
        if (c.kind != JobKind::kPurgeSource) busy += c.queued + c.running;
      }
      if (busy == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "media jobs did not finish";
  }

  json Asset(const std::string& id) { return Body(Call("GET", "/api/v1/assets/" + id)); }

 private:
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<client::HttpClient> client_;
  std::string token_;
};

std::string ErrorCodeOf(const client::HttpReply& reply) {
  json body = Body(reply);
  return body.is_object() && body.contains("error") ? body["error"].value("code", "") : "";
}

// ---------------------------------------------------------------- pure parts.
TEST(FileNameDate, PhonePatterns) {
  auto at = [](int y, int mo, int d, int h, int mi, int s, int ms = 0) {
    return (DaysFromCivil(y, mo, d) * 86400LL + h * 3600 + mi * 60 + s) * 1000 + ms;
  };
  EXPECT_EQ(CaptureTimeFromFileName("IMG_20230102_030405.jpg"), at(2023, 1, 2, 3, 4, 5));
  EXPECT_EQ(CaptureTimeFromFileName("PXL_20230102_030405123.jpg"), at(2023, 1, 2, 3, 4, 5, 123));
  EXPECT_EQ(CaptureTimeFromFileName("VID_20230102_030405.mp4"), at(2023, 1, 2, 3, 4, 5));
  EXPECT_EQ(CaptureTimeFromFileName("Screenshot_20230102-030405.png"), at(2023, 1, 2, 3, 4, 5));
  EXPECT_EQ(CaptureTimeFromFileName("Screenshot_2023-01-02-03-04-05.png"), at(2023, 1, 2, 3, 4, 5));
  EXPECT_EQ(CaptureTimeFromFileName("2023-01-02 03.04.05.jpg"), at(2023, 1, 2, 3, 4, 5));
  EXPECT_EQ(CaptureTimeFromFileName("IMG-20230102-WA0001.jpg"), at(2023, 1, 2, 0, 0, 0));
  EXPECT_FALSE(CaptureTimeFromFileName("IMG_1234.jpg"));
  EXPECT_FALSE(CaptureTimeFromFileName("IMG_20231302_030405.jpg"));  // month 13
  EXPECT_FALSE(CaptureTimeFromFileName("9920230102_030405.jpg"));     // runs on from a number
}

std::optional<std::pair<std::int64_t, std::int64_t>> Dims(std::int64_t w, std::int64_t h) {
  return std::make_pair(w, h);
}

TEST(ImageHeader, DimensionsFromTheFirstBytes) {
  auto dims = [](const fs::path& file, const std::string& mime) {
    std::string head = ReadFile(file).substr(0, 64 * 1024);
    return libmagic::ImageDimensions(mime, std::span<const char>(head.data(), head.size()));
  };
  EXPECT_EQ(dims(Fixtures() / "orient_1.jpg", "image/jpeg"), Dims(320, 240));
  EXPECT_EQ(dims(Fixtures() / "orient_6.jpg", "image/jpeg"), Dims(240, 320));
  EXPECT_EQ(dims(Fixtures() / "photo.png", "image/png"), Dims(320, 240));
  EXPECT_EQ(dims(Fixtures() / "photo.webp", "image/webp"), Dims(320, 240));
  EXPECT_EQ(dims(Fixtures() / "photo.heic", "image/heic"), Dims(320, 240));
  EXPECT_EQ(dims(Fixtures() / "anim.gif", "image/gif"), Dims(320, 240));
  EXPECT_EQ(dims(Fixtures() / "hostile/gigapixel.png", "image/png"), Dims(223607, 223607));
  EXPECT_EQ(dims(Fixtures() / "hostile/huge_header.jpg", "image/jpeg"), Dims(65500, 65500));
}

// ---------------------------------------------------------------- the sandbox.
TEST(ChildProcess, WallClockCpuAndCrashesAreReportedNotSuffered) {
  sandbox::ChildLimits limits;
  limits.wall_seconds = 1;
  auto slept = sandbox::RunChild({"sleep", "30"}, {{"PATH", "/usr/bin:/bin"}}, limits);
  ASSERT_TRUE(slept);
  EXPECT_TRUE(slept->timed_out);
  auto crashed = sandbox::RunChild({"sh", "-c", "kill -SEGV $$"}, {{"PATH", "/usr/bin:/bin"}}, {});
  ASSERT_TRUE(crashed);
  EXPECT_EQ(crashed->signal, SIGSEGV);
  sandbox::ChildLimits small;
  small.address_space_bytes = 200LL << 20;
  auto greedy = sandbox::RunChild({"python3", "-c", "x = bytearray(1 << 30)"},
                                  {{"PATH", "/usr/bin:/bin"}}, small);
  ASSERT_TRUE(greedy);
  EXPECT_NE(greedy->exit_code, 0);  // MemoryError, not a machine out of memory
  EXPECT_NE(greedy->err_tail.find("MemoryError"), std::string::npos) << greedy->err_tail;
}

// FFmpeg must read nothing but the file it was given: playlists that point at other files (here
// a perfectly good video outside the data folder) are refused by the probe and by the ffmpeg
// command line the server runs.
TEST(Sandbox, FfmpegOpensNothingButTheGivenFile) {
  TempDir dir;
  fs::path outside = dir.path() / "outside.mp4";
  fs::copy_file(Fixtures() / "h264_aac.mp4", outside);
  fs::path hls = dir.path() / "playlist.mp4";
  WriteFile(hls, "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:2.0,\n" + outside.string() +
                     "\n#EXT-X-ENDLIST\n");
  fs::path concat = dir.path() / "concat.mp4";
  WriteFile(concat, "ffconcat version 1.0\nfile '" + outside.string() + "'\n");
  for (const fs::path& file : {hls, concat, Fixtures() / "hostile/playlist_url.m3u8"}) {
    json answer = Inspect(file, "video");
    ASSERT_TRUE(answer.contains("error")) << file << ": " << answer.dump();
    sandbox::SandboxSettings settings;
    settings.media_tool = MediaTool();
    auto processor = sandbox::NewSandboxedMediaProcessor(settings);
    fs::path poster = dir.path() / "poster.jpg";
    EXPECT_FALSE(processor->ExtractPoster(file.string(), poster.string())) << file;
    EXPECT_FALSE(fs::exists(poster) && fs::file_size(poster) > 0) << file;
  }
  EXPECT_TRUE(Inspect(outside, "video").value("ok", false));  // the video itself is fine
}

// Real camera files against exiftool, the reference.
TEST(Metadata, AgreesWithExiftoolOnRealCameraFiles) {
  int compared = 0;
  for (const char* folder : {"real", "real_exif_only"}) {
    for (const auto& entry : fs::directory_iterator(Fixtures() / folder)) {
      json reference = json::parse(
          Shell("exiftool -n -j -DateTimeOriginal -GPSLatitude -GPSLongitude -Make -Model '" +
              entry.path().string() + "'"),
          nullptr, false);
      ASSERT_TRUE(reference.is_array()) << entry.path();
      const json& ref = reference[0];
      json ours = Inspect(entry.path(), "photo");
      if (!ours.value("ok", false)) continue;  // no image data at all (truncated sample)
      const json& info = ours["info"];
      SCOPED_TRACE(entry.path().string());
      // (Where exiftool finds an empty Make in IFD0 and the real one elsewhere, ours may be
      // better; an empty reference is not compared.)
      if (ref.contains("Make") && ref["Make"].is_string() && !TrimSpaces(ref["Make"].get<std::string>()).empty()) {
        EXPECT_EQ(info.value("make", ""), TrimSpaces(ref["Make"].get<std::string>()));
      }
      if (ref.contains("Model") && ref["Model"].is_string()) {
        EXPECT_EQ(info.value("model", ""), TrimSpaces(ref["Model"].get<std::string>()));
      }
      if (ref.contains("GPSLatitude") && ref["GPSLatitude"].is_number()) {
        EXPECT_NEAR(info.value("latitude", 999.0), ref["GPSLatitude"].get<double>(), 1e-5);
        EXPECT_NEAR(info.value("longitude", 999.0), ref["GPSLongitude"].get<double>(), 1e-5);
      }
      if (ref.contains("DateTimeOriginal") && ref["DateTimeOriginal"].is_string()) {
        std::string dto = ref["DateTimeOriginal"];  // "2007:08:15 14:42:46"
        ASSERT_TRUE(ours.contains("taken_local"));
        std::string ours_local = Rfc3339(ours["taken_local"].get<std::int64_t>());
        std::string expected = dto.substr(0, 4) + "-" + dto.substr(5, 2) + "-" + dto.substr(8, 2) +
                               "T" + dto.substr(11, 8);
        EXPECT_EQ(ours_local.substr(0, 19), expected);
      }
      ++compared;
    }
  }
  EXPECT_GT(compared, 10);
}

// ---------------------------------------------------------------- through the server.
TEST(MediaPipeline, EveryFixtureGetsItsMetadataAndDerivatives) {
  MediaServer server;
  std::map<std::string, std::string> ids;
  for (const auto& [name, expected] : Expected().items()) {
    if (expected.value("kind", "") == "hostile") continue;
    ids[name] = server.UploadOk(Fixtures() / name);
  }
  server.WaitForJobs();
  for (const auto& [name, id] : ids) {
    const json& expected = Expected()[name];
    json asset = server.Asset(id);
    SCOPED_TRACE(name + ": " + asset.dump());
    EXPECT_EQ(asset["media_state"], "ready");
    const json& media = asset["media"];
    EXPECT_EQ(media.value("width", 0), expected.value("width", 0));
    EXPECT_EQ(media.value("height", 0), expected.value("height", 0));
    if (expected.contains("taken_local") && expected["taken_local"].is_string()) {
      std::string want = expected["taken_local"];
      EXPECT_EQ(asset["taken_at_local"].get<std::string>().substr(0, want.size()), want);
    }
    if (expected.value("kind", "") == "photo" && expected.contains("utc_offset_minutes")) {
      EXPECT_EQ(asset["utc_offset_minutes"], expected["utc_offset_minutes"]);
    }
    for (const char* key : {"make", "model", "lens", "video_codec", "audio_codec"}) {
      if (expected.contains(key) && expected[key].is_string()) {
        EXPECT_EQ(media.value(key, ""), expected[key]);
      }
    }
    for (const char* key : {"latitude", "longitude"}) {
      if (expected.contains(key) && expected[key].is_number()) {
        EXPECT_NEAR(media.value(key, 999.0), expected[key].get<double>(), 1e-4);
      }
    }
    if (expected.contains("duration_ms") && expected["duration_ms"].is_number()) {
      EXPECT_NEAR(media.value("duration_ms", 0), expected["duration_ms"].get<double>(), 150);
    }
    // The thumbnail: WebP, short side at most 250 px, no metadata left in it.
    auto thumb = server.Call("GET", asset["thumbnail_url"].get<std::string>());
    ASSERT_EQ(thumb.status, 200);
    EXPECT_EQ(thumb.headers["content-type"], "image/webp");
    EXPECT_NE(thumb.headers["cache-control"].find("immutable"), std::string::npos);
    auto image = vips::VImage::new_from_buffer(thumb.body, "");
    EXPECT_LE(std::min(image.width(), image.height()), 250);
    // libvips 8.14 always writes a stub EXIF (resolution only) into WebP: nothing of the
    // camera's (make, model, GPS) may be in it.
    if (image.get_typeof(VIPS_META_EXIF_NAME) != 0) {
      std::size_t length = 0;
      const void* blob = image.get_blob(VIPS_META_EXIF_NAME, &length);
      std::string exif(static_cast<const char*>(blob), length);
      EXPECT_LT(length, 300u);
      if (!media.value("make", "").empty()) {
        EXPECT_EQ(exif.find(media.value("make", "")), std::string::npos);
      }
    }
    // The preview: upright (orientation applied), so its colour marks sit where expected.
    auto preview = server.Call("GET", asset["preview_url"].get<std::string>());
    ASSERT_EQ(preview.status, 200);
    auto shown = vips::VImage::new_from_buffer(preview.body, "");
    EXPECT_EQ(shown.width(), expected.value("width", 0));
    if (expected.contains("display_pixels")) {
      for (const auto& [where, colour] : expected["display_pixels"].items()) {
        int x = std::stoi(where.substr(0, where.find(','))), y = std::stoi(where.substr(where.find(',') + 1));
        std::vector<double> p = shown.getpoint(x, y);
        bool red = p[0] > 180 && p[1] < 90 && p[2] < 90, green = p[1] > 150 && p[0] < 100,
             blue = p[2] > 150 && p[0] < 100 && p[1] < 100;
        if (colour == "red") {
          EXPECT_TRUE(red) << where;
        } else if (colour == "green") {
          EXPECT_TRUE(green) << where;
        } else if (colour == "blue") {
          EXPECT_TRUE(blue) << where;
        }
      }
    }
  }
  // The timeline is in capture-time order, the month buckets count the same rows, and the video
  // half of the live photo is not in it on its own.
  json timeline = Body(server.Call("GET", "/api/v1/assets?limit=1000"));
  std::vector<std::string> order;
  for (const json& a : timeline["assets"]) order.push_back(a["taken_at"]);
  EXPECT_TRUE(std::is_sorted(order.rbegin(), order.rend()));
  json buckets = Body(server.Call("GET", "/api/v1/timeline/buckets"));
  std::int64_t counted = 0;
  for (const json& b : buckets["buckets"]) counted += b["count"].get<std::int64_t>();
  EXPECT_EQ(counted, static_cast<std::int64_t>(timeline["assets"].size()));
  json live_photo = server.Asset(ids["live_IMG_0001.HEIC"]);
  json live_video = server.Asset(ids["live_IMG_0001.MOV"]);
  EXPECT_EQ(live_photo["live_pair_id"], ids["live_IMG_0001.MOV"]);
  EXPECT_EQ(live_video["is_live_motion"], true);
  for (const json& a : timeline["assets"]) EXPECT_NE(a["id"], ids["live_IMG_0001.MOV"]);

  // Web playback: HEVC gets an H.264 version; a browser-playable MP4 is served as it is, with
  // ranges; the Android motion photo's embedded video is cut out.
  json hevc = server.Asset(ids["hevc.mov"]);
  auto web = server.Call("GET", hevc["playback_url"].get<std::string>());
  ASSERT_EQ(web.status, 200);
  TempDir scratch;
  WriteFile(scratch.path() / "web.mp4", web.body);
  json web_info = Inspect(scratch.path() / "web.mp4", "video");
  EXPECT_EQ(web_info["info"].value("video_codec", ""), "h264");
  EXPECT_EQ(web_info["info"].value("audio_codec", ""), "aac");
  json mp4 = server.Asset(ids["h264_aac.mp4"]);
  auto ranged = server.Call("GET", mp4["playback_url"].get<std::string>(), {{"Range", "bytes=0-99"}});
  EXPECT_EQ(ranged.status, 206);
  EXPECT_EQ(ranged.body, ReadFile(Fixtures() / "h264_aac.mp4").substr(0, 100));
  json motion = server.Asset(ids["PXL_20230708_101112000.MP.jpg"]);
  auto clip = server.Call("GET", motion["playback_url"].get<std::string>());
  ASSERT_EQ(clip.status, 200);
  std::string whole = ReadFile(Fixtures() / "PXL_20230708_101112000.MP.jpg");
  EXPECT_EQ(clip.body, whole.substr(whole.size() - clip.body.size()));
  EXPECT_EQ(clip.body.substr(4, 4), "ftyp");
}

TEST(MediaPipeline, HostileFilesNeverTakeTheServerDown) {
  MediaServer server;
  // Refused from the header alone, before the bytes are kept.
  for (const char* name : {"hostile/gigapixel.png", "hostile/huge_header.jpg"}) {
    auto reply = server.Upload(Fixtures() / name, "", true);
    EXPECT_EQ(reply.status, 413) << name;
    EXPECT_EQ(ErrorCodeOf(reply), "photo_too_many_pixels") << name;
  }
  // Not media at all: playlists and text dressed up as videos and photos.
  for (const char* name : {"hostile/playlist_local.mp4", "hostile/playlist_local.m3u8",
                           "hostile/concat.mp4", "hostile/not_media.jpg"}) {
    auto reply = server.Upload(Fixtures() / name);
    EXPECT_EQ(reply.status, 415) << name << reply.body;
  }
  auto empty = server.Upload(Fixtures() / "hostile/empty.jpg");
  EXPECT_GE(empty.status, 400) << empty.body;
  EXPECT_FALSE(ErrorCodeOf(empty).empty()) << empty.body;
  // Stored, then failed with a reason; the original stays downloadable.
  std::map<std::string, std::string> ids;
  for (const char* name : {"hostile/truncated.jpg", "hostile/audio_only.mp4",
                           "hostile/corrupt_exif_huge_count.jpg", "hostile/corrupt_exif_loop.jpg",
                           "hostile/corrupt_exif_max_uint32.jpg", "orient_1.jpg"}) {
    ids[name] = server.UploadOk(Fixtures() / name);
  }
  server.WaitForJobs();
  json truncated = server.Asset(ids["hostile/truncated.jpg"]);
  EXPECT_EQ(truncated["media_state"], "failed");
  EXPECT_NE(truncated["media_error"].get<std::string>().find("media_unreadable"), std::string::npos);
  json audio = server.Asset(ids["hostile/audio_only.mp4"]);
  EXPECT_EQ(audio["media_state"], "failed");
  EXPECT_NE(audio["media_error"].get<std::string>().find("no video stream"), std::string::npos);
  for (const auto& [name, id] : ids) {
    auto original = server.Call("GET", "/api/v1/assets/" + id + "/original");
    EXPECT_EQ(original.status, 200) << name;
    EXPECT_EQ(original.body, ReadFile(Fixtures() / name)) << name;
  }
  auto thumb = server.Call("GET", "/api/v1/assets/" + ids["hostile/truncated.jpg"] + "/thumbnail");
  EXPECT_EQ(thumb.status, 404);
  EXPECT_EQ(ErrorCodeOf(thumb), "media_not_ready");
  EXPECT_EQ(server.Asset(ids["orient_1.jpg"])["media_state"], "ready");
  json jobs = Body(server.Call("GET", "/api/v1/admin/jobs"));
  EXPECT_GE(jobs["failed"].size(), 2u);
  EXPECT_EQ(server.Call("GET", "/healthz").status, 200);
}

// A decode that needs more memory than allowed is stopped; the other jobs go on. (The decoder
// maps ~250 MB of libraries; slow.png's 90 megapixels need ~260 MB more.)
TEST(MediaPipeline, AMemoryBlowUpIsStopped) {
  MediaServer server(std::map<std::string, std::string>{{"media.memory_limit_mb", "400"}});
  std::string slow = server.UploadOk(Fixtures() / "hostile/slow.png");
  std::string fine = server.UploadOk(Fixtures() / "orient_2.jpg");
  server.WaitForJobs();
  json failed = server.Asset(slow);
  EXPECT_EQ(failed["media_state"], "failed") << failed.dump();
  EXPECT_NE(failed["media_error"].get<std::string>().find("memory"), std::string::npos) << failed.dump();
  EXPECT_EQ(server.Asset(fine)["media_state"], "ready");
}

// A decoder that never finishes (a stand-in that hangs) is killed at the wall-clock limit.
TEST(MediaPipeline, ADecodeThatNeverEndsIsStopped) {
  TempDir dir;
  fs::path tool = dir.path() / "hanging-media-tool";
  WriteFile(tool, "#!/bin/sh\nexec sleep 600\n");
  fs::permissions(tool, fs::perms::owner_all);
  MediaServer server(std::map<std::string, std::string>{{"media.tool", tool.string()},
                                                        {"media.photo_timeout_seconds", "1"}});
  std::string id = server.UploadOk(Fixtures() / "orient_4.jpg");
  server.WaitForJobs();
  json asset = server.Asset(id);
  EXPECT_EQ(asset["media_state"], "failed");
  EXPECT_NE(asset["media_error"].get<std::string>().find("media_timeout"), std::string::npos)
      << asset.dump();
}

TEST(MediaPipeline, ACrashingDecoderMarksTheAssetFailed) {
  TempDir dir;
  fs::path tool = dir.path() / "crashing-media-tool";
  WriteFile(tool, "#!/bin/sh\nkill -SEGV $$\n");
  fs::permissions(tool, fs::perms::owner_all);
  MediaServer server(std::map<std::string, std::string>{{"media.tool", tool.string()}});
  std::string id = server.UploadOk(Fixtures() / "orient_3.jpg");
  server.WaitForJobs();
  json asset = server.Asset(id);
  EXPECT_EQ(asset["media_state"], "failed");
  EXPECT_NE(asset["media_error"].get<std::string>().find("media_decoder_crashed"), std::string::npos)
      << asset.dump();
  EXPECT_EQ(server.Call("GET", "/api/v1/assets/" + id + "/original").status, 200);
}

TEST(MediaPipeline, StorageSaverConvertsAndKeepsTheOriginalForAWhile) {
  TempDir dir;
  fs::path big = dir.path() / "big.jpg";
  vips::VImage::gaussnoise(5000, 4000).cast(VIPS_FORMAT_UCHAR).bandjoin({vips::VImage::gaussnoise(5000, 4000).cast(VIPS_FORMAT_UCHAR), vips::VImage::gaussnoise(5000, 4000).cast(VIPS_FORMAT_UCHAR)}).copy(vips::VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB)).jpegsave(big.c_str(), vips::VImage::option()->set("Q", 90));
  std::string source_bytes = ReadFile(big);
  std::string sha = Sha256Hex(source_bytes);
  {
    MediaServer server;
    std::string id = server.UploadOk(big, "storage-saver");
    server.WaitForJobs();
    json asset = server.Asset(id);
    SCOPED_TRACE(asset.dump());
    EXPECT_EQ(asset["converted"], true);
    EXPECT_EQ(asset["sha256"], sha);  // the device still finds it by its checksum
    EXPECT_LE(asset["media"]["width"].get<std::int64_t>() * asset["media"]["height"].get<std::int64_t>(),
              16'000'000);
    EXPECT_FALSE(asset["source_until"].is_null());
    auto stored = server.Call("GET", "/api/v1/assets/" + id + "/original");
    auto image = vips::VImage::new_from_buffer(stored.body, "");
    EXPECT_LE(static_cast<std::int64_t>(image.width()) * image.height(), 16'000'000);
    EXPECT_EQ(server.Call("GET", "/api/v1/assets/" + id + "/source").body, source_bytes);
    json exist = Body(server.Call("POST", "/api/v1/assets/exist", {{"Content-Type", "application/json"}},
                                  json({{"checksums", {sha}}}).dump()));
    EXPECT_EQ(exist["existing"].size(), 1u);
    json restored = Body(server.Call("POST", "/api/v1/assets/" + id + "/restore-source"));
    EXPECT_EQ(restored["converted"], false);
    EXPECT_EQ(server.Call("GET", "/api/v1/assets/" + id + "/original").body, source_bytes);
    // Original quality stores the bytes untouched.
    fs::path twin = dir.path() / "twin.jpg";
    WriteFile(twin, source_bytes + "x");
    std::string original_id = server.UploadOk(twin, "original");
    server.WaitForJobs();
    EXPECT_EQ(server.Asset(original_id)["converted"], false);
  }
  {
    // Once the keeping period is over, the original goes.
    MediaServer server(std::map<std::string, std::string>{{"storage_saver.keep_original_days", "0"}});
    std::string id = server.UploadOk(big, "storage-saver");
    server.WaitForJobs();
    for (int i = 0; i < 50 && !server.Asset(id)["source_until"].is_null(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    auto gone = server.Call("GET", "/api/v1/assets/" + id + "/source");
    EXPECT_EQ(gone.status, 410);
    EXPECT_EQ(ErrorCodeOf(gone), "source_expired");
  }
}

// ---------------------------------------------------------------- the job queue.
class JobQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = sqlite::OpenSqliteMetadataStore((dir_.path() / "db").string());
    ASSERT_TRUE(store);
    store_ = std::move(*store);
  }
  TempDir dir_;
  std::unique_ptr<MetadataStore> store_;
};

TEST_F(JobQueueTest, ConcurrentClaimersNeverShareAJob) {
  std::vector<JobRequest> requests;
  for (int i = 0; i < 200; ++i) requests.push_back({JobKind::kThumbnails, "asset-" + std::to_string(i), 0});
  ASSERT_TRUE(store_->Jobs().Enqueue(requests, 1));
  std::mutex mutex;
  std::multiset<std::int64_t> seen;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      while (true) {
        auto claimed = store_->Jobs().Claim("worker-" + std::to_string(t), 10, 100000, 3);
        if (!claimed || claimed->empty()) return;
        std::lock_guard lock(mutex);
        for (const Job& job : *claimed) seen.insert(job.id);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(seen.size(), 200u);
  EXPECT_EQ(std::set<std::int64_t>(seen.begin(), seen.end()).size(), 200u);
}

TEST_F(JobQueueTest, LapsedLeasesRetriesGivingUpAndRerunsWhileRunning) {
  JobRepository& jobs = store_->Jobs();
  ASSERT_TRUE(jobs.Enqueue({{JobKind::kMetadata, "a", 0}}, 1));
  auto first = jobs.Claim("w1", 10, 20, 5);
  ASSERT_TRUE(first && first->size() == 1);
  EXPECT_TRUE(jobs.Claim("w2", 15, 100, 5)->empty());  // leased
  auto again = jobs.Claim("w2", 25, 100, 5);           // lease lapsed: w1 died
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ((*again)[0].attempts, 2);
  EXPECT_FALSE(*jobs.Finish((*again)[0].id, "w1", 30));  // w1 no longer holds it
  ASSERT_TRUE(*jobs.Retry((*again)[0].id, "w2", "unavailable: busy", 500, 30));
  EXPECT_TRUE(jobs.Claim("w2", 100, 200, 5)->empty());  // backing off
  auto retried = jobs.Claim("w2", 500, 600, 5);
  ASSERT_EQ(retried->size(), 1u);
  EXPECT_EQ((*retried)[0].last_error, "unavailable: busy");
  // Queued again while running: it runs once more after it finishes.
  ASSERT_TRUE(jobs.Enqueue({{JobKind::kMetadata, "a", 0}}, 510));
  ASSERT_TRUE(*jobs.Finish((*retried)[0].id, "w2", 520));
  auto rerun = jobs.Claim("w3", 530, 700, 5);
  ASSERT_EQ(rerun->size(), 1u);
  ASSERT_TRUE(*jobs.GiveUp((*rerun)[0].id, "w3", "media_unreadable: broken", 540));
  auto failed = jobs.ListFailed(10);
  ASSERT_EQ(failed->size(), 1u);
  EXPECT_EQ((*failed)[0].last_error, "media_unreadable: broken");
  auto counts = jobs.Counts();
  EXPECT_EQ((*counts)[static_cast<std::size_t>(JobKind::kMetadata)].failed, 1);
}

}  // namespace
}  // namespace shoebox::testing

int main(int argc, char** argv) {
  VIPS_INIT(argv[0]);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
