#include "adapters/s3/s3_blob_store.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <ctime>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <utility>

#include "adapters/s3/s3_client.h"
#include "adapters/s3/s3_xml.h"
#include "core/durable_file.h"
#include "core/ids.h"
#include "core/text.h"

namespace shoebox::s3 {
namespace {
namespace fs = std::filesystem;

constexpr std::int64_t kMiB = 1024 * 1024;
constexpr std::int64_t kMaxObjectBytes = 5 * 1024 * 1024 * kMiB;
// A writer stores a chunk once this much is buffered, even before Sync(): bounds its memory.
constexpr std::size_t kChunkBytes = 8 * kMiB;
// Reads fetch this much per Range request.
constexpr std::int64_t kReadWindowBytes = 4 * kMiB;
constexpr std::size_t kCopyBufferBytes = 1 * kMiB;

constexpr std::string_view kStagingDir = "staging/";
// Which upload a committed object came from (what makes CommitStaging idempotent and
// RemoveCommitted safe), and the token of a PutFile (so a retried PUT recognises its own object).
constexpr const char* kUploadHeader = "x-amz-meta-shoebox-upload";
constexpr const char* kPutHeader = "x-amz-meta-shoebox-put";


Result<void> CheckUploadId(const std::string& upload_id) {
  if (!IsCanonicalId(upload_id)) return MakeError(ErrorCode::kBadRequest, "invalid upload id");
  return {};
}

// A chunk's name ends in its start offset, zero-padded so that names sort by offset.
std::string OffsetName(std::int64_t offset) {
  std::string digits = std::to_string(offset);
  return std::string(20 - digits.size(), '0') + digits;
}

// The start offset a chunk's name ends in, or nullopt for another name.
std::optional<std::int64_t> ParseOffsetName(std::string_view name) {
  if (name.size() != 20 ||
      !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::int64_t offset = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), offset);
  if (ec != std::errc() || end != name.data() + name.size()) return std::nullopt;
  return offset;
}

std::string EscapeXml(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

struct ListedObject {
  std::string name;  // full name in the bucket
  std::int64_t size = 0;
  UnixMillis modified = 0;
};

struct Chunk {
  std::string name;
  std::int64_t start = 0;
  std::int64_t size = 0;
};

// Bytes [offset, offset + length) of the object `name`.
struct Segment {
  std::string name;
  std::int64_t offset = 0;
  std::int64_t length = 0;
  std::string etag;  // when known: a Range read then fails instead of mixing two versions
};

// The chunks that run without a gap from offset 0 (chunks sorted by start).
std::vector<Chunk> ContiguousRun(const std::vector<Chunk>& chunks) {
  std::vector<Chunk> run;
  std::int64_t expected = 0;
  for (const Chunk& chunk : chunks) {
    if (chunk.start != expected) break;
    run.push_back(chunk);
    expected += chunk.size;
  }
  return run;
}

std::int64_t EndOf(const std::vector<Chunk>& run) {
  return run.empty() ? 0 : run.back().start + run.back().size;
}

// The pieces of `run` holding bytes [offset, offset + length).
std::vector<Segment> SegmentsOf(const std::vector<Chunk>& run, std::int64_t offset,
                                std::int64_t length) {
  std::vector<Segment> segments;
  std::int64_t end = offset + length;
  for (const Chunk& chunk : run) {
    std::int64_t from = std::max(offset, chunk.start);
    std::int64_t to = std::min(end, chunk.start + chunk.size);
    if (from < to) segments.push_back(Segment{chunk.name, from - chunk.start, to - from, {}});
  }
  return segments;
}

// An unnamed file in the work folder, gone when closed.
class TempFile {
 public:
  static Result<TempFile> Create(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {  // a file system without O_TMPFILE
      std::string pattern = dir + "/shoebox-s3-XXXXXX";
      fd = ::mkostemp(pattern.data(), O_CLOEXEC);
      if (fd < 0) return ErrorFromErrno(errno, "create a temporary file in " + dir);
      ::unlink(pattern.c_str());
    }
    return TempFile(fd);
  }
  TempFile(TempFile&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  TempFile& operator=(TempFile&&) = delete;
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }

 private:
  explicit TempFile(int fd) : fd_(fd) {}
  int fd_;
};

// One part's bytes, from a local file; `owner` keeps a temporary copy alive.
struct PartBody {
  FileBody body;
  std::optional<TempFile> owner;
};
using PartSource = std::function<Result<PartBody>(std::int64_t offset, std::int64_t length)>;

// Reads segments in order, each through Range requests of at most kReadWindowBytes.
class S3Reader final : public BlobReader {
 public:
  S3Reader(std::shared_ptr<S3Client> client, std::vector<Segment> segments)
      : client_(std::move(client)), segments_(std::move(segments)) {}

  Result<std::size_t> Read(std::span<char> buffer) override {
    while (window_position_ == window_.size()) {
      if (segment_ == segments_.size()) return std::size_t{0};
      const Segment& segment = segments_[segment_];
      if (segment_done_ == segment.length) {
        ++segment_;
        segment_done_ = 0;
        continue;
      }
      SHOEBOX_TRY(FetchWindow(segment));
    }
    std::size_t n = std::min(buffer.size(), window_.size() - window_position_);
    std::copy_n(window_.data() + window_position_, n, buffer.data());
    window_position_ += n;
    return n;
  }

 private:
  Result<void> FetchWindow(const Segment& segment) {
    std::int64_t length = std::min(kReadWindowBytes, segment.length - segment_done_);
    std::int64_t first = segment.offset + segment_done_;
    S3Request request;
    request.key = segment.name;
    request.headers.emplace_back(
        "Range", "bytes=" + std::to_string(first) + "-" + std::to_string(first + length - 1));
    if (!segment.etag.empty()) request.headers.emplace_back("If-Match", segment.etag);
    SHOEBOX_ASSIGN(S3Response response, client_->Send(request));
    if (response.status == 412) {
      return MakeError(ErrorCode::kInternal, segment.name + " changed while being read");
    }
    if (!response.ok()) return S3Client::ErrorFrom(response, "S3 read " + segment.name);
    // 200 instead of 206 is a store ignoring Range: fine only when the range is the whole object.
    if ((response.status != 206 && first != 0) ||
        static_cast<std::int64_t>(response.body.size()) != length) {
      return MakeError(ErrorCode::kInternal, "S3 read " + segment.name + ": got " +
                                                 std::to_string(response.body.size()) +
                                                 " bytes, not " + std::to_string(length));
    }
    window_ = std::move(response.body);
    window_position_ = 0;
    segment_done_ += length;
    return {};
  }

  std::shared_ptr<S3Client> client_;
  std::vector<Segment> segments_;
  std::size_t segment_ = 0;
  std::int64_t segment_done_ = 0;  // bytes of the current segment fetched
  std::string window_;
  std::size_t window_position_ = 0;
};

Result<void> PutChunk(S3Client& client, const std::string& name, std::string bytes) {
  S3Request request;
  request.method = "PUT";
  request.key = name;
  request.body = std::move(bytes);
  // Overwriting a chunk with the same bytes is harmless, so retries need no precondition.
  SHOEBOX_ASSIGN(S3Response response, client.Send(request));
  if (!response.ok()) return S3Client::ErrorFrom(response, "S3 store chunk " + name);
  return {};
}

// Appends by storing chunks: the bytes buffered since the last one, at their start offset.
class S3StagingWriter final : public StagingWriter {
 public:
  S3StagingWriter(std::shared_ptr<S3Client> client, std::string chunk_prefix, std::int64_t offset)
      : client_(std::move(client)), chunk_prefix_(std::move(chunk_prefix)), buffer_start_(offset) {}

  Result<void> Write(std::span<const char> bytes) override {
    bool full;
    {
      std::lock_guard lock(mutex_);
      if (failure_) return *failure_;
      buffer_.append(bytes.data(), bytes.size());
      full = buffer_.size() >= kChunkBytes;
    }
    if (full) return Flush();
    return {};
  }

  Result<void> Sync() override { return Flush(); }

 private:
  // Stores what is buffered. Serialised, so that Sync() returns only once every chunk of a
  // Write() that returned before it (perhaps being stored by that Write() right now) is stored.
  Result<void> Flush() {
    std::lock_guard flushing(flush_mutex_);
    std::string bytes;
    std::int64_t start;
    {
      std::lock_guard lock(mutex_);
      if (failure_) return *failure_;
      bytes.swap(buffer_);
      start = buffer_start_;
      buffer_start_ += static_cast<std::int64_t>(bytes.size());
    }
    if (bytes.empty()) return {};
    auto stored = PutChunk(*client_, chunk_prefix_ + OffsetName(start), std::move(bytes));
    if (!stored) {
      // Later chunks would follow a gap: this writer is done (the upload resumes at the last
      // recorded offset through a new OpenStaging).
      std::lock_guard lock(mutex_);
      failure_ = stored.error();
    }
    return stored;
  }

  std::shared_ptr<S3Client> client_;
  const std::string chunk_prefix_;
  std::mutex flush_mutex_;
  std::mutex mutex_;  // guards the members below
  std::string buffer_;
  std::int64_t buffer_start_;
  std::optional<Error> failure_;
};

class S3BlobStore final : public BlobStore {
 public:
  S3BlobStore(std::shared_ptr<S3Client> client, S3Options options)
      : client_(std::move(client)), options_(std::move(options)) {}

  Result<void> CheckBucket() {
    S3Request request;
    request.method = "HEAD";
    SHOEBOX_ASSIGN(S3Response response, client_->Send(request));
    if (response.ok()) return {};
    if (response.status == 404) {
      return MakeError(ErrorCode::kNotFound, "S3 bucket '" + options_.bucket + "' does not exist");
    }
    return S3Client::ErrorFrom(response, "S3 bucket '" + options_.bucket + "'");
  }

  Result<std::unique_ptr<StagingWriter>> OpenStaging(const std::string& upload_id,
                                                     std::int64_t offset) override {
    SHOEBOX_TRY(CheckUploadId(upload_id));
    if (offset < 0) return MakeError(ErrorCode::kBadRequest, "negative upload offset");
    std::string prefix = StagingPrefix(upload_id);
    if (offset == 0) {
      SHOEBOX_ASSIGN(std::vector<Chunk> chunks, ListChunks(upload_id));
      // Already empty (created, then the first PATCH): nothing to store again.
      bool empty = chunks.size() == 1 && chunks[0].start == 0 && chunks[0].size == 0;
      if (!empty) {
        // An empty chunk at 0 makes the staging area exist (and empty) before any Sync().
        SHOEBOX_TRY(PutChunk(*client_, prefix + OffsetName(0), ""));
        for (const Chunk& chunk : chunks) {
          if (chunk.start != 0) SHOEBOX_TRY(DeleteObject(chunk.name));
        }
      }
    } else {
      SHOEBOX_ASSIGN(std::vector<Chunk> chunks, ListChunks(upload_id));
      std::vector<Chunk> run = ContiguousRun(chunks);
      if (EndOf(run) < offset) {
        return MakeError(ErrorCode::kConflict, "upload holds fewer bytes than recorded");
      }
      // `run` is a prefix of `chunks`. Newest first, so an interruption never leaves a gap
      // before chunks that remain.
      for (std::size_t i = chunks.size(); i-- > 0;) {
        if (i >= run.size() || chunks[i].start >= offset) SHOEBOX_TRY(DeleteObject(chunks[i].name));
      }
      for (const Chunk& chunk : run) {
        if (chunk.start < offset && offset < chunk.start + chunk.size) {
          SHOEBOX_TRY(TruncateChunk(chunk, offset - chunk.start));
        }
      }
    }
    return std::unique_ptr<StagingWriter>(new S3StagingWriter(client_, prefix, offset));
  }

  Result<std::unique_ptr<BlobReader>> ReadStaging(const std::string& upload_id, std::int64_t offset,
                                                  std::int64_t length) override {
    SHOEBOX_TRY(CheckUploadId(upload_id));
    SHOEBOX_ASSIGN(std::vector<Chunk> run, StagedRun(upload_id));
    if (offset < 0 || length < 0 || offset + length > EndOf(run)) {
      return MakeError(ErrorCode::kRangeNotSatisfiable, "range beyond the end of the upload");
    }
    return std::unique_ptr<BlobReader>(new S3Reader(client_, SegmentsOf(run, offset, length)));
  }

  Result<void> RemoveStaging(const std::string& upload_id) override {
    SHOEBOX_TRY(CheckUploadId(upload_id));
    SHOEBOX_ASSIGN(std::vector<Chunk> chunks, ListChunks(upload_id));
    for (const Chunk& chunk : chunks) SHOEBOX_TRY(DeleteObject(chunk.name));
    return {};
  }

  Result<void> ForEachStaging(
      const std::function<void(const std::string&, std::int64_t)>& visit) override {
    std::string staging = options_.prefix + std::string(kStagingDir);
    std::map<std::string, UnixMillis> newest;
    SHOEBOX_TRY(List(staging, [&](const ListedObject& object) {
      std::string_view rest = std::string_view(object.name).substr(staging.size());
      std::size_t slash = rest.find('/');
      if (slash == std::string_view::npos || slash == 0) return;
      UnixMillis& modified = newest[std::string(rest.substr(0, slash))];
      modified = std::max(modified, object.modified);
    }));
    for (const auto& [upload_id, modified] : newest) visit(upload_id, modified);
    return {};
  }

  Result<std::string> FreeKey(const std::string& wanted,
                              const std::function<bool(const std::string&)>& unavailable) override {
    if (!IsValidBlobKey(wanted)) return InvalidBlobKey(wanted);
    fs::path path(wanted);
    std::string stem = path.stem().string();
    std::string extension = path.extension().string();
    std::string parent = path.parent_path().string();
    for (int n = 0; n < 100000; ++n) {
      std::string key = n == 0 ? wanted
                               : (parent.empty() ? "" : parent + "/") + stem + " (" +
                                     std::to_string(n) + ")" + extension;
      SHOEBOX_ASSIGN(S3Response head, Head(Name(key)));
      if (head.status == 404 && !unavailable(key)) return key;
    }
    return MakeError(ErrorCode::kConflict, "no free name for " + wanted);
  }

  Result<void> CommitStaging(const std::string& upload_id, const std::string& key) override {
    if (!IsValidBlobKey(key)) return InvalidBlobKey(key);
    SHOEBOX_TRY(CheckUploadId(upload_id));
    SHOEBOX_ASSIGN(std::vector<Chunk> run, StagedRun(upload_id));
    std::int64_t size = EndOf(run);
    std::string name = Name(key);
    SHOEBOX_ASSIGN(S3Response head, Head(name));
    if (head.status == 200) {
      if (IsCommittedFrom(head, upload_id, size)) return {};  // an earlier call made it
      return MakeError(ErrorCode::kConflict, key + " is taken");
    }
    Result<void> uploaded;
    if (auto copied = CopyWithinStore(run, name, size, upload_id); !copied) {
      uploaded = copied.error();
    } else if (!*copied) {
      uploaded = Upload(name, size, {{kUploadHeader, upload_id}},
                        [&](std::int64_t offset, std::int64_t length) -> Result<PartBody> {
                          return CopyToTempFile(SegmentsOf(run, offset, length));
                        });
    }
    if (uploaded) return {};
    // The answer may have been lost after the store took the bytes (or If-None-Match said 412
    // because an earlier try got there): what the key holds decides.
    auto again = Head(name);
    if (again && IsCommittedFrom(*again, upload_id, size)) return {};
    if (uploaded.error().code == ErrorCode::kConflict) {
      return MakeError(ErrorCode::kConflict, key + " is taken");
    }
    return uploaded.error();
  }

  Result<std::unique_ptr<BlobReader>> Read(const std::string& key, std::int64_t offset,
                                           std::int64_t length) override {
    if (!IsValidBlobKey(key)) return InvalidBlobKey(key);
    std::string name = Name(key);
    SHOEBOX_ASSIGN(S3Response head, Head(name));
    if (head.status == 404) return MakeError(ErrorCode::kNotFound, key + " does not exist");
    SHOEBOX_ASSIGN(std::int64_t size, SizeOf(head, name));
    if (offset < 0 || length < 0 || offset + length > size) {
      return MakeError(ErrorCode::kRangeNotSatisfiable, "range beyond the end of the blob");
    }
    std::vector<Segment> segments;
    if (length > 0) segments.push_back(Segment{name, offset, length, head.Header("etag")});
    return std::unique_ptr<BlobReader>(new S3Reader(client_, std::move(segments)));
  }

  Result<void> PutFile(const std::string& key, const std::string& file) override {
    if (!IsValidBlobKey(key)) return InvalidBlobKey(key);
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrorFromErrno(errno, "open " + file);
    struct Closer {
      int fd;
      ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) return ErrorFromErrno(errno, "stat " + file);
    std::int64_t size = st.st_size;
    std::string name = Name(key);
    SHOEBOX_ASSIGN(S3Response head, Head(name));
    if (head.status == 200) return MakeError(ErrorCode::kConflict, key + " exists");
    std::string token = RandomToken(16);
    auto uploaded = Upload(name, size, {{kPutHeader, token}},
                           [fd](std::int64_t offset, std::int64_t length) -> Result<PartBody> {
                             return PartBody{FileBody{fd, offset, length}, std::nullopt};
                           });
    if (!uploaded) {
      auto again = Head(name);
      bool ours = again && again->status == 200 && again->Header(kPutHeader) == token &&
                  again->Header("content-length") == std::to_string(size);
      if (!ours && uploaded.error().code == ErrorCode::kConflict) {
        return MakeError(ErrorCode::kConflict, key + " exists");
      }
      if (!ours) return uploaded.error();
    }
    ::unlink(file.c_str());
    return {};
  }

  std::optional<std::string> LocalPath(const std::string&) override { return std::nullopt; }

  Result<BlobInfo> Stat(const std::string& key) override {
    if (!IsValidBlobKey(key)) return InvalidBlobKey(key);
    SHOEBOX_ASSIGN(S3Response head, Head(Name(key)));
    if (head.status == 404) return MakeError(ErrorCode::kNotFound, key + " does not exist");
    SHOEBOX_ASSIGN(std::int64_t size, SizeOf(head, key));
    return BlobInfo{size};
  }

  Result<void> Remove(const std::string& key) override {
    if (!IsValidBlobKey(key)) return InvalidBlobKey(key);
    return DeleteObject(Name(key));
  }

  Result<void> RemoveCommitted(const std::string& upload_id, const std::string& key) override {
    if (!IsValidBlobKey(key)) return InvalidBlobKey(key);
    SHOEBOX_TRY(CheckUploadId(upload_id));
    std::string name = Name(key);
    SHOEBOX_ASSIGN(S3Response head, Head(name));
    if (head.status == 404 || head.Header(kUploadHeader) != upload_id) return {};  // not ours
    return DeleteObject(name);
  }

  Result<void> ForEach(
      const std::string& prefix,
      const std::function<void(const std::string&, std::int64_t)>& visit) override {
    std::string staging = options_.prefix + std::string(kStagingDir);
    return List(options_.prefix + prefix, [&](const ListedObject& object) {
      if (object.name.starts_with(staging)) return;
      visit(object.name.substr(options_.prefix.size()), object.size);
    });
  }

  Result<std::int64_t> FreeBytes() override {
    // Nothing to count on S3, but a health check should notice a store that does not answer.
    SHOEBOX_TRY(CheckBucket());
    return std::numeric_limits<std::int64_t>::max();
  }

  Result<int> AbortStaleMultipartUploads(std::int64_t older_than_millis) {
    int aborted = 0;
    std::string key_marker, upload_id_marker;
    while (true) {
      S3Request request;
      request.query = {{"uploads", ""}, {"prefix", options_.prefix}};
      if (!key_marker.empty()) request.query.emplace_back("key-marker", key_marker);
      if (!upload_id_marker.empty())
        request.query.emplace_back("upload-id-marker", upload_id_marker);
      SHOEBOX_ASSIGN(S3Response response, client_->Send(request));
      if (!response.ok()) return S3Client::ErrorFrom(response, "S3 list multipart uploads");
      SHOEBOX_ASSIGN(XmlElement listing, ParseXml(response.body));
      // Ages by the store's clock, so a server whose clock is off aborts nothing early.
      UnixMillis now = ServerNow(response);
      for (const XmlElement* upload : listing.All("Upload")) {
        std::optional<UnixMillis> initiated = ParseRfc3339(upload->Text("Initiated"));
        if (!initiated || now - *initiated <= older_than_millis) continue;
        SHOEBOX_TRY(AbortMultipartUpload(upload->Text("Key"), upload->Text("UploadId")));
        ++aborted;
      }
      if (listing.Text("IsTruncated") != "true") return aborted;
      key_marker = listing.Text("NextKeyMarker");
      upload_id_marker = listing.Text("NextUploadIdMarker");
      if (key_marker.empty() && upload_id_marker.empty()) return aborted;
    }
  }

 private:
  std::string Name(const std::string& key) const { return options_.prefix + key; }
  std::string StagingPrefix(const std::string& upload_id) const {
    return options_.prefix + std::string(kStagingDir) + upload_id + "/";
  }

  static bool IsCommittedFrom(const S3Response& head, const std::string& upload_id,
                              std::int64_t size) {
    return head.status == 200 && head.Header(kUploadHeader) == upload_id &&
           head.Header("content-length") == std::to_string(size);
  }

  static Result<std::int64_t> SizeOf(const S3Response& head, const std::string& what) {
    std::optional<std::int64_t> size = ParseNonNegativeInt(head.Header("content-length"));
    if (!size) return MakeError(ErrorCode::kInternal, "S3 HEAD " + what + ": no Content-Length");
    return *size;
  }

  static UnixMillis ServerNow(const S3Response& response) {
    std::string date = response.Header("date");
    time_t seconds = date.empty() ? -1 : curl_getdate(date.c_str(), nullptr);
    if (seconds < 0) seconds = ::time(nullptr);
    return static_cast<UnixMillis>(seconds) * 1000;
  }

  // 200 or 404; any other answer is an error.
  Result<S3Response> Head(const std::string& name) {
    S3Request request;
    request.method = "HEAD";
    request.key = name;
    SHOEBOX_ASSIGN(S3Response response, client_->Send(request));
    if (response.status != 200 && response.status != 404) {
      return S3Client::ErrorFrom(response, "S3 HEAD " + name);
    }
    return response;
  }

  // Idempotent: a missing object is fine.
  Result<void> DeleteObject(const std::string& name) {
    S3Request request;
    request.method = "DELETE";
    request.key = name;
    SHOEBOX_ASSIGN(S3Response response, client_->Send(request));
    if (!response.ok() && response.status != 404) {
      return S3Client::ErrorFrom(response, "S3 DELETE " + name);
    }
    return {};
  }

  // ListObjectsV2 of everything under `prefix`, page by page.
  Result<void> List(const std::string& prefix,
                    const std::function<void(const ListedObject&)>& visit) {
    std::string token;
    while (true) {
      S3Request request;
      request.query = {{"list-type", "2"}, {"prefix", prefix}};
      if (!token.empty()) request.query.emplace_back("continuation-token", token);
      SHOEBOX_ASSIGN(S3Response response, client_->Send(request));
      if (!response.ok()) return S3Client::ErrorFrom(response, "S3 list " + prefix);
      SHOEBOX_ASSIGN(XmlElement listing, ParseXml(response.body));
      if (listing.name != "ListBucketResult") {
        return MakeError(ErrorCode::kInternal,
                         "S3 list " + prefix + ": unexpected <" + listing.name + ">");
      }
      for (const XmlElement* contents : listing.All("Contents")) {
        ListedObject object;
        object.name = contents->Text("Key");
        object.size = ParseNonNegativeInt(contents->Text("Size")).value_or(0);
        object.modified = ParseRfc3339(contents->Text("LastModified")).value_or(0);
        visit(object);
      }
      token = listing.Text("NextContinuationToken");
      if (listing.Text("IsTruncated") != "true" || token.empty()) return {};
    }
  }

  // The upload's chunks sorted by start offset (whether contiguous or not).
  Result<std::vector<Chunk>> ListChunks(const std::string& upload_id) {
    std::string prefix = StagingPrefix(upload_id);
    std::vector<Chunk> chunks;
    SHOEBOX_TRY(List(prefix, [&](const ListedObject& object) {
      std::optional<std::int64_t> start =
          ParseOffsetName(std::string_view(object.name).substr(prefix.size()));
      if (start) chunks.push_back(Chunk{object.name, *start, object.size});
    }));
    std::sort(chunks.begin(), chunks.end(),
              [](const Chunk& a, const Chunk& b) { return a.start < b.start; });
    return chunks;
  }

  // The upload's bytes: its chunks contiguous from 0; kNotFound when it has no staging area.
  Result<std::vector<Chunk>> StagedRun(const std::string& upload_id) {
    SHOEBOX_ASSIGN(std::vector<Chunk> chunks, ListChunks(upload_id));
    if (chunks.empty())
      return MakeError(ErrorCode::kNotFound, "no staging area for upload " + upload_id);
    return ContiguousRun(chunks);
  }

  // Rewrites `chunk` with only its first `keep` bytes (a chunk is at most a few MiB).
  Result<void> TruncateChunk(const Chunk& chunk, std::int64_t keep) {
    S3Reader reader(client_, {Segment{chunk.name, 0, keep, {}}});
    std::string bytes(static_cast<std::size_t>(keep), '\0');
    std::size_t done = 0;
    while (done < bytes.size()) {
      SHOEBOX_ASSIGN(std::size_t n,
                     reader.Read(std::span<char>(bytes.data() + done, bytes.size() - done)));
      if (n == 0) return MakeError(ErrorCode::kInternal, "S3 chunk " + chunk.name + " is short");
      done += n;
    }
    return PutChunk(*client_, chunk.name, std::move(bytes));
  }

  Result<PartBody> CopyToTempFile(std::vector<Segment> segments) {
    SHOEBOX_ASSIGN(TempFile file, TempFile::Create(options_.work_dir));
    S3Reader reader(client_, std::move(segments));
    std::string buffer(kCopyBufferBytes, '\0');
    std::int64_t written = 0;
    while (true) {
      SHOEBOX_ASSIGN(std::size_t n, reader.Read(buffer));
      if (n == 0) break;
      std::size_t done = 0;
      while (done < n) {
        ssize_t w = ::pwrite(file.fd(), buffer.data() + done, n - done, written);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return ErrorFromErrno(errno, "write a temporary file");
        done += static_cast<std::size_t>(w);
        written += w;
      }
    }
    int fd = file.fd();
    return PartBody{FileBody{fd, 0, written}, std::move(file)};
  }

  // The common case, an upload whose bytes are one chunk (sent in one request, or a few synced
  // as one): the store copies the chunk into `name` itself (CopyObject), so the bytes do not
  // travel through this server again. False when the staging area is in several chunks or over
  // CopyObject's 5 GiB: the caller then copies them through here.
  Result<bool> CopyWithinStore(const std::vector<Chunk>& run, const std::string& name,
                               std::int64_t size, const std::string& upload_id) {
    const Chunk* only = nullptr;
    for (const Chunk& chunk : run) {
      if (chunk.size == 0) continue;
      if (only != nullptr) return false;
      only = &chunk;
    }
    constexpr std::int64_t kCopyObjectMaxBytes = 5LL * 1024 * 1024 * 1024;
    if (only == nullptr || only->start != 0 || size > kCopyObjectMaxBytes) return false;
    S3Request request;
    request.method = "PUT";
    request.key = name;
    request.headers = {{"x-amz-copy-source", "/" + options_.bucket + "/" + EncodeKeyPath(only->name)},
                       {"x-amz-metadata-directive", "REPLACE"},
                       {kUploadHeader, upload_id},
                       {"Content-Type", "application/octet-stream"},
                       {"If-None-Match", "*"}};
    // Like CompleteMultipartUpload, CopyObject may answer 200 with an error document.
    request.error_document_at_200 = true;
    SHOEBOX_ASSIGN(S3Response response, client_->Send(request));
    if (!response.ok()) return S3Client::ErrorFrom(response, "S3 copy into " + name);
    SHOEBOX_ASSIGN(S3Response head, Head(name));
    if (head.status != 200 || head.Header("content-length") != std::to_string(size)) {
      return MakeError(ErrorCode::kInternal, "S3 " + name + " does not hold the " +
                                                 std::to_string(size) + " bytes just copied");
    }
    return true;
  }

  // Writes `size` bytes from `source` as the new object `name` (one PUT up to the part size,
  // else a multipart upload, aborted on failure), then checks the stored size.
  // kConflict when the store says the name is taken (If-None-Match).
  Result<void> Upload(const std::string& name, std::int64_t size,
                      const std::vector<std::pair<std::string, std::string>>& metadata,
                      const PartSource& source) {
    if (size > kMaxObjectBytes) {
      return MakeError(ErrorCode::kInternal, name + " is larger than S3's 5 TiB object limit");
    }
    std::int64_t part_bytes = MultipartPartBytes(options_.part_bytes, size);
    if (size <= part_bytes) {
      SHOEBOX_ASSIGN(PartBody part, source(0, size));
      S3Request request;
      request.method = "PUT";
      request.key = name;
      request.headers = metadata;
      request.headers.emplace_back("Content-Type", "application/octet-stream");
      request.headers.emplace_back("If-None-Match", "*");
      request.file = part.body;
      SHOEBOX_ASSIGN(S3Response response, client_->Send(request));
      if (!response.ok()) return S3Client::ErrorFrom(response, "S3 PUT " + name);
    } else {
      SHOEBOX_ASSIGN(std::string upload_id, CreateMultipartUpload(name, metadata));
      auto completed = UploadParts(name, upload_id, size, part_bytes, source);
      if (!completed) {
        (void)AbortMultipartUpload(name, upload_id);  // best effort; maintenance sweeps the rest
        return completed.error();
      }
    }
    SHOEBOX_ASSIGN(S3Response head, Head(name));
    if (head.status != 200 || head.Header("content-length") != std::to_string(size)) {
      return MakeError(ErrorCode::kInternal, "S3 " + name + " does not hold the " +
                                                 std::to_string(size) + " bytes just written");
    }
    return {};
  }

  Result<std::string> CreateMultipartUpload(
      const std::string& name, const std::vector<std::pair<std::string, std::string>>& metadata) {
    S3Request request;
    request.method = "POST";
    request.key = name;
    request.query = {{"uploads", ""}};
    request.headers = metadata;
    request.headers.emplace_back("Content-Type", "application/octet-stream");
    SHOEBOX_ASSIGN(S3Response response, client_->Send(request));
    if (!response.ok()) return S3Client::ErrorFrom(response, "S3 start multipart upload " + name);
    SHOEBOX_ASSIGN(XmlElement result, ParseXml(response.body));
    std::string upload_id = result.Text("UploadId");
    if (upload_id.empty()) {
      return MakeError(ErrorCode::kInternal, "S3 start multipart upload " + name + ": no UploadId");
    }
    return upload_id;
  }

  Result<void> UploadParts(const std::string& name, const std::string& upload_id, std::int64_t size,
                           std::int64_t part_bytes, const PartSource& source) {
    std::string complete =
        "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
    int number = 0;
    for (std::int64_t offset = 0; offset < size; offset += part_bytes) {
      ++number;
      SHOEBOX_ASSIGN(PartBody part, source(offset, std::min(part_bytes, size - offset)));
      S3Request request;
      request.method = "PUT";
      request.key = name;
      request.query = {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}};
      request.file = part.body;
      SHOEBOX_ASSIGN(S3Response response, client_->Send(request));
      if (!response.ok()) {
        return S3Client::ErrorFrom(response,
                                   "S3 upload part " + std::to_string(number) + " of " + name);
      }
      std::string etag = response.Header("etag");
      if (etag.empty())
        return MakeError(ErrorCode::kInternal, "S3 upload part of " + name + ": no ETag");
      complete += "<Part><PartNumber>" + std::to_string(number) + "</PartNumber><ETag>" +
                  EscapeXml(etag) + "</ETag></Part>";
    }
    complete += "</CompleteMultipartUpload>";
    S3Request request;
    request.method = "POST";
    request.key = name;
    request.query = {{"uploadId", upload_id}};
    request.headers = {{"Content-Type", "application/xml"}, {"If-None-Match", "*"}};
    request.body = std::move(complete);
    request.error_document_at_200 = true;
    SHOEBOX_ASSIGN(S3Response response, client_->Send(request));
    if (!response.ok())
      return S3Client::ErrorFrom(response, "S3 complete multipart upload " + name);
    return {};
  }

  Result<void> AbortMultipartUpload(const std::string& name, const std::string& upload_id) {
    S3Request request;
    request.method = "DELETE";
    request.key = name;
    request.query = {{"uploadId", upload_id}};
    SHOEBOX_ASSIGN(S3Response response, client_->Send(request));
    if (!response.ok() && response.status != 404) {
      return S3Client::ErrorFrom(response, "S3 abort multipart upload " + name);
    }
    return {};
  }

  std::shared_ptr<S3Client> client_;
  const S3Options options_;
};

}  // namespace

Result<std::unique_ptr<BlobStore>> OpenS3BlobStore(const S3Options& options) {
  S3Options checked = options;
  if (checked.work_dir.empty()) checked.work_dir = fs::temp_directory_path().string();
  SHOEBOX_TRY(CreateDirectoriesDurably(checked.work_dir));
  SHOEBOX_ASSIGN(std::unique_ptr<S3Client> client, S3Client::Create(checked));
  auto store = std::make_unique<S3BlobStore>(std::shared_ptr<S3Client>(std::move(client)), checked);
  SHOEBOX_TRY(store->CheckBucket());
  return std::unique_ptr<BlobStore>(std::move(store));
}

Result<int> AbortStaleMultipartUploads(BlobStore& store, std::int64_t older_than_millis) {
  auto* s3 = dynamic_cast<S3BlobStore*>(&store);
  if (s3 == nullptr) return MakeError(ErrorCode::kBadRequest, "not an S3 blob store");
  return s3->AbortStaleMultipartUploads(older_than_millis);
}

}  // namespace shoebox::s3
