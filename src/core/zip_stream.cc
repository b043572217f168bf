#include "core/zip_stream.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <ctime>

namespace shoebox {
namespace {

constexpr std::uint32_t kMax32 = 0xFFFFFFFFu;
constexpr std::uint16_t kFlags = 0x0808;  // sizes and CRC in a data descriptor; UTF-8 names

void Put16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v & 0xFF));
  out.push_back(static_cast<char>(v >> 8));
}
void Put32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void Put64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

bool Needs64(std::int64_t size) { return static_cast<std::uint64_t>(size) >= kMax32; }

// MS-DOS date and time fields, as zip keeps them.
std::pair<std::uint16_t, std::uint16_t> DosDateTime(UnixMillis at) {
  std::time_t seconds = static_cast<std::time_t>(at / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  if (tm.tm_year < 80) return {(1 << 5) | 1, 0};  // 1980-01-01, zip's earliest
  if (tm.tm_year > 207) tm.tm_year = 207;
  std::uint16_t date = static_cast<std::uint16_t>(((tm.tm_year - 80) << 9) | ((tm.tm_mon + 1) << 5) | tm.tm_mday);
  std::uint16_t time = static_cast<std::uint16_t>((tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec / 2));
  return {date, time};
}

std::int64_t LocalHeaderSize(const ZipEntry& e) { return 30 + e.name.size() + (Needs64(e.size) ? 20 : 0); }
std::int64_t DescriptorSize(const ZipEntry& e) { return Needs64(e.size) ? 24 : 16; }

}  // namespace

ZipStream::ZipStream(std::vector<ZipEntry> entries) : entries_(std::move(entries)) {
  placed_.resize(entries_.size());
  std::int64_t at = 0;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    placed_[i].offset = at;
    at += LocalHeaderSize(entries_[i]) + entries_[i].size + DescriptorSize(entries_[i]);
  }
  central_offset_ = at;
  // The central directory's size does not depend on the CRCs, so it can be measured now.
  length_ = at + static_cast<std::int64_t>(CentralDirectory().size());
}

std::string ZipStream::LocalHeader(std::size_t i) const {
  const ZipEntry& e = entries_[i];
  bool zip64 = Needs64(e.size);
  auto [date, time] = DosDateTime(e.modified);
  std::string out;
  Put32(out, 0x04034b50);
  Put16(out, zip64 ? 45 : 20);
  Put16(out, kFlags);
  Put16(out, 0);  // stored
  Put16(out, time);
  Put16(out, date);
  Put32(out, 0);  // CRC: in the descriptor
  Put32(out, zip64 ? kMax32 : 0);
  Put32(out, zip64 ? kMax32 : 0);
  Put16(out, static_cast<std::uint16_t>(e.name.size()));
  Put16(out, zip64 ? 20 : 0);
  out += e.name;
  if (zip64) {
    Put16(out, 0x0001);
    Put16(out, 16);
    Put64(out, 0);
    Put64(out, 0);
  }
  return out;
}

std::string ZipStream::Descriptor(std::size_t i) const {
  const ZipEntry& e = entries_[i];
  std::string out;
  Put32(out, 0x08074b50);
  Put32(out, placed_[i].crc);
  if (Needs64(e.size)) {
    Put64(out, e.size);
    Put64(out, e.size);
  } else {
    Put32(out, static_cast<std::uint32_t>(e.size));
    Put32(out, static_cast<std::uint32_t>(e.size));
  }
  return out;
}

