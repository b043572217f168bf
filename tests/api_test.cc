// Black-box tests of the HTTP API: a real server on 127.0.0.1 with SQLite and a local data
// folder in a temp dir, spoken to over real HTTP.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "core/hashing.h"
#include "core/ids.h"
#include "core/text.h"
#include "tests/support/test_support.h"

namespace shoebox::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::string Meta(const std::map<std::string, std::string>& fields) {
  std::string out;
  for (const auto& [key, value] : fields) {
    if (!out.empty()) out += ",";
    out += key + " " + Base64Encode(value);
  }
  return out;
}

json Body(const client::HttpReply& reply) { return json::parse(reply.body, nullptr, false); }
std::string ErrorCodeOf(const client::HttpReply& reply) {
  json body = Body(reply);
  if (body.is_discarded() || !body.contains("error")) return "";
  return body["error"].value("code", "");
}

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer({}); }

  void StartServer(const std::map<std::string, std::string>& settings) {
    client_.reset();
    server_.reset();
    server_ = std::make_unique<TestServer>(settings);
    client_ = server_->Client();
    token_ = server_->CreateUserAndLogin("alice@example.com");
  }

  client::HttpReply Call(const std::string& method, const std::string& target,
                         const std::string& body = "", std::map<std::string, std::string> headers = {},
                         const std::string& token = "") {
    auto auth = Bearer(token.empty() ? token_ : token);
    headers.insert(auth.begin(), auth.end());
    auto reply = client_->Send(method, target, headers, body);
    EXPECT_TRUE(reply) << method << " " << target << ": " << (reply ? "" : reply.error().message);
    return reply ? *reply : client::HttpReply{};
  }

  // Starts an upload; returns its URL.
  std::string Create(std::int64_t length, const std::map<std::string, std::string>& metadata,
                     const std::string& token = "") {
    auto headers = Tus(token.empty() ? token_ : token);
    headers["Upload-Length"] = std::to_string(length);
    headers["Upload-Metadata"] = Meta(metadata);
    auto reply = client_->Send("POST", "/api/v1/uploads", headers);
    EXPECT_TRUE(reply);
    EXPECT_EQ(reply->status, 201) << reply->body;
    return reply->Header("location");
  }

  client::HttpReply Patch(const std::string& url, std::int64_t offset, const std::string& bytes,
                          std::map<std::string, std::string> extra = {}, const std::string& token = "") {
    auto headers = Tus(token.empty() ? token_ : token);
    headers["Upload-Offset"] = std::to_string(offset);
    headers["Content-Type"] = "application/offset+octet-stream";
    for (auto& [k, v] : extra) headers[k] = v;
    auto reply = client_->Send("PATCH", url, headers, bytes);
    EXPECT_TRUE(reply);
    return reply ? *reply : client::HttpReply{};
  }

  client::HttpReply Head(const std::string& url, const std::string& token = "") {
    auto reply = client_->Send("HEAD", url, Tus(token.empty() ? token_ : token));
    EXPECT_TRUE(reply);
    return reply ? *reply : client::HttpReply{};
  }

  // Uploads `bytes` whole; returns the asset id.
  std::string Upload(const std::string& name, const std::string& bytes, std::int64_t mtime = 1672628645,
                     const std::string& token = "") {
    std::string url = Create(static_cast<std::int64_t>(bytes.size()),
                             {{"filename", name}, {"sha256", Sha256Hex(bytes)},
                              {"mtime", std::to_string(mtime)}},
                             token);
    auto reply = Patch(url, 0, bytes, {}, token);
    EXPECT_EQ(reply.status, 204) << reply.body;
    EXPECT_FALSE(reply.Header("shoebox-asset-id").empty());
    return reply.Header("shoebox-asset-id");
  }

  std::unique_ptr<TestServer> server_;
  std::unique_ptr<client::HttpClient> client_;
  std::string token_;
};

// ------------------------------------------------------------------------------ accounts.

TEST_F(ApiTest, FirstVisitCreatesTheAdminOnlyOnce) {
  TestServer fresh;
  auto http = fresh.Client();
  auto setup = http->Send("GET", "/api/v1/server/setup", {});
  EXPECT_EQ(Body(*setup)["needs_setup"], true);
  auto created = http->Send("POST", "/api/v1/auth/setup", {},
                            R"({"email":"Admin@Example.com","password":"correct horse"})");
  ASSERT_EQ(created->status, 201) << created->body;
  EXPECT_EQ(Body(*created)["user"]["is_admin"], true);
  EXPECT_EQ(Body(*created)["user"]["email"], "admin@example.com");
  std::string cookie = created->Header("set-cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Lax"), std::string::npos);
  auto again = http->Send("POST", "/api/v1/auth/setup", {},
                          R"({"email":"mallory@example.com","password":"correct horse"})");
  EXPECT_EQ(again->status, 409);
  EXPECT_EQ(ErrorCodeOf(*again), "already_set_up");
  EXPECT_EQ(Body(*http->Send("GET", "/api/v1/server/setup", {}))["needs_setup"], false);
}

TEST_F(ApiTest, UnknownUserAndWrongPasswordAreIndistinguishable) {
  auto wrong = client_->Send("POST", "/api/v1/auth/login", {},
                             R"({"email":"alice@example.com","password":"wrong-password"})");
  auto unknown = client_->Send("POST", "/api/v1/auth/login", {},
                               R"({"email":"nobody@example.com","password":"wrong-password"})");
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(unknown->status, 401);
  EXPECT_EQ(wrong->body, unknown->body);
  auto ok = client_->Send("POST", "/api/v1/auth/login", {},
                          R"({"email":"ALICE@example.com","password":"password123"})");
  EXPECT_EQ(ok->status, 200);
  // A cross-site form (text/plain) cannot sign anyone in.
  auto form = client_->Send("POST", "/api/v1/auth/login", {{"Content-Type", "text/plain"}},
                            R"({"email":"alice@example.com","password":"password123"})");
  EXPECT_EQ(form->status, 415);
  EXPECT_TRUE(Body(*ok)["token"].is_string());
}

TEST_F(ApiTest, LoginIsRateLimited) {
  int limited_at = -1;
  for (int i = 0; i < 12 && limited_at < 0; ++i) {
    auto reply = client_->Send("POST", "/api/v1/auth/login", {},
                               R"({"email":"alice@example.com","password":"guess-guess"})");
    if (reply->status == 429) limited_at = i;
  }
  EXPECT_EQ(limited_at, 10);
  // Even the right password waits out the window now.
  auto right = client_->Send("POST", "/api/v1/auth/login", {},
                             R"({"email":"alice@example.com","password":"password123"})");
  EXPECT_EQ(right->status, 429);
  EXPECT_EQ(ErrorCodeOf(*right), "too_many_requests");
}

// Behind a trusted proxy, each client is limited on its own address, not the proxy's.
TEST_F(ApiTest, RateLimitUsesTheAddressATrustedProxyForwards) {
  StartServer({{"server.trusted_proxies", "127.0.0.1"}});
  auto attempt = [&](const std::string& address, const std::string& password) {
    return client_->Send("POST", "/api/v1/auth/login", {{"X-Forwarded-For", address}},
                         R"({"email":"alice@example.com","password":")" + password + R"("})")->status;
  };
  for (int i = 0; i < 10; ++i) attempt("203.0.113.7", "guess-guess");
  EXPECT_EQ(attempt("203.0.113.7", "password123"), 429);
  EXPECT_EQ(attempt("198.51.100.9", "password123"), 200);
}

TEST_F(ApiTest, TokensAreStoredOnlyHashed) {
  if (SharedBackend()) GTEST_SKIP() << "reads the SQLite file";
  std::string db = ReadFile(server_->data_dir() / "shoebox.db") +
                   ReadFile(server_->data_dir() / "shoebox.db-wal");
  EXPECT_EQ(db.find(token_), std::string::npos);
  EXPECT_NE(db.find(Sha256Hex(token_)), std::string::npos);
}

TEST_F(ApiTest, CookieSessionsNeedTheCsrfHeaderToChangeThings) {
  auto login = client_->Send("POST", "/api/v1/auth/login", {},
                             R"({"email":"alice@example.com","password":"password123"})");
  std::string cookie = login->Header("set-cookie");
  cookie = cookie.substr(0, cookie.find(';'));
  auto me = client_->Send("GET", "/api/v1/me", {{"Cookie", cookie}});
  EXPECT_EQ(me->status, 200);
  auto forged = client_->Send("POST", "/api/v1/api-keys", {{"Cookie", cookie}}, R"({"name":"x"})");
  EXPECT_EQ(forged->status, 403);
  EXPECT_EQ(ErrorCodeOf(*forged), "csrf_header_missing");
  auto real = client_->Send("POST", "/api/v1/api-keys", {{"Cookie", cookie}, {"X-Shoebox-Csrf", "1"}},
                            R"({"name":"x"})");
  EXPECT_EQ(real->status, 201);
}

