#include "adapters/libmagic/image_header.h"

#include <algorithm>
#include <cstring>

namespace shoebox::libmagic {
namespace {

using Dimensions = std::optional<std::pair<std::int64_t, std::int64_t>>;

class Bytes {
 public:
  explicit Bytes(std::span<const char> data) : data_(data) {}
  std::size_t size() const { return data_.size(); }
  bool Has(std::size_t at, std::size_t n) const { return at <= data_.size() && n <= data_.size() - at; }
  std::uint32_t U8(std::size_t at) const { return static_cast<unsigned char>(data_[at]); }
  std::uint32_t Be16(std::size_t at) const { return U8(at) << 8 | U8(at + 1); }
  std::uint32_t Le16(std::size_t at) const { return U8(at + 1) << 8 | U8(at); }
  std::uint32_t Be32(std::size_t at) const { return Be16(at) << 16 | Be16(at + 2); }
  std::uint32_t Le32(std::size_t at) const { return Le16(at + 2) << 16 | Le16(at); }
  bool Is(std::size_t at, std::string_view text) const {
    return Has(at, text.size()) && std::memcmp(data_.data() + at, text.data(), text.size()) == 0;
  }

 private:
  std::span<const char> data_;
};

Dimensions Jpeg(const Bytes& b) {
  std::size_t at = 2;
  while (b.Has(at, 4)) {
    if (b.U8(at) != 0xFF) return std::nullopt;
    std::uint32_t marker = b.U8(at + 1);
    if (marker == 0xFF) {  // fill byte
      ++at;
      continue;
    }
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      at += 2;
      continue;
    }
    std::uint32_t length = b.Be16(at + 2);
    bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      if (!b.Has(at + 5, 4)) return std::nullopt;
      return std::make_pair<std::int64_t, std::int64_t>(b.Be16(at + 7), b.Be16(at + 5));
    }
    if (length < 2) return std::nullopt;
    at += 2 + length;
  }
  return std::nullopt;
}

Dimensions Tiff(const Bytes& b) {
  bool le = b.Is(0, "II");
  auto u16 = [&](std::size_t at) { return le ? b.Le16(at) : b.Be16(at); };
  auto u32 = [&](std::size_t at) { return le ? b.Le32(at) : b.Be32(at); };
  if (!b.Has(0, 8)) return std::nullopt;
  std::size_t ifd = u32(4);
  if (!b.Has(ifd, 2)) return std::nullopt;
  std::uint32_t count = u16(ifd);
  std::int64_t width = 0, height = 0;
  for (std::uint32_t i = 0; i < count && b.Has(ifd + 2 + i * 12, 12); ++i) {
    std::size_t entry = ifd + 2 + i * 12;
    std::uint32_t tag = u16(entry), type = u16(entry + 2);
    std::int64_t value = type == 3 ? u16(entry + 8) : u32(entry + 8);
    if (tag == 256) width = value;
    if (tag == 257) height = value;
  }
  if (width > 0 && height > 0) return std::make_pair(width, height);
  return std::nullopt;
}

// HEIF/AVIF: the largest 'ispe' (image spatial extent) property; the primary image or its grid
// is at least as large as any tile.
Dimensions Heif(const Bytes& b) {
  std::int64_t best_w = 0, best_h = 0;
  for (std::size_t at = 0; b.Has(at, 20); ++at) {
    if (!b.Is(at, "ispe")) continue;
    std::int64_t w = b.Be32(at + 8), h = b.Be32(at + 12);
    if (w * h > best_w * best_h) best_w = w, best_h = h;
  }
  if (best_w > 0 && best_h > 0) return std::make_pair(best_w, best_h);
  return std::nullopt;
}

}  // namespace

Dimensions ImageDimensions(std::string_view mime, std::span<const char> head) {
  Bytes b(head);
  if (mime == "image/jpeg") return Jpeg(b);
  if (mime == "image/png" && b.Is(12, "IHDR") && b.Has(16, 8)) {
    return std::make_pair<std::int64_t, std::int64_t>(b.Be32(16), b.Be32(20));
  }
  if (mime == "image/gif" && b.Has(6, 4)) {
    return std::make_pair<std::int64_t, std::int64_t>(b.Le16(6), b.Le16(8));
  }
  if (mime == "image/webp" && b.Has(12, 18)) {
    if (b.Is(12, "VP8X")) {
      return std::make_pair<std::int64_t, std::int64_t>(
          1 + (b.U8(24) | b.U8(25) << 8 | b.U8(26) << 16), 1 + (b.U8(27) | b.U8(28) << 8 | b.U8(29) << 16));
    }
    if (b.Is(12, "VP8L") && b.Has(21, 4)) {
      std::uint32_t bits = b.Le32(21);
      return std::make_pair<std::int64_t, std::int64_t>(1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF));
    }
    if (b.Is(12, "VP8 ") && b.Has(26, 4)) {
      return std::make_pair<std::int64_t, std::int64_t>(b.Le16(26) & 0x3FFF, b.Le16(28) & 0x3FFF);
    }
  }
  if ((mime == "image/bmp" || mime == "image/x-ms-bmp") && b.Has(18, 8)) {
    auto h = static_cast<std::int32_t>(b.Le32(22));
    return std::make_pair<std::int64_t, std::int64_t>(b.Le32(18), h < 0 ? -static_cast<std::int64_t>(h) : h);
  }
  if (mime == "image/tiff") return Tiff(b);
  if (mime.starts_with("image/hei") || mime == "image/avif") return Heif(b);
  return std::nullopt;
}

}  // namespace shoebox::libmagic
