#include "adapters/s3/s3_client.h"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <random>
#include <thread>

#include "adapters/s3/s3_xml.h"
#include "core/durable_file.h"
#include "core/hashing.h"
#include "core/text.h"

namespace shoebox::s3 {
namespace {

// XML listings and error documents are small; a Range window is at most a few MiB.
constexpr std::size_t kMaxResponseBytes = 64 * 1024 * 1024;
constexpr std::size_t kMaxIdleHandles = 8;
constexpr int kFirstBackoffMillis = 100;
constexpr int kMaxBackoffMillis = 10'000;

void InitCurlOnce() {
  static const bool initialized = [] {
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  }();
  (void)initialized;
}

bool IsRetryableStatus(const S3Response& response) {
  if (response.status >= 500 || response.status == 429) return true;
  // S3 says 400 RequestTimeout when the client was too slow to send; a new try may be faster.
  return response.status == 400 &&
         response.body.find("<Code>RequestTimeout</Code>") != std::string::npos;
}

// Errors of the transfer itself that no retry can fix.
bool IsPermanentCurlError(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_UNKNOWN_OPTION:
      return true;
    default:
      return false;
  }
}

int BackoffMillis(int attempt) {
  thread_local std::mt19937 random{std::random_device{}()};
  int ceiling = std::min(kMaxBackoffMillis, kFirstBackoffMillis << std::min(attempt - 1, 16));
  // "Equal jitter": at least half the backoff, so retries still spread out under load.
  return std::uniform_int_distribution<int>(ceiling / 2, ceiling)(random);
}

Result<std::string> HashFileRange(const FileBody& file) {
  Sha256Stream hash;
  std::string buffer(1024 * 1024, '\0');
  std::int64_t done = 0;
  while (done < file.length) {
    auto want = static_cast<std::size_t>(
        std::min<std::int64_t>(file.length - done, static_cast<std::int64_t>(buffer.size())));
    ssize_t n = ::pread(file.fd, buffer.data(), want, file.offset + done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrorFromErrno(errno, "read the body of an S3 request");
    if (n == 0)
      return MakeError(ErrorCode::kInternal, "the body of an S3 request is shorter than expected");
    hash.Update(std::span<const char>(buffer.data(), static_cast<std::size_t>(n)));
    done += n;
  }
  return hash.FinishHex();
}

}  // namespace

// The state of one try, reached from curl's callbacks.
struct S3Client::Attempt {
  const S3Request* request = nullptr;
  std::int64_t sent = 0;
  S3Response response;
  std::optional<Error> failure;  // why a callback stopped the transfer

  static std::size_t Read(char* buffer, std::size_t size, std::size_t count, void* data) {
    auto* self = static_cast<Attempt*>(data);
    const S3Request& request = *self->request;
    std::size_t room = size * count;
    if (request.file) {
      const FileBody& file = *request.file;
      auto want = static_cast<std::size_t>(
          std::min<std::int64_t>(file.length - self->sent, static_cast<std::int64_t>(room)));
      if (want == 0) return 0;
      while (true) {
        ssize_t n = ::pread(file.fd, buffer, want, file.offset + self->sent);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          self->failure = n < 0
                              ? ErrorFromErrno(errno, "read the body of an S3 request")
                              : MakeError(ErrorCode::kInternal, "the body of an S3 request shrank");
          return CURL_READFUNC_ABORT;
        }
        self->sent += n;
        return static_cast<std::size_t>(n);
      }
    }
    auto want = std::min(request.body.size() - static_cast<std::size_t>(self->sent), room);
    std::copy_n(request.body.data() + self->sent, want, buffer);
    self->sent += static_cast<std::int64_t>(want);
    return want;
  }

  static std::size_t Write(char* bytes, std::size_t size, std::size_t count, void* data) {
    auto* self = static_cast<Attempt*>(data);
    std::size_t n = size * count;
    if (self->response.body.size() + n > kMaxResponseBytes) {
      self->failure = MakeError(ErrorCode::kInternal, "S3 response larger than expected");
      return 0;
    }
    self->response.body.append(bytes, n);
    return n;
  }

  static std::size_t Header(char* bytes, std::size_t size, std::size_t count, void* data) {
    auto* self = static_cast<Attempt*>(data);
    std::string_view line(bytes, size * count);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.starts_with("HTTP/")) {
      self->response.headers.clear();  // a new response (after "100 Continue", say)
    } else if (std::size_t colon = line.find(':'); colon != std::string_view::npos) {
      self->response.headers[AsciiLower(line.substr(0, colon))] =
          std::string(TrimSpaces(line.substr(colon + 1)));
    }
    return size * count;
  }
};