TEST_F(ApiTest, ApiKeysWorkUntilDeletedAndLogoutEndsTheSession) {
  auto created = Call("POST", "/api/v1/api-keys", R"({"name":"Pixel 8"})");
  ASSERT_EQ(created.status, 201);
  std::string secret = Body(created)["secret"];
  std::string id = Body(created)["id"];
  EXPECT_EQ(client_->Send("GET", "/api/v1/me", {{"X-Api-Key", secret}})->status, 200);
  EXPECT_EQ(client_->Send("GET", "/api/v1/me", Bearer(secret))->status, 200);
  auto list = Call("GET", "/api/v1/api-keys");
  ASSERT_EQ(Body(list)["keys"].size(), 1u);
  EXPECT_FALSE(Body(list)["keys"][0].contains("secret"));
  EXPECT_EQ(Call("DELETE", "/api/v1/api-keys/" + id).status, 204);
  EXPECT_EQ(client_->Send("GET", "/api/v1/me", {{"X-Api-Key", secret}})->status, 401);

  EXPECT_EQ(Call("POST", "/api/v1/auth/logout").status, 204);
  auto after = client_->Send("GET", "/api/v1/me", Bearer(token_));
  EXPECT_EQ(after->status, 401);
  EXPECT_EQ(ErrorCodeOf(*after), "unauthenticated");
}

TEST_F(ApiTest, ChangingThePasswordKeepsThisSessionAndEndsOthers) {
  auto other = client_->Send("POST", "/api/v1/auth/login", {},
                             R"({"email":"alice@example.com","password":"password123"})");
  std::string other_token = Body(*other)["token"];
  EXPECT_EQ(Call("POST", "/api/v1/me/password",
                 R"({"current_password":"nope-nope","new_password":"new password 1"})").status, 401);
  EXPECT_EQ(Call("POST", "/api/v1/me/password",
                 R"({"current_password":"password123","new_password":"new password 1"})").status, 204);
  EXPECT_EQ(Call("GET", "/api/v1/me").status, 200);
  EXPECT_EQ(client_->Send("GET", "/api/v1/me", Bearer(other_token))->status, 401);
}

TEST_F(ApiTest, AdminsManageUsersAndQuotasOthersCannot) {
  std::string admin = server_->CreateUserAndLogin("root@example.com", "password123", true);
  EXPECT_EQ(Call("GET", "/api/v1/admin/users").status, 403);
  auto created = Call("POST", "/api/v1/admin/users",
                      R"({"email":"bob@example.com","password":"bobs password","quota_bytes":1000})",
                      {}, admin);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(Body(created)["quota_bytes"], 1000);
  std::string bob_id = Body(created)["id"];
  EXPECT_EQ(Call("POST", "/api/v1/admin/users", R"({"email":"bob@example.com","password":"xxxxxxxxx"})",
                 {}, admin).status, 409);
  EXPECT_EQ(Call("POST", "/api/v1/admin/users", R"({"email":"not-an-email","password":"xxxxxxxxx"})",
                 {}, admin).status, 400);
  EXPECT_EQ(Call("POST", "/api/v1/admin/users", R"({"email":"c@example.com","password":"short"})",
                 {}, admin).status, 400);
  auto bob_login = client_->Send("POST", "/api/v1/auth/login", {},
                                 R"({"email":"bob@example.com","password":"bobs password"})");
  std::string bob = Body(*bob_login)["token"];

  // Over quota: refused before any byte is sent.
  auto headers = Tus(bob);
  headers["Upload-Length"] = "5000";
  headers["Upload-Metadata"] = Meta({{"filename", "a.jpg"}});
  auto over = client_->Send("POST", "/api/v1/uploads", headers);
  EXPECT_EQ(over->status, 413);
  EXPECT_EQ(ErrorCodeOf(*over), "quota_exceeded");

  auto disabled = Call("PATCH", "/api/v1/admin/users/" + bob_id, R"({"disabled":true})", {}, admin);
  EXPECT_EQ(disabled.status, 200);
  EXPECT_EQ(client_->Send("GET", "/api/v1/me", Bearer(bob))->status, 401);
  auto relogin = client_->Send("POST", "/api/v1/auth/login", {},
                               R"({"email":"bob@example.com","password":"bobs password"})");
  EXPECT_EQ(relogin->status, 403);
  EXPECT_EQ(ErrorCodeOf(*relogin), "account_disabled");
  EXPECT_EQ(Body(Call("GET", "/api/v1/admin/users", "", {}, admin))["users"].size(), 3u);

  // The server's storage: everyone's originals and the room left.
  Upload("a.jpg", FakeJpeg(1234, 9));
  EXPECT_EQ(Call("GET", "/api/v1/admin/storage").status, 403);
  json storage = Body(Call("GET", "/api/v1/admin/storage", "", {}, admin));
  EXPECT_EQ(storage["assets"], 1);
  EXPECT_EQ(storage["original_bytes"], 1234);
  EXPECT_GT(storage["free_bytes"].get<std::int64_t>(), 0);
}

// ------------------------------------------------------------------------------ tus uploads.

TEST_F(ApiTest, OptionsDiscoversTusAndServerInfoTellsTheLimits) {
  auto options = client_->Send("OPTIONS", "/api/v1/uploads", {});
  EXPECT_EQ(options->status, 204);
  EXPECT_EQ(options->Header("tus-version"), "1.0.0");
  std::string extensions = options->Header("tus-extension");
  for (const char* ext : {"creation", "creation-with-upload", "checksum", "termination", "expiration"}) {
    EXPECT_NE(extensions.find(ext), std::string::npos) << ext;
  }
  EXPECT_EQ(options->Header("tus-max-size"), "10000000000");
  auto info = client_->Send("GET", "/api/v1/server/info", {});
  json body = Body(*info);
  EXPECT_EQ(body["limits"]["photo_max_bytes"], 75000000);
  EXPECT_EQ(body["limits"]["photo_max_pixels"], 100000000);
  EXPECT_EQ(body["limits"]["video_max_bytes"], 10000000000LL);
  EXPECT_TRUE(body["uploads"]["max_request_body_bytes"].is_number());
  EXPECT_FALSE(body["supported_media_types"].empty());
}

TEST_F(ApiTest, ChunkedUploadBecomesVisibleOnlyWhenComplete) {
  std::string bytes = FakeJpeg(300'000);
  std::string url = Create(300'000, {{"filename", "IMG_20230102_030405.jpg"},
                                     {"sha256", Sha256Hex(bytes)}, {"mtime", "1672628645"},
                                     {"device_id", "phone-1"}, {"device_asset_id", "42"}});
  EXPECT_TRUE(url.starts_with("/api/v1/uploads/"));
  auto first = Patch(url, 0, bytes.substr(0, 100'000));
  EXPECT_EQ(first.status, 204) << first.body;
  EXPECT_EQ(first.Header("upload-offset"), "100000");
  EXPECT_FALSE(first.Header("upload-expires").empty());
  EXPECT_TRUE(first.Header("shoebox-asset-id").empty());
  EXPECT_TRUE(Body(Call("GET", "/api/v1/assets"))["assets"].empty());
  auto head = Head(url);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.Header("upload-offset"), "100000");
  EXPECT_EQ(head.Header("upload-length"), "300000");
  EXPECT_EQ(head.Header("cache-control"), "no-store");
  auto last = Patch(url, 100'000, bytes.substr(100'000));
  EXPECT_EQ(last.status, 204);
  std::string id = last.Header("shoebox-asset-id");
  ASSERT_FALSE(id.empty());
  EXPECT_TRUE(last.Header("shoebox-duplicate").empty());
  json asset = Body(Call("GET", "/api/v1/assets/" + id));
  EXPECT_EQ(asset["sha256"], Sha256Hex(bytes));
  EXPECT_EQ(asset["kind"], "photo");
  EXPECT_EQ(asset["mime_type"], "image/jpeg");
  EXPECT_EQ(asset["taken_at"], "2023-01-02T03:04:05.000Z");
  EXPECT_EQ(asset["device_asset_id"], "42");
  EXPECT_EQ(server_->StoredBlob("library/alice/2023/01/IMG_20230102_030405.jpg"), bytes);
  // A client that lost the last response can still learn the result.
  EXPECT_EQ(Head(url).Header("shoebox-asset-id"), id);
  EXPECT_EQ(Body(Call("GET", "/api/v1/me"))["used_bytes"], 300000);
}

