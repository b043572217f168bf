#include "adapters/libmagic/libmagic_inspector.h"

#include "adapters/libmagic/image_header.h"

#include <magic.h>

#include <mutex>
#include <string_view>

namespace shoebox::libmagic {
namespace {

struct KnownType {
  std::string_view mime;
  MediaKind kind;
};

// What Shoebox stores. RAW files that are TIFF inside (DNG, NEF, ARW, ...) sniff as image/tiff.
constexpr KnownType kKnownTypes[] = {
    {"image/jpeg", MediaKind::kPhoto},      {"image/png", MediaKind::kPhoto},
    {"image/heic", MediaKind::kPhoto},      {"image/heif", MediaKind::kPhoto},
    {"image/heic-sequence", MediaKind::kPhoto}, {"image/heif-sequence", MediaKind::kPhoto},
    {"image/avif", MediaKind::kPhoto},      {"image/webp", MediaKind::kPhoto},
    {"image/gif", MediaKind::kPhoto},       {"image/tiff", MediaKind::kPhoto},
    {"image/jxl", MediaKind::kPhoto},       {"image/bmp", MediaKind::kPhoto},
    {"image/x-ms-bmp", MediaKind::kPhoto},  {"image/x-canon-cr2", MediaKind::kPhoto},
    {"image/x-canon-cr3", MediaKind::kPhoto}, {"image/x-canon-crw", MediaKind::kPhoto},
    {"image/x-olympus-orf", MediaKind::kPhoto}, {"image/x-fujifilm-raf", MediaKind::kPhoto},
    {"image/x-panasonic-rw2", MediaKind::kPhoto}, {"image/x-sony-arw", MediaKind::kPhoto},
    {"image/x-nikon-nef", MediaKind::kPhoto}, {"image/x-adobe-dng", MediaKind::kPhoto},
    {"video/mp4", MediaKind::kVideo},       {"video/quicktime", MediaKind::kVideo},
    {"video/x-m4v", MediaKind::kVideo},     {"video/3gpp", MediaKind::kVideo},
    {"video/3gpp2", MediaKind::kVideo},     {"video/webm", MediaKind::kVideo},
    {"video/x-matroska", MediaKind::kVideo}, {"video/x-msvideo", MediaKind::kVideo},
    {"video/mpeg", MediaKind::kVideo},      {"video/MP2T", MediaKind::kVideo},
    {"video/mp2t", MediaKind::kVideo},      {"video/x-ms-asf", MediaKind::kVideo},
    {"video/x-ms-wmv", MediaKind::kVideo},  {"video/x-flv", MediaKind::kVideo},
    {"video/ogg", MediaKind::kVideo},
};

class LibmagicInspector final : public MediaInspector {
 public:
  explicit LibmagicInspector(magic_t cookie) : cookie_(cookie) {}
  ~LibmagicInspector() override { magic_close(cookie_); }

  std::size_t HeadBytes() const override { return 64 * 1024; }

  std::vector<std::string> SupportedTypes() const override {
    std::vector<std::string> types;
    for (const KnownType& known : kKnownTypes) types.emplace_back(known.mime);
    return types;
  }

  Result<MediaProbe> ProbeHead(std::span<const char> head) override {
    std::string mime;
    {
      // A magic_t is not thread-safe; sniffing takes microseconds, so one lock is enough.
      std::lock_guard lock(mutex_);
      const char* found = magic_buffer(cookie_, head.data(), head.size());
      if (found == nullptr) {
        return MakeError(ErrorCode::kInternal, std::string("libmagic: ") + magic_error(cookie_));
      }
      mime = found;
    }
    MediaProbe probe;
    probe.mime_type = mime;
    for (const KnownType& known : kKnownTypes) {
      if (known.mime == mime) probe.kind = known.kind;
    }
    if (probe.kind == MediaKind::kPhoto) {
      if (auto dimensions = ImageDimensions(mime, head)) {
        probe.width = dimensions->first;
        probe.height = dimensions->second;
      }
    }
    return probe;
  }

 private:
  magic_t cookie_;
  std::mutex mutex_;
};

}  // namespace

Result<std::unique_ptr<MediaInspector>> OpenLibmagicInspector() {
  magic_t cookie = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_TAR |
                              MAGIC_NO_CHECK_ELF);
  if (cookie == nullptr) return MakeError(ErrorCode::kInternal, "libmagic: magic_open failed");
  if (magic_load(cookie, nullptr) != 0) {
    std::string message = magic_error(cookie);
    magic_close(cookie);
    return MakeError(ErrorCode::kInternal, "libmagic: cannot load the magic database: " + message);
  }
  return std::unique_ptr<MediaInspector>(new LibmagicInspector(cookie));
}

}  // namespace shoebox::libmagic
