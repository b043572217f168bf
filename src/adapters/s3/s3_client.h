// The HTTP side of the S3 adapter: builds a request's URL (path-style or virtual-host, every key
// segment percent-encoded once as SigV4 wants, the query sorted), signs it with libcurl's
// CURLOPT_AWS_SIGV4, sends it with the SHA-256 of its body, and retries what may succeed later.
// Internal to adapters/s3.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/s3/s3_blob_store.h"
#include "core/error.h"

namespace shoebox::s3 {

// A request body read from [offset, offset + length) of a local file `fd` (not owned).
struct FileBody {
  int fd = -1;
  std::int64_t offset = 0;
  std::int64_t length = 0;
};

struct S3Request {
  std::string method = "GET";  // GET, HEAD, PUT, POST or DELETE
  // The object's full name in the bucket (prefix included); empty for the bucket itself.
  std::string key;
  std::vector<std::pair<std::string, std::string>> query;  // not encoded; any order
  // Extra headers ("x-amz-meta-...", "Range"...). All of them are signed, so none may be empty.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;              // sent when `file` is not set
  std::optional<FileBody> file;  // re-read from the start on each retry
  // CompleteMultipartUpload can answer 200 with an <Error> document, meaning it failed. With
  // this set such an answer is treated as a 500 (and retried like one).
  bool error_document_at_200 = false;
};

struct S3Response {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  bool ok() const { return status >= 200 && status < 300; }
  // The header's value, or "" when absent.
  std::string Header(std::string_view lower_case_name) const;
};

// Thread-safe. Keeps a few idle curl handles so connections are reused.
class S3Client {
 public:
  // kBadRequest when the options cannot work (no endpoint or bucket, not http(s)).
  static Result<std::unique_ptr<S3Client>> Create(const S3Options& options);
  ~S3Client();
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  // Sends `request`, trying again after 5xx, 429, S3's RequestTimeout and network failures, up
  // to max_attempts in all, sleeping 100 ms, 200 ms, 400 ms... (at most 10 s, with jitter)
  // between tries. Returns the last response whatever its status. Fails only when no response
  // came: kUnavailable when the store could not be reached, kInternal when the request could
  // not be made, or the error of reading `file`.
  Result<S3Response> Send(const S3Request& request);

  // What a response that is not a success means, for an operation described by `what`:
  // 404 kNotFound, 412 kConflict, 416 kRangeNotSatisfiable, 5xx and 429 kUnavailable, 403
  // kInternal (credentials), else kInternal; the message has S3's error code and message.
  static Error ErrorFrom(const S3Response& response, std::string_view what);

  // The URL `request` is sent to, without its query.
  std::string Url(const std::string& key) const;

 private:
  S3Client(const S3Options& options, std::string scheme, std::string authority,
           std::string base_path);
  struct Attempt;
  Result<S3Response> SendOnce(const S3Request& request, const std::string& url,
                              const std::string& payload_hash);
  void* AcquireHandle();
  void ReleaseHandle(void* handle);

  const S3Options options_;
  const std::string scheme_;     // "http" or "https"
  const std::string authority_;  // host[:port]
  const std::string base_path_;  // "" or "/path" without a trailing '/'
  const std::string sigv4_;      // "aws:amz:<region>:s3"
  std::mutex mutex_;
  std::vector<void*> idle_handles_;  // CURL*
};

// The part size for a multipart upload of `object_bytes`: `wanted` clamped to S3's limits (5 MiB
// to 5 GiB a part), grown until at most 10,000 parts are needed.
std::int64_t MultipartPartBytes(std::int64_t wanted, std::int64_t object_bytes);

// Each '/'-separated segment percent-encoded as RFC 3986 says (unreserved characters kept).
std::string EncodeKeyPath(std::string_view key);
// "a=1&b=" from unencoded pairs: names and values encoded, sorted, '=' even for empty values
// (SigV4's canonical query string, which libcurl 7.88 signs exactly as the URL has it).
std::string CanonicalQuery(std::vector<std::pair<std::string, std::string>> query);

}  // namespace shoebox::s3