std::string S3Response::Header(std::string_view lower_case_name) const {
  auto it = headers.find(std::string(lower_case_name));
  return it == headers.end() ? std::string() : it->second;
}

std::int64_t MultipartPartBytes(std::int64_t wanted, std::int64_t object_bytes) {
  constexpr std::int64_t kMiB = 1024 * 1024;
  constexpr std::int64_t kMinPartBytes = 5 * kMiB;
  constexpr std::int64_t kMaxPartBytes = 5 * 1024 * kMiB;
  constexpr std::int64_t kMaxParts = 10'000;
  std::int64_t part = std::clamp(wanted, kMinPartBytes, kMaxPartBytes);
  return std::max(part, (object_bytes + kMaxParts - 1) / kMaxParts);
}

std::string EncodeKeyPath(std::string_view key) {
  std::string out;
  std::size_t start = 0;
  while (true) {
    std::size_t end = key.find('/', start);
    out += PercentEncode(key.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return out;
    out += '/';
    start = end + 1;
  }
}

std::string CanonicalQuery(std::vector<std::pair<std::string, std::string>> query) {
  for (auto& [name, value] : query) {
    name = PercentEncode(name);
    value = PercentEncode(value);
  }
  std::sort(query.begin(), query.end());
  std::string out;
  for (const auto& [name, value] : query) {
    if (!out.empty()) out += '&';
    out += name + "=" + value;
  }
  return out;
}

Result<std::unique_ptr<S3Client>> S3Client::Create(const S3Options& options) {
  if (options.bucket.empty()) return MakeError(ErrorCode::kBadRequest, "S3: no bucket given");
  std::string_view endpoint = options.endpoint;
  std::size_t scheme_end = endpoint.find("://");
  std::string scheme = scheme_end == std::string_view::npos
                           ? std::string()
                           : AsciiLower(endpoint.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") {
    return MakeError(ErrorCode::kBadRequest,
                     "S3 endpoint must start with http:// or https://: '" + options.endpoint + "'");
  }
  std::string_view rest = endpoint.substr(scheme_end + 3);
  std::size_t slash = rest.find('/');
  std::string authority(rest.substr(0, slash));
  std::string base_path(slash == std::string_view::npos ? std::string_view() : rest.substr(slash));
  while (!base_path.empty() && base_path.back() == '/') base_path.pop_back();
  if (authority.empty() || authority.find_first_of("?#@ ") != std::string::npos) {
    return MakeError(ErrorCode::kBadRequest,
                     "S3 endpoint has no usable host: '" + options.endpoint + "'");
  }
  if (options.region.empty() || options.region.find(':') != std::string::npos) {
    return MakeError(ErrorCode::kBadRequest, "S3 region must be set and without ':'");
  }
  InitCurlOnce();
  return std::unique_ptr<S3Client>(
      new S3Client(options, std::move(scheme), std::move(authority), std::move(base_path)));
}

S3Client::S3Client(const S3Options& options, std::string scheme, std::string authority,
                   std::string base_path)
    : options_(options),
      scheme_(std::move(scheme)),
      authority_(std::move(authority)),
      base_path_(std::move(base_path)),
      sigv4_("aws:amz:" + options.region + ":s3") {}

S3Client::~S3Client() {
  for (void* handle : idle_handles_) curl_easy_cleanup(static_cast<CURL*>(handle));
}

void* S3Client::AcquireHandle() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_handles_.empty()) {
      void* handle = idle_handles_.back();
      idle_handles_.pop_back();
      return handle;
    }
  }
  return curl_easy_init();
}

void S3Client::ReleaseHandle(void* handle) {
  // Reset keeps the handle's open connections for the next request.
  curl_easy_reset(static_cast<CURL*>(handle));
  std::lock_guard lock(mutex_);
  if (idle_handles_.size() < kMaxIdleHandles) {
    idle_handles_.push_back(handle);
    return;
  }
  curl_easy_cleanup(static_cast<CURL*>(handle));
}

std::string S3Client::Url(const std::string& key) const {
  if (options_.path_style) {
    std::string url =
        scheme_ + "://" + authority_ + base_path_ + "/" + PercentEncode(options_.bucket);
    if (!key.empty()) url += "/" + EncodeKeyPath(key);
    return url;
  }
  return scheme_ + "://" + options_.bucket + "." + authority_ + base_path_ + "/" +
         EncodeKeyPath(key);
}

