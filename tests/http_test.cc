// The transport's pure parts: query parsing, client addresses behind proxies, error mapping.
#include <gtest/gtest.h>

#include "http/error_response.h"
#include "http/http_message.h"
#include "http/router.h"

namespace shoebox::http {
namespace {

TEST(HttpTest, ForwardedForIsBelievedOnlyFromTrustedProxies) {
  std::vector<std::string> trusted = {"127.0.0.1", "10.0.0.2"};
  EXPECT_EQ(ClientAddress("127.0.0.1", "203.0.113.7", trusted), "203.0.113.7");
  // Clients can prepend anything; the rightmost untrusted hop is the one the proxy saw.
  EXPECT_EQ(ClientAddress("127.0.0.1", "6.6.6.6, 203.0.113.7, 10.0.0.2", trusted), "203.0.113.7");
  EXPECT_EQ(ClientAddress("198.51.100.9", "203.0.113.7", trusted), "198.51.100.9");
  EXPECT_EQ(ClientAddress("127.0.0.1", "", trusted), "127.0.0.1");
  EXPECT_EQ(ClientAddress("127.0.0.1", "203.0.113.7", {}), "127.0.0.1");
}

TEST(HttpTest, QueriesAndErrorsMapAsDocumented) {
  auto query = ParseQuery("a=1&b=x%20y&c&d=%zz");
  EXPECT_EQ(query["a"], "1");
  EXPECT_EQ(query["b"], "x y");
  EXPECT_EQ(query["c"], "");
  EXPECT_EQ(query["d"], "%zz");
  EXPECT_EQ(HttpStatusFor(ErrorCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kChecksumMismatch), 460);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kInsufficientStorage), 507);
  HttpResponse response = ErrorResponse(MakeError(ErrorCode::kPhotoTooLarge, "photo 80.0 MB > 75.0 MB"));
  EXPECT_EQ(response.status, 413);
  EXPECT_EQ(response.body,
            R"({"error":{"code":"photo_too_large","message":"photo 80.0 MB > 75.0 MB"}})");
}

}  // namespace
}  // namespace shoebox::http