std::string ZipStream::CentralDirectory() const {
  std::string out;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const ZipEntry& e = entries_[i];
    bool big = Needs64(e.size), far = Needs64(placed_[i].offset);
    std::string extra;
    if (big) {
      Put64(extra, e.size);
      Put64(extra, e.size);
    }
    if (far) Put64(extra, placed_[i].offset);
    if (!extra.empty()) {
      std::string header;
      Put16(header, 0x0001);
      Put16(header, static_cast<std::uint16_t>(extra.size()));
      extra = header + extra;
    }
    auto [date, time] = DosDateTime(e.modified);
    Put32(out, 0x02014b50);
    Put16(out, (3 << 8) | 45);  // made by Unix, zip 4.5
    Put16(out, big || far ? 45 : 20);
    Put16(out, kFlags);
    Put16(out, 0);
    Put16(out, time);
    Put16(out, date);
    Put32(out, placed_[i].crc);
    Put32(out, big ? kMax32 : static_cast<std::uint32_t>(e.size));
    Put32(out, big ? kMax32 : static_cast<std::uint32_t>(e.size));
    Put16(out, static_cast<std::uint16_t>(e.name.size()));
    Put16(out, static_cast<std::uint16_t>(extra.size()));
    Put16(out, 0);  // comment
    Put16(out, 0);  // disk
    Put16(out, 0);  // internal attributes
    Put32(out, 0100644u << 16);  // -rw-r--r--
    Put32(out, far ? kMax32 : static_cast<std::uint32_t>(placed_[i].offset));
    out += e.name;
    out += extra;
  }
  std::uint64_t cd_size = out.size();
  std::uint64_t count = entries_.size();
  bool zip64 = count >= 0xFFFF || Needs64(central_offset_) || cd_size >= kMax32;
  if (zip64) {
    std::uint64_t record_at = central_offset_ + cd_size;
    Put32(out, 0x06064b50);
    Put64(out, 44);
    Put16(out, (3 << 8) | 45);
    Put16(out, 45);
    Put32(out, 0);
    Put32(out, 0);
    Put64(out, count);
    Put64(out, count);
    Put64(out, cd_size);
    Put64(out, central_offset_);
    Put32(out, 0x07064b50);
    Put32(out, 0);
    Put64(out, record_at);
    Put32(out, 1);
  }
  Put32(out, 0x06054b50);
  Put16(out, 0);
  Put16(out, 0);
  Put16(out, zip64 ? 0xFFFF : static_cast<std::uint16_t>(count));
  Put16(out, zip64 ? 0xFFFF : static_cast<std::uint16_t>(count));
  Put32(out, zip64 ? kMax32 : static_cast<std::uint32_t>(cd_size));
  Put32(out, zip64 ? kMax32 : static_cast<std::uint32_t>(central_offset_));
  Put16(out, 0);
  return out;
}

Result<std::size_t> ZipStream::Read(std::span<char> buffer) {
  while (true) {
    if (pending_at_ < pending_.size()) {
      std::size_t n = std::min(buffer.size(), pending_.size() - pending_at_);
      std::memcpy(buffer.data(), pending_.data() + pending_at_, n);
      pending_at_ += n;
      return n;
    }
    pending_.clear();
    pending_at_ = 0;
    switch (stage_) {
      case Stage::kHeader: {
        if (index_ == entries_.size()) {
          stage_ = Stage::kCentral;
          continue;
        }
        pending_ = LocalHeader(index_);
        SHOEBOX_ASSIGN(reader_, entries_[index_].open());
        data_left_ = entries_[index_].size;
        crc_ = crc32(0, nullptr, 0);
        stage_ = Stage::kData;
        continue;
      }
      case Stage::kData: {
        if (data_left_ == 0) {
          placed_[index_].crc = crc_;
          reader_ = nullptr;
          stage_ = Stage::kDescriptor;
          continue;
        }
        std::size_t want = static_cast<std::size_t>(
            std::min<std::int64_t>(data_left_, static_cast<std::int64_t>(buffer.size())));
        SHOEBOX_ASSIGN(std::size_t n, reader_(buffer.first(want)));
        if (n == 0) {
          return MakeError(ErrorCode::kInternal,
                           entries_[index_].name + " ended before its recorded size");
        }
        crc_ = crc32(crc_, reinterpret_cast<const Bytef*>(buffer.data()), static_cast<uInt>(n));
        data_left_ -= static_cast<std::int64_t>(n);
        return n;
      }
      case Stage::kDescriptor:
        pending_ = Descriptor(index_);
        ++index_;
        stage_ = Stage::kHeader;
        continue;
      case Stage::kCentral:
        pending_ = CentralDirectory();
        stage_ = Stage::kDone;
        continue;
      case Stage::kDone:
        return std::size_t{0};
    }
  }
}

}  // namespace shoebox
