#include <gtest/gtest.h>

#include "core/config.h"
#include "core/durable_file.h"
#include "core/hashing.h"
#include "core/ids.h"
#include "core/text.h"
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

}  // namespace
}  // namespace shoebox