Result<S3Response> S3Client::Send(const S3Request& request) {
  std::string payload_hash;
  if (request.file) {
    SHOEBOX_ASSIGN(payload_hash, HashFileRange(*request.file));
  } else {
    payload_hash = Sha256Hex(request.body);
  }
  std::string url = Url(request.key);
  if (!request.query.empty()) url += "?" + CanonicalQuery(request.query);

  int attempts = std::max(1, options_.max_attempts);
  for (int attempt = 1;; ++attempt) {
    Result<S3Response> result = SendOnce(request, url, payload_hash);
    bool retry = result ? IsRetryableStatus(*result) : result.error().retryable;
    if (!retry || attempt >= attempts) {
      if (!result && result.error().code == ErrorCode::kUnavailable) {
        Error error = result.error();
        error.message += " (after " + std::to_string(attempt) + " attempts)";
        return error;
      }
      return result;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(BackoffMillis(attempt)));
  }
}

Result<S3Response> S3Client::SendOnce(const S3Request& request, const std::string& url,
                                      const std::string& payload_hash) {
  CURL* curl = static_cast<CURL*>(AcquireHandle());
  if (curl == nullptr) return MakeError(ErrorCode::kInternal, "curl_easy_init failed");
  struct Cleanup {
    S3Client* client;
    CURL* curl;
    curl_slist* headers = nullptr;
    ~Cleanup() {
      curl_slist_free_all(headers);
      client->ReleaseHandle(curl);
    }
  } cleanup{this, curl};

  Attempt attempt;
  attempt.request = &request;
  std::string header_line = "x-amz-content-sha256: " + payload_hash;
  cleanup.headers = curl_slist_append(cleanup.headers, header_line.c_str());
  for (const auto& [name, value] : request.headers) {
    header_line = name + ": " + value;
    cleanup.headers = curl_slist_append(cleanup.headers, header_line.c_str());
  }
  std::int64_t body_length =
      request.file ? request.file->length : static_cast<std::int64_t>(request.body.size());
  char error_buffer[CURL_ERROR_SIZE] = "";

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4_.c_str());
  curl_easy_setopt(curl, CURLOPT_USERNAME, options_.access_key.c_str());
  curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.secret_key.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, cleanup.headers);
  // SigV4 signs the Host header; S3 speaks HTTP/1.1 anyway.
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10'000L);
  // No overall timeout (a part may take long on a slow link): a transfer stalled for a minute
  // fails and is retried.
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Attempt::Write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &attempt);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &Attempt::Header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &attempt);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, &Attempt::Read);
  curl_easy_setopt(curl, CURLOPT_READDATA, &attempt);
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_length));
  } else if (request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_length));
  } else if (request.method == "DELETE") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "DELETE");
  } else if (request.method != "GET") {
    return MakeError(ErrorCode::kInternal, "S3: unsupported method " + request.method);
  }

  CURLcode code = curl_easy_perform(curl);
  if (attempt.failure) return *attempt.failure;
  if (code != CURLE_OK) {
    std::string message = "S3 " + request.method + " " + url + ": " +
                          (error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code));
    if (IsPermanentCurlError(code)) return MakeError(ErrorCode::kInternal, message);
    return MakeError(ErrorCode::kUnavailable, "S3 store unreachable: " + message);
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &attempt.response.status);
  if (request.error_document_at_200 && attempt.response.status == 200) {
    auto document = ParseXml(attempt.response.body);
    if (!document || document->name == "Error") attempt.response.status = 500;
  }
  return std::move(attempt.response);
}

Error S3Client::ErrorFrom(const S3Response& response, std::string_view what) {
  std::string code, message;
  if (!response.body.empty()) {
    if (auto document = ParseXml(response.body); document && document->name == "Error") {
      code = document->Text("Code");
      message = document->Text("Message");
    }
  }
  std::string text = std::string(what) + ": HTTP " + std::to_string(response.status);
  if (!code.empty()) text += " " + code;
  if (!message.empty()) text += " (" + message + ")";
  switch (response.status) {
    case 404:
      return MakeError(ErrorCode::kNotFound, text);
    case 403:
      return MakeError(
          ErrorCode::kInternal,
          text + "; the store refused the access key, the secret key or its permissions");
    case 412:
      return MakeError(ErrorCode::kConflict, text);
    case 416:
      return MakeError(ErrorCode::kRangeNotSatisfiable, text);
    default:
      break;
  }
  if (response.status >= 500 || response.status == 429) {
    return MakeError(ErrorCode::kUnavailable, text);
  }
  return MakeError(ErrorCode::kInternal, text);
}

}  // namespace shoebox::s3
