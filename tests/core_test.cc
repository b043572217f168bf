#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "core/config.h"
#include "core/durable_file.h"
#include "core/hashing.h"
#include "core/ids.h"
#include "core/text.h"
#include "core/zip_stream.h"
#include "tests/support/test_support.h"

namespace shoebox {
namespace {

TEST(TextTest, SafeFileNameKeepsNamesUsableAndHarmless) {
  EXPECT_EQ(SafeFileName("IMG_0001.JPG"), "IMG_0001.JPG");
  EXPECT_EQ(SafeFileName("../../etc/passwd"), "passwd");
  EXPECT_EQ(SafeFileName("a\\b\\c.jpg"), "c.jpg");
  EXPECT_EQ(SafeFileName(".."), "unnamed");
  EXPECT_EQ(SafeFileName(""), "unnamed");
  EXPECT_EQ(SafeFileName(".bashrc"), "_bashrc");
  EXPECT_EQ(SafeFileName(std::string("a\0b.jpg", 7)), "ab.jpg");
  std::string long_name = SafeFileName(std::string(300, 'x') + ".jpeg");
  EXPECT_EQ(long_name.size(), 200u);
  EXPECT_TRUE(long_name.ends_with(".jpeg"));
  // Cut on a character boundary, never inside a UTF-8 sequence.
  std::string accents;
  for (int i = 0; i < 150; ++i) accents += "\xc3\xa9";
  EXPECT_TRUE(IsCleanUtf8(SafeFileName(accents + ".jpg")));
  EXPECT_EQ(DisplayFileName("dir/Été.jpg"), "Été.jpg");
}

TEST(TextTest, Base64AndTimes) {
  EXPECT_EQ(*Base64Decode("aGVsbG8="), "hello");
  EXPECT_EQ(*Base64Decode("aGVsbG8"), "hello");
  EXPECT_FALSE(Base64Decode("!!!"));
  EXPECT_EQ(Base64Encode("hello"), "aGVsbG8=");
  EXPECT_EQ(*ParseRfc3339("2023-01-02T03:04:05Z"), 1672628645000);
  EXPECT_EQ(*ParseRfc3339("2023-01-02T04:04:05.250+01:00"), 1672628645250);
  EXPECT_FALSE(ParseRfc3339("2023-13-02T03:04:05Z"));
  EXPECT_FALSE(ParseRfc3339("yesterday"));
  EXPECT_EQ(Rfc3339(1672628645250), "2023-01-02T03:04:05.250Z");
  EXPECT_EQ(HttpDate(784111777000), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_FALSE(ParseNonNegativeInt("-1"));
  EXPECT_FALSE(ParseNonNegativeInt("+1"));
  EXPECT_FALSE(ParseNonNegativeInt("99999999999999999999"));
  EXPECT_EQ(*ParseNonNegativeInt("1024"), 1024);
}

TEST(HashingTest, SavedStateContinuesTheSameDigest) {
  std::string data = testing::FakeJpeg(1'000'003);
  Sha256Stream first;
  first.Update(std::string_view(data).substr(0, 333'333));
  std::string saved = first.SaveState();
  auto resumed = Sha256Stream::RestoreState(saved);
  ASSERT_TRUE(resumed);
  resumed->Update(std::string_view(data).substr(333'333));
  EXPECT_EQ(resumed->FinishHex(), Sha256Hex(data));
  EXPECT_FALSE(Sha256Stream::RestoreState("garbage"));
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(IsSha256Hex(Sha256Hex("abc")));
  EXPECT_FALSE(IsSha256Hex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
}

TEST(IdsTest, IdsAreCanonicalTimeOrderedAndUnique) {
  std::string a = NewId(1000), b = NewId(2000);
  EXPECT_TRUE(IsCanonicalId(a));
  EXPECT_LT(a, b);
  EXPECT_NE(NewId(1000), NewId(1000));
  EXPECT_FALSE(IsCanonicalId("../etc"));
  EXPECT_EQ(RandomToken(32).size(), 43u);
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
}

TEST(ConfigTest, FlagsBeatEnvironmentBeatFileBeatDefaults) {
  testing::TempDir dir;
  testing::WriteFile(dir.path() / "c.toml",
                     "[storage]\ndata_dir = \"/from/file\"\n[server]\nlisten = \"127.0.0.1:1\"\n"
                     "[auth]\ncookie_secure = true\n");
  auto config = LoadServerConfig((dir.path() / "c.toml").string(),
                                 {{"SHOEBOX_SERVER_LISTEN", "127.0.0.1:2"},
                                  {"SHOEBOX_TRASH_RETENTION_DAYS", "30"}},
                                 {{"trash.retention_days", "7"}});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->data_dir, "/from/file");
  EXPECT_EQ(config->listen, "127.0.0.1:2");
  EXPECT_EQ(config->trash_retention_days, 7);
  EXPECT_TRUE(config->cookie_secure);
  EXPECT_EQ(config->photo_max_bytes, 75'000'000);
  auto defaults = LoadServerConfig("", {}, {});
  EXPECT_EQ(defaults->listen, kDefaultListen);
  EXPECT_EQ(defaults->data_dir, "shoebox-data");
  EXPECT_FALSE(LoadServerConfig("", {{"SHOEBOX_LIMITS_PHOTO_MAX_BYTES", "lots"}}, {}));
  testing::WriteFile(dir.path() / "bad.toml", "[nope]\nx = 1\n");
  auto bad = LoadServerConfig((dir.path() / "bad.toml").string(), {}, {});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("unknown key nope.x"), std::string::npos);
}

TEST(DurableFileTest, WritesAtomicallyAndLinksOnlyNewNames) {
  testing::TempDir dir;
  auto target = dir.path() / "a" / "b" / "state.toml";
  ASSERT_TRUE(CreateDirectoriesDurably(target.parent_path()));
  ASSERT_TRUE(WriteFileAtomically(target, "one"));
  ASSERT_TRUE(WriteFileAtomically(target, "two"));
  EXPECT_EQ(testing::ReadFile(target), "two");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(target.parent_path()),
                          std::filesystem::directory_iterator()),
            1);  // no temp files left behind
  ASSERT_TRUE(LinkDurably(target, dir.path() / "copy"));
  auto again = LinkDurably(target, dir.path() / "copy");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(ErrorFromErrno(ENOSPC, "write").code, ErrorCode::kInsufficientStorage);
  ASSERT_TRUE(RemoveDurably(dir.path() / "copy"));
  ASSERT_TRUE(RemoveDurably(dir.path() / "copy"));
}

// A ZipStream's bytes, read in odd-sized pieces, written to `path`.
void WriteZip(ZipStream& zip, const std::filesystem::path& path) {
  std::string bytes;
  std::vector<char> buffer(7777);
  while (true) {
    auto n = zip.Read(buffer);
    ASSERT_TRUE(n) << n.error().message;
    if (*n == 0) break;
    bytes.append(buffer.data(), *n);
  }
  EXPECT_EQ(static_cast<std::int64_t>(bytes.size()), zip.length());
  testing::WriteFile(path, bytes);
}

ZipEntry MemoryEntry(const std::string& name, std::string bytes, UnixMillis modified = 1672628645000) {
  ZipEntry entry;
  entry.name = name;
  entry.size = static_cast<std::int64_t>(bytes.size());
  entry.modified = modified;
  entry.open = [bytes = std::move(bytes)]() -> Result<ZipReader> {
    auto at = std::make_shared<std::size_t>(0);
    return ZipReader([bytes, at](std::span<char> out) -> Result<std::size_t> {
      std::size_t n = std::min(out.size(), bytes.size() - *at);
      std::memcpy(out.data(), bytes.data() + *at, n);
      *at += n;
      return n;
    });
  };
  return entry;
}

// Python's zipfile reads the archive and checks every CRC; prints "count first-name first-time".
std::string CheckWithPython(const std::filesystem::path& zip) {
  std::string command =
      "/usr/bin/python3 -c \"import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); "
      "assert z.testzip() is None; i=z.infolist(); "
      "print(len(i), i[0].filename, '%04d-%02d-%02d %02d:%02d:%02d' % i[0].date_time, "
      "z.read(i[-1]).decode())\" " + zip.string();
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  char line[512];
  while (pipe && fgets(line, sizeof line, pipe)) out += line;
  EXPECT_EQ(pipe ? pclose(pipe) : -1, 0) << out;
  return out;
}

TEST(ZipStreamTest, AnArchiveOthersCanReadWithItsLengthKnownFirst) {
  testing::TempDir dir;
  std::vector<ZipEntry> entries;
  entries.push_back(MemoryEntry("Été à Paris.jpg", std::string(100000, 'x')));
  entries.push_back(MemoryEntry("empty.txt", ""));
  entries.push_back(MemoryEntry("last.txt", "the end"));
  ZipStream zip(std::move(entries));
  WriteZip(zip, dir.path() / "a.zip");
  EXPECT_EQ(CheckWithPython(dir.path() / "a.zip"), "3 Été à Paris.jpg 2023-01-02 03:04:04 the end\n");
}

TEST(ZipStreamTest, MoreThan65535EntriesUseZip64Records) {
  testing::TempDir dir;
  std::vector<ZipEntry> entries;
  for (int i = 0; i < 70000; ++i) entries.push_back(MemoryEntry("f" + std::to_string(i), std::to_string(i)));
  ZipStream zip(std::move(entries));
  WriteZip(zip, dir.path() / "many.zip");
  EXPECT_EQ(CheckWithPython(dir.path() / "many.zip"), "70000 f0 2023-01-02 03:04:04 69999\n");
}

TEST(ZipStreamTest, AnEntryShorterThanItsSizeIsAnError) {
  ZipEntry entry = MemoryEntry("short", "abc");
  entry.size = 10;
  std::vector<ZipEntry> entries;
  entries.push_back(std::move(entry));
  ZipStream zip(std::move(entries));
  std::vector<char> buffer(4096);
  Result<std::size_t> n = std::size_t{1};
  while (n && *n > 0) n = zip.Read(buffer);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code, ErrorCode::kInternal);
}

// A video over 4 GiB: Zip64 sizes in its headers and descriptor. The stream's zero bytes are
// left as holes in a sparse file, so the test writes only the headers.
TEST(ZipStreamTest, AnEntryOver4GiBUsesZip64Sizes) {
  testing::TempDir dir;
  const std::int64_t size = (std::int64_t{1} << 32) + 12345;
  ZipEntry big;
  big.name = "long video.mp4";
  big.size = size;
  big.modified = 1672628645000;
  big.open = []() -> Result<ZipReader> {
    return ZipReader([](std::span<char> out) -> Result<std::size_t> {
      std::memset(out.data(), 0, out.size());
      return out.size();
    });
  };
  std::vector<ZipEntry> entries;
  entries.push_back(std::move(big));
  entries.push_back(MemoryEntry("after.txt", "after"));
  ZipStream zip(std::move(entries));
  std::filesystem::path path = dir.path() / "big.zip";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  std::vector<char> buffer(1 << 20);
  std::int64_t at = 0;
  while (true) {
    auto n = zip.Read(buffer);
    ASSERT_TRUE(n) << n.error().message;
    if (*n == 0) break;
    bool zeros = std::all_of(buffer.begin(), buffer.begin() + *n, [](char c) { return c == 0; });
    if (!zeros) {
      ASSERT_EQ(::pwrite(fd, buffer.data(), *n, at), static_cast<ssize_t>(*n));
    }
    at += static_cast<std::int64_t>(*n);
  }
  ASSERT_EQ(::ftruncate(fd, at), 0);
  ::close(fd);
  EXPECT_EQ(at, zip.length());
  EXPECT_EQ(CheckWithPython(path), "2 long video.mp4 2023-01-02 03:04:04 after\n");
}

}  // namespace
}  // namespace shoebox