TEST_F(ApiTest, CreationWithUploadAndDuplicates) {
  std::string bytes = FakeJpeg(50'000);
  auto headers = Tus(token_);
  headers["Upload-Length"] = "50000";
  headers["Upload-Metadata"] = Meta({{"filename", "a.jpg"}});
  headers["Content-Type"] = "application/offset+octet-stream";
  auto created = client_->Send("POST", "/api/v1/uploads", headers, bytes);
  ASSERT_EQ(created->status, 201) << created->body;
  EXPECT_EQ(created->Header("upload-offset"), "50000");
  std::string id = created->Header("shoebox-asset-id");
  ASSERT_FALSE(id.empty());
  auto again = client_->Send("POST", "/api/v1/uploads", headers, bytes);
  EXPECT_EQ(again->Header("shoebox-asset-id"), id);
  EXPECT_EQ(again->Header("shoebox-duplicate"), "true");
  EXPECT_EQ(Body(Call("GET", "/api/v1/assets"))["assets"].size(), 1u);
  EXPECT_EQ(Body(Call("GET", "/api/v1/me"))["used_bytes"], 50000);
}

TEST_F(ApiTest, PatchAtTheWrongOffsetIsAConflict) {
  std::string bytes = FakeJpeg(10'000);
  std::string url = Create(10'000, {{"filename", "a.jpg"}});
  EXPECT_EQ(Patch(url, 0, bytes.substr(0, 5000)).status, 204);
  auto wrong = Patch(url, 4000, bytes.substr(4000));
  EXPECT_EQ(wrong.status, 409);
  EXPECT_EQ(ErrorCodeOf(wrong), "offset_mismatch");
  EXPECT_EQ(wrong.Header("tus-resumable"), "1.0.0");
  EXPECT_EQ(Head(url).Header("upload-offset"), "5000");
  EXPECT_EQ(Patch(url, 5000, bytes.substr(5000)).status, 204);
}

TEST_F(ApiTest, ABodyLongerThanUploadLengthIsRefused) {
  std::string bytes = FakeJpeg(10'000);
  std::string url = Create(8'000, {{"filename", "a.jpg"}});
  auto too_long = Patch(url, 0, bytes);
  EXPECT_EQ(too_long.status, 413);
  EXPECT_EQ(ErrorCodeOf(too_long), "upload_length_exceeded");
  EXPECT_EQ(Head(url).Header("upload-offset"), "0");
  // Chunked encoding: the length is discovered while streaming.
  RawConnection raw(server_->address());
  std::string chunk(9000, 'x');
  std::memcpy(chunk.data(), bytes.data(), 64);
  std::ostringstream request;
  request << "PATCH " << url << " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " << token_
          << "\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n"
             "Content-Type: application/offset+octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
          << std::hex << chunk.size() << "\r\n" << chunk << "\r\n0\r\n\r\n";
  raw.Send(request.str());
  std::string answer = raw.ReadAll();
  EXPECT_NE(answer.find("413"), std::string::npos) << answer.substr(0, 200);
  EXPECT_EQ(Head(url).Header("upload-offset"), "0");
}

TEST_F(ApiTest, AWrongSha256IsRefusedAndNothingIsKept) {
  std::string bytes = FakeJpeg(20'000);
  std::string url = Create(20'000, {{"filename", "a.jpg"}, {"sha256", Sha256Hex("something else")}});
  auto reply = Patch(url, 0, bytes);
  EXPECT_EQ(reply.status, 460);
  EXPECT_EQ(ErrorCodeOf(reply), "sha256_mismatch");
  EXPECT_EQ(Head(url).status, 404);
  EXPECT_TRUE(Body(Call("GET", "/api/v1/assets"))["assets"].empty());
  EXPECT_TRUE(server_->StagingEmpty());
  // Malformed checksum metadata is a 400 at creation.
  auto headers = Tus(token_);
  headers["Upload-Length"] = "10";
  headers["Upload-Metadata"] = Meta({{"sha256", "xyz"}});
  EXPECT_EQ(client_->Send("POST", "/api/v1/uploads", headers)->status, 400);
}

TEST_F(ApiTest, UploadChecksumMakesARequestAllOrNothing) {
  std::string bytes = FakeJpeg(20'000);
  std::string url = Create(20'000, {{"filename", "a.jpg"}});
  std::string good = Base64Encode([&] {
    auto digest = RequestDigest::Create("sha1");
    digest->Update(std::span<const char>(bytes.data(), 10'000));
    return digest->FinishRaw();
  }());
  auto bad = Patch(url, 0, bytes.substr(0, 10'000), {{"Upload-Checksum", "sha1 " + Base64Encode("01234567890123456789")}});
  EXPECT_EQ(bad.status, 460);
  EXPECT_EQ(ErrorCodeOf(bad), "checksum_mismatch");
  EXPECT_EQ(Head(url).Header("upload-offset"), "0");
  auto unknown = Patch(url, 0, bytes.substr(0, 10'000), {{"Upload-Checksum", "crc32 AAAA"}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(ErrorCodeOf(unknown), "checksum_algorithm_unsupported");
  auto ok = Patch(url, 0, bytes.substr(0, 10'000), {{"Upload-Checksum", "sha1 " + good}});
  EXPECT_EQ(ok.status, 204);
  EXPECT_EQ(ok.Header("upload-offset"), "10000");
}

TEST_F(ApiTest, ContentDecidesTheTypeNotTheName) {
  std::string text(5000, 'a');
  std::string url = Create(5000, {{"filename", "holiday.jpg"}});
  auto reply = Patch(url, 0, text);
  EXPECT_EQ(reply.status, 415);
  EXPECT_EQ(ErrorCodeOf(reply), "unsupported_media_type");
  EXPECT_EQ(Head(url).status, 404);
  // A real photo with an odd name is fine.
  EXPECT_FALSE(Upload("photo.dat", FakeJpeg(5000)).empty());
  // tus PATCH must say its content type.
  std::string url2 = Create(10, {{"filename", "b.jpg"}});
  auto headers = Tus(token_);
  headers["Upload-Offset"] = "0";
  headers["Content-Type"] = "image/jpeg";
  EXPECT_EQ(client_->Send("PATCH", url2, headers, "0123456789")->status, 415);
}

TEST_F(ApiTest, MediaLimitsAreEnforcedAtCreationAndByContent) {
  StartServer({{"limits.photo_max_bytes", "100000"}, {"limits.video_max_bytes", "200000"}});
  auto create = [&](std::int64_t length, const std::string& name) {
    auto headers = Tus(token_);
    headers["Upload-Length"] = std::to_string(length);
    headers["Upload-Metadata"] = Meta({{"filename", name}});
    return *client_->Send("POST", "/api/v1/uploads", headers);
  };
  auto photo = create(150'000, "big.jpg");
  EXPECT_EQ(photo.status, 413);
  EXPECT_EQ(ErrorCodeOf(photo), "photo_too_large");
  auto video = create(250'000, "big.mp4");
  EXPECT_EQ(video.status, 413);
  EXPECT_EQ(ErrorCodeOf(video), "video_too_large");
  EXPECT_EQ(ErrorCodeOf(create(250'000, "big.bin")), "file_too_large");
  // A name that hides a big photo: refused as soon as the content shows it is a photo.
  std::string url = Create(150'000, {{"filename", "big.bin"}});
  auto sniffed = Patch(url, 0, FakeJpeg(150'000));
  EXPECT_EQ(sniffed.status, 413);
  EXPECT_EQ(ErrorCodeOf(sniffed), "photo_too_large");
  // The same length as a video is fine.
  EXPECT_FALSE(Upload("clip.mp4", FakeMp4(150'000)).empty());
}

TEST_F(ApiTest, AnInterruptedUploadResumesFromTheOffsetHeadReports) {
  std::string bytes = FakeJpeg(3'000'000, 7);
  std::string url = Create(3'000'000, {{"filename", "cut.jpg"}, {"sha256", Sha256Hex(bytes)}});
  {
    RawConnection raw(server_->address());
    std::ostringstream request;
    request << "PATCH " << url << " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " << token_
            << "\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n"
               "Content-Type: application/offset+octet-stream\r\nContent-Length: 3000000\r\n\r\n"
            << bytes.substr(0, 1'234'567);
    raw.Send(request.str());
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }  // connection cut mid-body
  std::int64_t offset = -1;
  for (int i = 0; i < 50; ++i) {  // the server notices the cut asynchronously
    auto head = Head(url);
    offset = ParseNonNegativeInt(head.Header("upload-offset")).value_or(-1);
    if (offset == 1'234'567) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(offset, 1'234'567);
  EXPECT_TRUE(Body(Call("GET", "/api/v1/assets"))["assets"].empty());
  auto rest = Patch(url, offset, bytes.substr(static_cast<std::size_t>(offset)));
  ASSERT_EQ(rest.status, 204) << rest.body;
  std::string id = rest.Header("shoebox-asset-id");
  auto original = Call("GET", "/api/v1/assets/" + id + "/original");
  EXPECT_EQ(Sha256Hex(original.body), Sha256Hex(bytes));
}

TEST_F(ApiTest, TwoClientsCannotWriteOneUploadAtOnce) {
  std::string bytes = FakeJpeg(2'000'000);
  std::string url = Create(2'000'000, {{"filename", "a.jpg"}});
  RawConnection first(server_->address());
  std::ostringstream request;
  request << "PATCH " << url << " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " << token_
          << "\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n"
             "Content-Type: application/offset+octet-stream\r\nContent-Length: 2000000\r\n\r\n"
          << bytes.substr(0, 100'000);
  first.Send(request.str());
  // Wait until the server is receiving the first request's body (it holds the lease then).
  for (int i = 0; i < 200; ++i) {
    auto metrics = client_->Send("GET", "/metrics", {});
    if (metrics && metrics->body.find("shoebox_uploads_in_flight 1") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto second = Patch(url, 0, bytes);
  EXPECT_EQ(second.status, 423) << second.body;
  EXPECT_EQ(ErrorCodeOf(second), "upload_locked");
  first.Send(bytes.substr(100'000));
  std::string answer = first.ReadAll(5000);
  EXPECT_NE(answer.find("204"), std::string::npos) << answer.substr(0, 300);
  EXPECT_NE(answer.find("Shoebox-Asset-Id"), std::string::npos);
}

TEST_F(ApiTest, TerminationAndExpiryRemoveTheBytes) {
  std::string url = Create(10'000, {{"filename", "a.jpg"}});
  EXPECT_EQ(Patch(url, 0, FakeJpeg(10'000).substr(0, 5000)).status, 204);
  auto deleted = client_->Send("DELETE", url, Tus(token_));
  EXPECT_EQ(deleted->status, 204);
  EXPECT_EQ(Head(url).status, 404);
  EXPECT_TRUE(server_->StagingEmpty());

  StartServer({{"uploads.expire_hours", "0"}});
  std::string stale = Create(10'000, {{"filename", "a.jpg"}});
  auto gone = Patch(stale, 0, FakeJpeg(10'000));
  EXPECT_EQ(gone.status, 410);
  EXPECT_EQ(ErrorCodeOf(gone), "upload_expired");
  Create(10'000, {{"filename", "b.jpg"}});
  EXPECT_FALSE(server_->StagingEmpty());
  auto swept = server_->runtime().maintenance().RunOnce();
  ASSERT_TRUE(swept);
  EXPECT_GE(swept->uploads_removed, 1);
  EXPECT_TRUE(server_->StagingEmpty());
}

TEST_F(ApiTest, TusRequestsNeedTheProtocolVersion) {
  auto headers = Bearer(token_);
  headers["Upload-Length"] = "10";
  auto reply = client_->Send("POST", "/api/v1/uploads", headers);
  EXPECT_EQ(reply->status, 412);
  EXPECT_EQ(ErrorCodeOf(*reply), "tus_version_unsupported");
  EXPECT_EQ(reply->Header("tus-version"), "1.0.0");
  auto empty_headers = Tus(token_);
  empty_headers["Upload-Length"] = "0";
  auto empty = client_->Send("POST", "/api/v1/uploads", empty_headers);
  EXPECT_EQ(empty->status, 415);
  EXPECT_EQ(ErrorCodeOf(*empty), "unsupported_media_type");
  auto anonymous = client_->Send("POST", "/api/v1/uploads", {{"Tus-Resumable", "1.0.0"}});
  EXPECT_EQ(anonymous->status, 401);
  EXPECT_EQ(anonymous->Header("tus-resumable"), "1.0.0");
  auto no_length = client_->Send("POST", "/api/v1/uploads", Tus(token_));
  EXPECT_EQ(no_length->status, 400);
}

TEST_F(ApiTest, HostileFileNamesStayInsideTheLibrary) {
  std::vector<std::string> names = {"../../etc/passwd", "a/b/c.jpg", std::string("nul\0byte.jpg", 12),
                                    std::string(300, 'n') + ".jpg", "..", ".hidden.jpg",
                                    "C:\\Windows\\evil.jpg", "ok \xe2\x9c\x93 .jpg", "\x01\x02.jpg"};
  unsigned seed = 100;
  for (const std::string& name : names) {
    std::string id = Upload(name, FakeJpeg(2000, ++seed));
    ASSERT_FALSE(id.empty()) << name;
    json asset = Body(Call("GET", "/api/v1/assets/" + id));
    std::string original = asset["original_name"];
    EXPECT_EQ(original.find('/'), std::string::npos);
    EXPECT_EQ(original.find('\0'), std::string::npos);
    EXPECT_LE(original.size(), 255u);
    auto download = Call("GET", "/api/v1/assets/" + id + "/original");
    EXPECT_EQ(download.status, 200);
    EXPECT_EQ(download.Header("content-disposition").find('\n'), std::string::npos);
  }
  std::set<std::string> seen;
  for (const std::string& relative : server_->BlobKeys()) {
    if (relative.starts_with("shoebox.db")) continue;  // the embedded database, beside the library
    EXPECT_TRUE(relative.starts_with("library/alice/2023/01/")) << relative;
    std::string file = relative.substr(relative.rfind('/') + 1);
    EXPECT_NE(file.front(), '.') << file;
    EXPECT_LE(file.size(), 200u);
    seen.insert(file);
  }
  EXPECT_EQ(seen.size(), names.size());
  EXPECT_FALSE(fs::exists("/etc/passwd.jpg"));
}

// ------------------------------------------------------------------------------ library.

TEST_F(ApiTest, TimelineIsNewestFirstWithCursorPages) {
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    ids.push_back(Upload("p" + std::to_string(i) + ".jpg", FakeJpeg(1000, 200 + i), 1600000000 + i * 86400));
  }
  std::vector<std::string> listed;
  std::string cursor;
  int pages = 0;
  do {
    auto page = Body(Call("GET", "/api/v1/assets?limit=3" + (cursor.empty() ? "" : "&cursor=" + PercentEncode(cursor))));
    for (auto& asset : page["assets"]) listed.push_back(asset["id"]);
    cursor = page["next_cursor"].is_null() ? "" : page["next_cursor"].get<std::string>();
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  std::vector<std::string> expected(ids.rbegin(), ids.rend());
  EXPECT_EQ(listed, expected);
  EXPECT_EQ(Call("GET", "/api/v1/assets?cursor=garbage").status, 400);
  EXPECT_EQ(Call("GET", "/api/v1/assets?limit=0").status, 400);
}

TEST_F(ApiTest, MonthBucketsCountByTheLocalCaptureMonth) {
  // 2020-01-31 23:30 UTC, 2020-02-01 00:10 UTC, 1969-12-31 12:00 UTC (before 1970).
  std::string late = Upload("late.jpg", FakeJpeg(1000, 81), 1580513400);
  Upload("feb.jpg", FakeJpeg(1000, 82), 1580515800);
  std::string old = Upload("old.jpg", FakeJpeg(1000, 83), 1580515800);
  MediaPatch scanned;  // a scan of a print, dated by hand
  scanned.taken_at_and_info = std::pair{UnixMillis{-43200000}, MediaInfo{}};
  ASSERT_TRUE(server_->runtime().store().Assets().UpdateMedia(old, scanned));
  auto buckets = [&] {
    std::vector<std::pair<std::string, int>> out;
    json body = Body(Call("GET", "/api/v1/timeline/buckets"));
    for (const json& b : body["buckets"]) out.emplace_back(b["month"], b["count"]);
    return out;
  };
  using Months = std::vector<std::pair<std::string, int>>;
  EXPECT_EQ(buckets(), (Months{{"2020-02", 1}, {"2020-01", 1}, {"1969-12", 1}}));
  // Taken at UTC+2, the late one was already February on the camera's clock.
  MediaInfo info;
  info.utc_offset_minutes = 120;
  MediaPatch patch;
  patch.taken_at_and_info = std::pair{UnixMillis{1580513400000}, info};
  ASSERT_TRUE(server_->runtime().store().Assets().UpdateMedia(late, patch));
  EXPECT_EQ(buckets(), (Months{{"2020-02", 2}, {"1969-12", 1}}));
}

TEST_F(ApiTest, SearchFiltersByDateNameTypeAndFavourite) {
  // Capture time falls back to the file time for these: 2020-09-13 and the days after.
  std::string beach = Upload("Beach_100%.jpg", FakeJpeg(1000, 301), 1600000000);
  std::string party = Upload("party.jpg", FakeJpeg(1000, 302), 1600000000 + 86400);
  std::string clip = Upload("party_clip.mp4", FakeMp4(2000, 303), 1600000000 + 2 * 86400);
  std::string trashed = Upload("party-old.jpg", FakeJpeg(1000, 304), 1600000000);
  Call("DELETE", "/api/v1/assets/" + trashed);
  Call("PATCH", "/api/v1/assets/" + beach, R"({"is_archived":true,"is_favorite":true})");
  auto ids = [&](const std::string& query) {
    std::vector<std::string> out;
    auto reply = Call("GET", "/api/v1/search?" + query);
    EXPECT_EQ(reply.status, 200) << query << " " << reply.body;
    auto body = Body(reply);
    for (auto& a : body["assets"]) out.push_back(a["id"]);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids("").size(), 3u);
  EXPECT_EQ(ids("name=PARTY"), (V{clip, party}));  // any case, newest first, not the trash
  EXPECT_EQ(ids("name=" + PercentEncode("100%")), (V{beach}));  // archived count; % is literal
  EXPECT_EQ(ids("name=" + PercentEncode("y_c")), (V{clip}));
  EXPECT_EQ(ids("name=%25"), (V{beach}));
  EXPECT_EQ(ids("type=video"), (V{clip}));
  EXPECT_EQ(ids("type=photo&from=2020-09-14&to=2020-09-14"), (V{party}));
  EXPECT_EQ(ids("from=2020-09-15"), (V{clip}));
  EXPECT_EQ(ids("favorite=true"), (V{beach}));
  EXPECT_EQ(ids("camera=Canon"), V{});  // no metadata in these files
  EXPECT_EQ(ids("near=40.7,-111.9&radius_km=5"), V{});
  EXPECT_EQ(Call("GET", "/api/v1/search?from=yesterday").status, 400);
  EXPECT_EQ(Call("GET", "/api/v1/search?type=music").status, 400);
  EXPECT_EQ(Call("GET", "/api/v1/search?near=91,0").status, 400);
  // Another user's library is not searched.
  std::string bob = server_->CreateUserAndLogin("bob@example.com");
  EXPECT_TRUE(Body(Call("GET", "/api/v1/search?name=party", "", {}, bob))["assets"].empty());
}

TEST_F(ApiTest, FavouritesArchiveTrashRestoreAndEmpty) {
  std::string keep = Upload("keep.jpg", FakeJpeg(1000, 1));
  std::string gone = Upload("gone.jpg", FakeJpeg(3000, 2));
  EXPECT_EQ(Body(Call("PATCH", "/api/v1/assets/" + keep, R"({"is_favorite":true})"))["is_favorite"], true);
  EXPECT_EQ(Call("PATCH", "/api/v1/assets/" + keep, R"({"is_favorite":"yes"})").status, 400);
  EXPECT_EQ(Body(Call("GET", "/api/v1/assets?favorite=true"))["assets"].size(), 1u);
  Call("PATCH", "/api/v1/assets/" + keep, R"({"is_archived":true})");
  EXPECT_EQ(Body(Call("GET", "/api/v1/assets"))["assets"].size(), 1u);  // archived hidden
  EXPECT_EQ(Body(Call("GET", "/api/v1/assets?visibility=archive"))["assets"].size(), 1u);

  EXPECT_EQ(Call("DELETE", "/api/v1/assets/" + gone).status, 204);
  json trash = Body(Call("GET", "/api/v1/assets?visibility=trash"));
  ASSERT_EQ(trash["assets"].size(), 1u);
  EXPECT_TRUE(trash["assets"][0]["purge_at"].is_string());
  EXPECT_TRUE(Body(Call("GET", "/api/v1/assets"))["assets"].empty());
  EXPECT_EQ(Body(Call("POST", "/api/v1/assets/" + gone + "/restore"))["trashed_at"], nullptr);
  EXPECT_EQ(Body(Call("GET", "/api/v1/assets"))["assets"].size(), 1u);
  Call("DELETE", "/api/v1/assets/" + gone);
  EXPECT_EQ(Body(Call("GET", "/api/v1/me"))["used_bytes"], 4000);
  std::string blob = "library/alice/2023/01/gone.jpg";
  EXPECT_TRUE(server_->StoredBlob(blob));
  EXPECT_EQ(Body(Call("POST", "/api/v1/trash/empty"))["deleted"], 1);
  EXPECT_FALSE(server_->StoredBlob(blob));
  EXPECT_EQ(Call("GET", "/api/v1/assets/" + gone).status, 404);
  EXPECT_EQ(Body(Call("GET", "/api/v1/me"))["used_bytes"], 1000);
  std::vector<std::string> verify = {"verify", "--quiet"};
  for (const std::string& arg : server_->CommandArgs()) verify.push_back(arg);
  auto [code, out] = RunServerCommand(verify);
  EXPECT_EQ(code, 0) << out;
}

TEST_F(ApiTest, ExistAnswersWhatIsStoredAndWhatWasDeletedOnPurpose) {
  std::string a = FakeJpeg(1000, 11), b = FakeJpeg(1000, 12), c = FakeJpeg(1000, 13);
  std::string a_id = Upload("a.jpg", a);
  std::string b_id = Upload("b.jpg", b);
  Call("DELETE", "/api/v1/assets/" + b_id);
  Call("POST", "/api/v1/trash/empty");
  json request = {{"checksums", {Sha256Hex(a), Sha256Hex(b), Sha256Hex(c)}}};
  json found = Body(Call("POST", "/api/v1/assets/exist", request.dump()));
  ASSERT_EQ(found["existing"].size(), 1u);
  EXPECT_EQ(found["existing"][0]["sha256"], Sha256Hex(a));
  EXPECT_EQ(found["existing"][0]["asset_id"], a_id);
  ASSERT_EQ(found["deleted"].size(), 1u);
  EXPECT_EQ(found["deleted"][0]["sha256"], Sha256Hex(b));
  EXPECT_EQ(Call("POST", "/api/v1/assets/exist", R"({"checksums":["nope"]})").status, 400);
  EXPECT_EQ(Call("POST", "/api/v1/assets/exist", R"({"checksums":"nope"})").status, 400);
  EXPECT_EQ(Call("POST", "/api/v1/assets/exist", "not json").status, 400);
  // Uploading deleted content again on purpose brings it back and clears the tombstone.
  Upload("b-again.jpg", b);
  found = Body(Call("POST", "/api/v1/assets/exist", request.dump()));
  EXPECT_EQ(found["existing"].size(), 2u);
  EXPECT_TRUE(found["deleted"].empty());
  // Another user's checksums are not visible.
  std::string bob = server_->CreateUserAndLogin("bob@example.com");
  json bobs = Body(Call("POST", "/api/v1/assets/exist", request.dump(), {}, bob));
  EXPECT_TRUE(bobs["existing"].empty());
  EXPECT_TRUE(bobs["deleted"].empty());
}

TEST_F(ApiTest, OriginalsSupportRangesAndConditionalRequests) {
  std::string bytes = FakeJpeg(100'000, 3);
  std::string id = Upload("Été à Paris.jpg", bytes);
  std::string path = "/api/v1/assets/" + id + "/original";
  auto full = Call("GET", path);
  EXPECT_EQ(full.status, 200);
  EXPECT_EQ(full.body, bytes);
  EXPECT_EQ(full.Header("etag"), "\"" + Sha256Hex(bytes) + "\"");
  EXPECT_EQ(full.Header("accept-ranges"), "bytes");
  EXPECT_NE(full.Header("content-disposition").find("filename*=UTF-8''%C3%89t%C3%A9%20%C3%A0%20Paris.jpg"),
            std::string::npos) << full.Header("content-disposition");
  auto part = Call("GET", path, "", {{"Range", "bytes=10-19"}});
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, bytes.substr(10, 10));
  EXPECT_EQ(part.Header("content-range"), "bytes 10-19/100000");
  auto tail = Call("GET", path, "", {{"Range", "bytes=-5"}});
  EXPECT_EQ(tail.body, bytes.substr(99'995));
  auto open_end = Call("GET", path, "", {{"Range", "bytes=99990-"}});
  EXPECT_EQ(open_end.body, bytes.substr(99'990));
  auto outside = Call("GET", path, "", {{"Range", "bytes=100000-"}});
  EXPECT_EQ(outside.status, 416);
  EXPECT_EQ(outside.Header("content-range"), "bytes */100000");
  auto head = Call("HEAD", path);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.Header("content-length"), "100000");
  auto cached = Call("GET", path, "", {{"If-None-Match", full.Header("etag")}});
  EXPECT_EQ(cached.status, 304);
  EXPECT_TRUE(cached.body.empty());
  auto stale_range = Call("GET", path, "", {{"Range", "bytes=0-9"}, {"If-Range", "\"other\""}});
  EXPECT_EQ(stale_range.status, 200);
}

// Every route that takes an id answers user A exactly as for a missing id when the id is B's.
TEST_F(ApiTest, NoRouteRevealsAnotherUsersIds) {
  std::string bob = server_->CreateUserAndLogin("bob@example.com");
  std::string bob_asset = Upload("b.jpg", FakeJpeg(1000, 5), 1672628645, bob);
  std::string bob_upload = Create(5000, {{"filename", "x.jpg"}}, bob);
  bob_upload = bob_upload.substr(bob_upload.rfind('/') + 1);
  auto key = Call("POST", "/api/v1/api-keys", R"({"name":"bob's phone"})", {}, bob);
  std::string bob_key = Body(key)["id"];
  auto bob_me = Body(Call("GET", "/api/v1/me", "", {}, bob));
  std::map<std::string, std::string> as_json = {{"Content-Type", "application/json"}};
  std::string bob_album = Body(Call("POST", "/api/v1/albums", json{{"name", "b"}, {"asset_ids", {bob_asset}}}.dump(), as_json, bob))["id"];
  std::string bob_link = Body(Call("POST", "/api/v1/albums/" + bob_album + "/links", "{}", as_json, bob))["id"];
  std::string bob_download = Body(Call("POST", "/api/v1/downloads", json{{"asset_ids", {bob_asset}}}.dump(), as_json, bob))["id"];
  std::map<std::string, std::string> bobs_ids = {{"asset_id", bob_asset},
                                                  {"album_id", bob_album},
                                                  {"link_id", bob_link},
                                                  {"download_id", bob_download},
                                                  {"upload_id", bob_upload},
                                                  {"key_id", bob_key},
                                                  {"device_id", bob_key},
                                                  {"user_id", bob_me["id"]}};
  http::Router router = api::BuildRouter(server_->runtime().api());
  int checked = 0;
  for (const http::Route& route : router.routes()) {
    if (route.pattern.find('{') == std::string::npos) continue;
    // A share link's key is a capability: whoever has it may look (tested on its own).
    if (route.pattern.starts_with("/api/v1/shared/")) continue;
    auto fill = [&](bool bobs) {
      std::string path = route.pattern;
      for (const auto& [name, id] : bobs_ids) {
        auto at = path.find("{" + name + "}");
        if (at != std::string::npos) path.replace(at, name.size() + 2, bobs ? id : NewId(1));
      }
      return path;
    };
    std::map<std::string, std::string> headers = {{"Tus-Resumable", "1.0.0"},
                                                  {"Upload-Offset", "0"},
                                                  {"Content-Type", "application/offset+octet-stream"}};
    std::string body = route.method == "PATCH" && route.pattern.find("uploads") != std::string::npos
                           ? FakeJpeg(100)
                           : route.method == "PATCH" ? R"({"is_favorite":true,"disabled":true})" : "";
    if (route.method == "PUT") body = R"({"state":"complete"})";
    bool album_post = route.method == "POST" && route.pattern.starts_with("/api/v1/albums/");
    if (album_post) body = R"({"asset_ids":[],"email":"bob@example.com","name":"x"})";
    if ((route.method == "PATCH" && route.pattern.find("uploads") == std::string::npos) ||
        route.method == "PUT" || album_post) {
      headers["Content-Type"] = "application/json";
    }
    auto theirs = Call(route.method, fill(true), body, headers);
    auto missing = Call(route.method, fill(false), body, headers);
    EXPECT_EQ(theirs.status, missing.status) << route.method << " " << route.pattern;
    EXPECT_EQ(ErrorCodeOf(theirs), ErrorCodeOf(missing)) << route.method << " " << route.pattern;
    EXPECT_TRUE(theirs.status == 404 || theirs.status == 403) << route.method << " " << route.pattern
                                                             << " " << theirs.status;
    ++checked;
  }
  EXPECT_GE(checked, 11);
  // And nothing of Bob's changed.
  json asset = Body(Call("GET", "/api/v1/assets/" + bob_asset, "", {}, bob));
  EXPECT_EQ(asset["is_favorite"], false);
  EXPECT_EQ(asset["trashed_at"], nullptr);
  EXPECT_EQ(Call("GET", "/api/v1/me", "", {}, bob).status, 200);
  EXPECT_EQ(Body(Call("GET", "/api/v1/api-keys", "", {}, bob))["keys"].size(), 1u);
}

// ------------------------------------------------------------------------------ albums.

// The entry names and contents of a zip, read by Python's zipfile (which checks every CRC).
std::map<std::string, std::string> Unzip(const std::string& bytes) {
  TempDir dir;
  WriteFile(dir.path() / "a.zip", bytes);
  std::string script =
      "import zipfile,sys,hashlib\n"
      "z=zipfile.ZipFile(sys.argv[1])\n"
      "assert z.testzip() is None\n"
      "for i in z.infolist(): print(i.filename+'\\t'+hashlib.sha256(z.read(i)).hexdigest())\n";
  WriteFile(dir.path() / "unzip.py", script);
  std::string command = "/usr/bin/python3 " + (dir.path() / "unzip.py").string() + " " +
                        (dir.path() / "a.zip").string() + " > " + (dir.path() / "out").string();
  EXPECT_EQ(std::system(command.c_str()), 0);
  std::map<std::string, std::string> entries;
  std::string out = ReadFile(dir.path() / "out");
  for (std::string_view line : SplitAndTrim(out, '\n')) {
    auto tab = line.find('\t');
    if (tab != std::string_view::npos) entries[std::string(line.substr(0, tab))] = line.substr(tab + 1);
  }
  return entries;
}

TEST_F(ApiTest, AlbumsAreOrderedRenamedAndSharedWithUsersByRole) {
  std::string a = Upload("a.jpg", FakeJpeg(1000, 41), 1600000000);
  std::string b = Upload("b.jpg", FakeJpeg(1000, 42), 1600100000);
  std::string c = Upload("c.jpg", FakeJpeg(1000, 43), 1600200000);
  auto created = Call("POST", "/api/v1/albums", json{{"name", " Summer "}, {"asset_ids", {c, a}}}.dump(),
                      {{"Content-Type", "application/json"}});
  ASSERT_EQ(created.status, 201) << created.body;
  json album = Body(created);
  std::string id = album["id"];
  EXPECT_EQ(album["name"], "Summer");
  EXPECT_EQ(album["asset_count"], 2);
  EXPECT_EQ(album["role"], "owner");
  EXPECT_EQ(album["cover_asset_id"], a);  // oldest first when added together
  auto items = [&](const std::string& token = "") {
    std::vector<std::string> ids;
    json page = Body(Call("GET", "/api/v1/albums/" + id + "/assets", "", {}, token));
    for (auto& asset : page["assets"]) ids.push_back(asset["id"]);
    return ids;
  };
  std::map<std::string, std::string> as_json = {{"Content-Type", "application/json"}};
  EXPECT_EQ(Body(Call("POST", "/api/v1/albums/" + id + "/assets", json{{"asset_ids", {b, a}}}.dump(), as_json)),
            (json{{"added", 1}, {"already", 1}}));
  EXPECT_EQ(items(), (std::vector<std::string>{a, c, b}));
  EXPECT_EQ(Call("POST", "/api/v1/albums/" + id + "/assets/move",
                 json{{"asset_ids", {b}}, {"before_asset_id", a}}.dump(), as_json).status, 204);
  EXPECT_EQ(items(), (std::vector<std::string>{b, a, c}));
  json renamed = Body(Call("PATCH", "/api/v1/albums/" + id, json{{"name", "Summer 2020"}, {"cover_asset_id", c}}.dump(), as_json));
  EXPECT_EQ(renamed["name"], "Summer 2020");
  EXPECT_EQ(renamed["cover_asset_id"], c);
  EXPECT_EQ(Call("PATCH", "/api/v1/albums/" + id, R"({"name":"  "})", as_json).status, 400);

  // Bob sees nothing until the album is shared with him.
  std::string bob = server_->CreateUserAndLogin("bob@example.com");
  EXPECT_EQ(Call("GET", "/api/v1/albums/" + id, "", {}, bob).status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/assets/" + a + "/original", "", {}, bob).status, 404);
  EXPECT_TRUE(Body(Call("GET", "/api/v1/albums", "", {}, bob))["albums"].empty());
  EXPECT_EQ(Call("POST", "/api/v1/albums/" + id + "/members", R"({"email":"nobody@example.com"})", as_json).status, 404);
  json member = Body(Call("POST", "/api/v1/albums/" + id + "/members", R"({"email":"BOB@example.com","role":"viewer"})", as_json));
  EXPECT_EQ(member["role"], "viewer");
  json bobs = Body(Call("GET", "/api/v1/albums", "", {}, bob));
  ASSERT_EQ(bobs["albums"].size(), 1u);
  EXPECT_EQ(bobs["albums"][0]["role"], "viewer");
  EXPECT_EQ(bobs["albums"][0]["owner"]["name"], "alice");
  EXPECT_EQ(items(bob), (std::vector<std::string>{b, a, c}));
  EXPECT_EQ(Call("GET", "/api/v1/assets/" + a + "/original", "", {}, bob).status, 200);
  EXPECT_EQ(Body(Call("GET", "/api/v1/albums/" + id, "", {}, bob))["links"].size(), 0u);
  // A viewer may look, not change.
  std::string bobs_photo = Upload("bob.jpg", FakeJpeg(1000, 44), 1600300000, bob);
  EXPECT_EQ(Call("POST", "/api/v1/albums/" + id + "/assets", json{{"asset_ids", {bobs_photo}}}.dump(), as_json, bob).status, 403);
  EXPECT_EQ(Call("PATCH", "/api/v1/assets/" + a, R"({"is_favorite":true})", as_json, bob).status, 404);
  EXPECT_EQ(Call("DELETE", "/api/v1/assets/" + a, "", {}, bob).status, 404);
  EXPECT_EQ(Call("PATCH", "/api/v1/albums/" + id, R"({"name":"mine"})", as_json, bob).status, 403);
  // A contributor adds their own assets (not someone else's) and removes only what they added.
  Call("POST", "/api/v1/albums/" + id + "/members", R"({"email":"bob@example.com","role":"contributor"})", as_json);
  std::string carol = server_->CreateUserAndLogin("carol@example.com");
  std::string carols_photo = Upload("carol.jpg", FakeJpeg(1000, 45), 1600300000, carol);
  EXPECT_EQ(Call("POST", "/api/v1/albums/" + id + "/assets", json{{"asset_ids", {carols_photo}}}.dump(), as_json, bob).status, 404);
  EXPECT_EQ(Body(Call("POST", "/api/v1/albums/" + id + "/assets", json{{"asset_ids", {bobs_photo}}}.dump(), as_json, bob))["added"], 1);
  EXPECT_EQ(items(), (std::vector<std::string>{b, a, c, bobs_photo}));
  EXPECT_EQ(Call("GET", "/api/v1/assets/" + bobs_photo + "/original").status, 200);  // alice sees it
  EXPECT_EQ(Body(Call("POST", "/api/v1/albums/" + id + "/assets/remove", json{{"asset_ids", {a, bobs_photo}}}.dump(), as_json, bob))["removed"], 1);
  EXPECT_EQ(items(), (std::vector<std::string>{b, a, c}));
  EXPECT_EQ(Call("GET", "/api/v1/assets/" + bobs_photo + "/original").status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/albums/" + id, "", {}, carol).status, 404);
  // A trashed item leaves the album for everyone, and comes back with a restore.
  Call("DELETE", "/api/v1/assets/" + c);
  EXPECT_EQ(items(bob), (std::vector<std::string>{b, a}));
  EXPECT_EQ(Call("GET", "/api/v1/assets/" + c + "/original", "", {}, bob).status, 404);
  EXPECT_EQ(Body(Call("GET", "/api/v1/albums/" + id))["asset_count"], 2);
  Call("POST", "/api/v1/assets/" + c + "/restore");
  EXPECT_EQ(items(bob), (std::vector<std::string>{b, a, c}));
  // Bob leaves; the owner deletes the album; the photos stay.
  EXPECT_EQ(Call("DELETE", "/api/v1/albums/" + id + "/members/" + member["user_id"].get<std::string>(), "", {}, bob).status, 204);
  EXPECT_EQ(Call("GET", "/api/v1/albums/" + id, "", {}, bob).status, 404);
  EXPECT_EQ(Call("DELETE", "/api/v1/albums/" + id, "", {}, bob).status, 404);
  EXPECT_EQ(Call("DELETE", "/api/v1/albums/" + id).status, 204);
  EXPECT_EQ(Call("GET", "/api/v1/albums/" + id).status, 404);
  EXPECT_EQ(Body(Call("GET", "/api/v1/assets"))["assets"].size(), 3u);
}

TEST_F(ApiTest, AShareLinkShowsItsAlbumAndNothingElse) {
  std::map<std::string, std::string> as_json = {{"Content-Type", "application/json"}};
  std::string inside = Upload("inside.jpg", FakeJpeg(1000, 51), 1600000000);
  std::string outside = Upload("outside.jpg", FakeJpeg(1000, 52), 1600000000);
  std::string id = Body(Call("POST", "/api/v1/albums", json{{"name", "Trip"}, {"asset_ids", {inside}}}.dump(), as_json))["id"];
  auto created = Call("POST", "/api/v1/albums/" + id + "/links", "{}", as_json);
  ASSERT_EQ(created.status, 201) << created.body;
  json link = Body(created);
  EXPECT_EQ(link["allow_download"], true);
  EXPECT_EQ(link["show_location"], false);
  EXPECT_EQ(link["has_password"], false);
  std::string base = "/api/v1/shared/" + link["key"].get<std::string>();
  auto visit = [&](const std::string& path, const std::string& cookie = "") {
    std::map<std::string, std::string> headers;
    if (!cookie.empty()) headers["Cookie"] = cookie;
    auto reply = client_->Send("GET", base + path, headers);
    EXPECT_TRUE(reply);
    return reply ? *reply : client::HttpReply{};
  };
  json shared = Body(visit(""));
  EXPECT_EQ(shared["album"]["name"], "Trip");
  EXPECT_EQ(shared["album"]["asset_count"], 1);
  EXPECT_FALSE(shared["album"].contains("owner"));
  json listed = Body(visit("/assets"));
  ASSERT_EQ(listed["assets"].size(), 1u);
  json item = listed["assets"][0];
  EXPECT_EQ(item["id"], inside);
  for (const char* hidden : {"sha256", "device_id", "device_asset_id", "owner_id", "uploaded_at"}) {
    EXPECT_FALSE(item.contains(hidden)) << hidden;
  }
  EXPECT_FALSE(item["media"].contains("latitude"));
  EXPECT_EQ(item["original_url"], base + "/assets/" + inside + "/original");
  // (A link that hides the place serves originals rewritten without it: see the next test.
  // This one is about what a link reaches, with the stored bytes as they are.)
  std::string link_path = "/api/v1/albums/" + id + "/links/" + link["id"].get<std::string>();
  Call("PATCH", link_path, R"({"show_location":true})", as_json);
  auto original = visit("/assets/" + inside + "/original");
  EXPECT_EQ(original.status, 200);
  EXPECT_EQ(original.body, FakeJpeg(1000, 51));
  // Everything outside the album is missing, whichever file is asked for.
  for (const char* file : {"original", "thumbnail", "preview", "playback"}) {
    EXPECT_EQ(visit("/assets/" + outside + "/" + file).status, 404) << file;
  }
  EXPECT_EQ(client_->Send("GET", "/api/v1/assets/" + inside + "/original", {})->status, 401);
  EXPECT_EQ(client_->Send("GET", "/api/v1/albums/" + id, {})->status, 401);
  // The whole album as a zip.
  auto zip = visit("/download");
  ASSERT_EQ(zip.status, 200);
  EXPECT_EQ(zip.Header("content-type"), "application/zip");
  EXPECT_EQ(Unzip(zip.body), (std::map<std::string, std::string>{{"inside.jpg", Sha256Hex(FakeJpeg(1000, 51))}}));

  // Downloads off: the original and the zip are refused, the photo still shows.
  EXPECT_EQ(Body(Call("PATCH", link_path, R"({"allow_download":false})", as_json))["allow_download"], false);
  EXPECT_EQ(visit("/assets/" + inside + "/original").status, 403);
  EXPECT_EQ(visit("/download").status, 403);
  EXPECT_EQ(Body(visit("/assets"))["assets"][0]["original_url"], nullptr);

  // A password: nothing shows until it is entered, by a POST; a cookie for this link proves it.
  Call("PATCH", link_path, R"({"password":"open sesame"})", as_json);
  auto locked = visit("");
  EXPECT_EQ(locked.status, 401);
  EXPECT_EQ(ErrorCodeOf(locked), "link_password_required");
  EXPECT_EQ(visit("/assets").status, 401);
  EXPECT_EQ(visit("/assets/" + inside + "/thumbnail").status, 401);
  auto unlock = [&](const std::string& password) {
    auto reply = client_->Send("POST", base + "/unlock", as_json, json{{"password", password}}.dump());
    EXPECT_TRUE(reply);
    return reply ? *reply : client::HttpReply{};
  };
  EXPECT_EQ(ErrorCodeOf(unlock("wrong")), "invalid_credentials");
  auto opened = unlock("open sesame");
  ASSERT_EQ(opened.status, 204) << opened.body;
  std::string set_cookie = opened.Header("set-cookie");
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set_cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_NE(set_cookie.find("Path=" + base), std::string::npos);
  std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
  EXPECT_EQ(set_cookie.find("open sesame"), std::string::npos);
  EXPECT_EQ(visit("", cookie).status, 200);
  EXPECT_EQ(visit("/assets/" + outside + "/thumbnail", cookie).status, 404);
  EXPECT_EQ(visit("", "shoebox_link=forged").status, 401);
  // A new password voids what the old one unlocked.
  Call("PATCH", link_path, R"({"password":"another one"})", as_json);
  EXPECT_EQ(visit("", cookie).status, 401);
  // Expiry and revocation.
  Call("PATCH", link_path, R"({"password":null,"expires_at":"2001-01-01T00:00:00Z"})", as_json);
  EXPECT_EQ(ErrorCodeOf(visit("")), "link_expired");
  EXPECT_EQ(Call("DELETE", link_path).status, 204);
  EXPECT_EQ(visit("").status, 404);
  EXPECT_EQ(visit("/assets/" + inside + "/original").status, 404);
}

// Runs a shell command; returns its standard output.
std::string Shell(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  char chunk[4096];
  while (pipe && fgets(chunk, sizeof chunk, pipe)) out += chunk;
  if (pipe) pclose(pipe);
  return out;
}

TEST_F(ApiTest, ALinkThatHidesThePlaceServesFilesWithoutIt) {
  std::map<std::string, std::string> as_json = {{"Content-Type", "application/json"}};
  TempDir dir;
  std::string jpeg = (dir.path() / "paris.jpg").string(), mp4 = (dir.path() / "paris.mp4").string();
  Shell("vips gaussnoise " + jpeg + " 64 48 && exiftool -q -overwrite_original "
        "-DateTimeOriginal='2020:09:13 12:00:00' -GPSLatitude=48.85 -GPSLatitudeRef=N "
        "-GPSLongitude=2.35 -GPSLongitudeRef=E " + jpeg);
  Shell("ffmpeg -v error -f lavfi -i testsrc=size=64x48:rate=5 -t 1 -pix_fmt yuv420p "
        "-metadata location=+48.8500+002.3500/ -metadata title=Paris -y " + mp4);
  std::string photo = Upload("paris.jpg", ReadFile(jpeg), 1600000000);
  std::string video = Upload("paris.mp4", ReadFile(mp4), 1600000000);
  MediaInfo info;
  info.latitude = 48.85;
  info.longitude = 2.35;
  MediaPatch patch;
  patch.taken_at_and_info = std::pair{UnixMillis{1600000000000}, info};
  ASSERT_TRUE(server_->runtime().store().Assets().UpdateMedia(photo, patch));
  std::string id = Body(Call("POST", "/api/v1/albums", json{{"name", "Paris"}, {"asset_ids", {photo, video}}}.dump(), as_json))["id"];
  json link = Body(Call("POST", "/api/v1/albums/" + id + "/links", "{}", as_json));
  std::string base = "/api/v1/shared/" + link["key"].get<std::string>();
  auto get = [&](const std::string& path) {
    auto reply = client_->Send("GET", base + path, {});
    EXPECT_TRUE(reply);
    return reply ? *reply : client::HttpReply{};
  };
  // The album's JSON leaves the place out; the owner still sees it.
  json items = Body(get("/assets"));
  EXPECT_FALSE(items["assets"][0]["media"].contains("latitude"));
  json mine = Body(Call("GET", "/api/v1/albums/" + id + "/assets"));
  EXPECT_EQ(mine["assets"][0]["media"]["latitude"], 48.85);
  // The photo's file: no GPS, the capture time kept.
  auto original = get("/assets/" + photo + "/original");
  ASSERT_EQ(original.status, 200) << original.body;
  WriteFile(dir.path() / "got.jpg", original.body);
  std::string tags = Shell("exiftool -s -DateTimeOriginal -GPSLatitude " + (dir.path() / "got.jpg").string());
  EXPECT_EQ(tags.find("GPSLatitude"), std::string::npos) << tags;
  EXPECT_NE(tags.find("2020:09:13 12:00:00"), std::string::npos) << tags;
  // The video's file (played as it is stored): no location tag.
  auto clip = get("/assets/" + video + "/original");
  ASSERT_EQ(clip.status, 200) << clip.body;
  WriteFile(dir.path() / "got.mp4", clip.body);
  std::string probe = Shell("ffprobe -v error -show_entries format_tags " + (dir.path() / "got.mp4").string());
  EXPECT_EQ(probe.find("location"), std::string::npos) << probe;
  EXPECT_NE(Shell("ffprobe -v error -show_entries format_tags " + mp4).find("location"), std::string::npos);
  // And in the zip.
  auto zip = get("/download");
  ASSERT_EQ(zip.status, 200);
  WriteFile(dir.path() / "all.zip", zip.body);
  Shell("cd " + dir.path().string() + " && /usr/bin/python3 -c \"import zipfile; zipfile.ZipFile('all.zip').extractall('x')\"");
  EXPECT_EQ(Shell("exiftool -s -GPSLatitude " + (dir.path() / "x" / "paris.jpg").string()), "");
  // The owner's own download stays byte for byte what was uploaded.
  EXPECT_EQ(Call("GET", "/api/v1/assets/" + photo + "/original").body, ReadFile(jpeg));
  // Showing the place: the stored bytes as they are.
  Call("PATCH", "/api/v1/albums/" + id + "/links/" + link["id"].get<std::string>(), R"({"show_location":true})", as_json);
  EXPECT_EQ(Body(get("/assets"))["assets"][0]["media"]["latitude"], 48.85);
  EXPECT_EQ(get("/assets/" + photo + "/original").body, ReadFile(jpeg));
}

TEST_F(ApiTest, BulkActionsAndZipDownloadsOfASelection) {
  std::map<std::string, std::string> as_json = {{"Content-Type", "application/json"}};
  std::string one = Upload("same.jpg", FakeJpeg(1000, 71), 1600000000);
  std::string two = Upload("same.jpg", FakeJpeg(2000, 72), 1600000000);
  std::string bob = server_->CreateUserAndLogin("bob@example.com");
  std::string bobs = Upload("bob.jpg", FakeJpeg(1000, 73), 1600000000, bob);
  auto bulk = [&](const std::vector<std::string>& ids, const std::string& action) {
    return Call("POST", "/api/v1/assets/bulk", json{{"asset_ids", ids}, {"action", action}}.dump(), as_json);
  };
  EXPECT_EQ(Body(bulk({one, two, one}, "favorite"))["updated"], 2);
  EXPECT_EQ(Body(bulk({one, two}, "favorite"))["updated"], 0);
  EXPECT_EQ(Body(Call("GET", "/api/v1/assets?favorite=true"))["assets"].size(), 2u);
  // Someone else's id in the list: nothing changes at all.
  EXPECT_EQ(bulk({one, bobs}, "trash").status, 404);
  EXPECT_EQ(Body(Call("GET", "/api/v1/assets"))["assets"].size(), 2u);
  EXPECT_EQ(Body(Call("GET", "/api/v1/assets/" + bobs, "", {}, bob))["trashed_at"], nullptr);
  EXPECT_EQ(bulk({one}, "explode").status, 400);
  EXPECT_EQ(bulk({}, "trash").status, 400);
  EXPECT_EQ(Body(bulk({one, two}, "archive"))["updated"], 2);
  EXPECT_EQ(Body(Call("GET", "/api/v1/assets?visibility=archive"))["assets"].size(), 2u);
  EXPECT_EQ(Body(bulk({one, two}, "unarchive"))["updated"], 2);
  EXPECT_EQ(Body(bulk({two}, "trash"))["updated"], 1);
  EXPECT_EQ(Body(bulk({two}, "restore"))["updated"], 1);

  // A zip of the selection: same-named files both kept, sizes announced up front.
  EXPECT_EQ(Call("POST", "/api/v1/downloads", json{{"asset_ids", {one, bobs}}}.dump(), as_json).status, 404);
  auto created = Call("POST", "/api/v1/downloads", json{{"asset_ids", {one, two}}}.dump(), as_json);
  ASSERT_EQ(created.status, 201) << created.body;
  json request = Body(created);
  EXPECT_EQ(request["name"], "shoebox-2-items.zip");
  auto zip = Call("GET", request["url"]);
  ASSERT_EQ(zip.status, 200);
  EXPECT_EQ(zip.body.size(), request["size"].get<std::size_t>());
  EXPECT_EQ(zip.Header("content-length"), std::to_string(zip.body.size()));
  EXPECT_EQ(Unzip(zip.body), (std::map<std::string, std::string>{
                                 {"same.jpg", Sha256Hex(FakeJpeg(1000, 71))},
                                 {"same (2).jpg", Sha256Hex(FakeJpeg(2000, 72))}}));
  EXPECT_EQ(Call("GET", request["url"], "", {}, bob).status, 404);
}

// Every route is documented in the OpenAPI file.
TEST_F(ApiTest, EveryRouteIsInTheOpenApiFile) {
  std::string spec = ReadFile(SHOEBOX_SOURCE_DIR "/docs/api/openapi.yaml");
  ASSERT_FALSE(spec.empty());
  http::Router router = api::BuildRouter(server_->runtime().api());
  for (const http::Route& route : router.routes()) {
    auto at = spec.find("\n  " + route.pattern + ":");
    ASSERT_NE(at, std::string::npos) << route.pattern;
    auto next = spec.find("\n  /", at + 3);
    std::string section = spec.substr(at, next == std::string::npos ? std::string::npos : next - at);
    EXPECT_NE(section.find("\n    " + AsciiLower(route.method) + ":"), std::string::npos)
        << route.method << " " << route.pattern;
  }
}

// ------------------------------------------------------------------------------ transport.

TEST_F(ApiTest, GarbageAndOversizedHeadersGetCleanErrors) {
  {
    RawConnection raw(server_->address());
    raw.Send("THIS IS NOT HTTP\r\n\r\n");
    EXPECT_NE(raw.ReadAll().find("400"), std::string::npos);
  }
  {
    RawConnection raw(server_->address());
    raw.Send("GET /api/v1/me HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(40'000, 'a') + "\r\n\r\n");
    EXPECT_NE(raw.ReadAll().find("431"), std::string::npos);
  }
  {
    RawConnection raw(server_->address());
    raw.Send(std::string("GET /\0\x01\x02 HTTP/1.1\r\n\r\n", 22));
    EXPECT_NE(raw.ReadAll().find("400"), std::string::npos);
  }
  EXPECT_EQ(Call("GET", "/api/v1/me").status, 200);
  auto unknown = Call("GET", "/api/v1/nope");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(ErrorCodeOf(unknown), "not_found");
  auto wrong_method = Call("PUT", "/api/v1/me");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.Header("allow"), "GET, PATCH");
  EXPECT_EQ(Call("POST", "/api/v1/api-keys", std::string(9'000'000, '{')).status, 413);
}

TEST_F(ApiTest, KeepAliveRequestIdsHealthAndMetrics) {
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Call("GET", "/api/v1/me").status, 200);
  auto me = Call("GET", "/api/v1/me", "", {{"X-Request-Id", "trace-123"}});
  EXPECT_EQ(me.Header("x-request-id"), "trace-123");
  EXPECT_FALSE(Call("GET", "/api/v1/me").Header("x-request-id").empty());
  auto health = client_->Send("GET", "/healthz", {});
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(Body(*health)["status"], "ok");
  Upload("m.jpg", FakeJpeg(5000));
  auto metrics = client_->Send("GET", "/metrics", {});
  EXPECT_EQ(metrics->status, 200);
  for (const char* name : {"shoebox_http_requests_total", "shoebox_http_received_bytes_total",
                           "shoebox_http_sent_bytes_total", "shoebox_uploads_in_flight",
                           "shoebox_assets 1", "shoebox_storage_bytes 5000"}) {
    EXPECT_NE(metrics->body.find(name), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace shoebox::testing
