// A zip archive written as it is read, for downloading several files at once without building
// the archive first: entries are stored (photos and videos do not compress), each followed by a
// data descriptor with the CRC-32 computed on the way, with Zip64 records only where sizes or
// offsets need them. The total length is known before the first byte, so the response carries
// a Content-Length and the browser shows real progress.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"

namespace shoebox {

// Pulls up to buffer.size() bytes; 0 at the end.
using ZipReader = std::function<Result<std::size_t>(std::span<char>)>;

struct ZipEntry {
  std::string name;  // UTF-8, unique within the archive, no folders
  std::int64_t size = 0;
  UnixMillis modified = 0;  // the clock reading to show (zip times have no time zone)
  // Opens the entry's bytes when the stream reaches it; they must be exactly `size` long.
  std::function<Result<ZipReader>()> open;
};

class ZipStream {
 public:
  explicit ZipStream(std::vector<ZipEntry> entries);

  // The archive's length in bytes.
  std::int64_t length() const { return length_; }
  // The next bytes; 0 at the end. kInternal when an entry's bytes are not `size` long.
  Result<std::size_t> Read(std::span<char> buffer);

 private:
  struct Placed {
    std::int64_t offset = 0;  // of the local header
    std::uint32_t crc = 0;
  };
  std::string LocalHeader(std::size_t index) const;
  std::string Descriptor(std::size_t index) const;
  std::string CentralDirectory() const;

  std::vector<ZipEntry> entries_;
  std::vector<Placed> placed_;
  std::int64_t length_ = 0;
  std::int64_t central_offset_ = 0;

  // Reading state.
  enum class Stage { kHeader, kData, kDescriptor, kCentral, kDone };
  Stage stage_ = Stage::kHeader;
  std::size_t index_ = 0;
  std::string pending_;        // bytes made but not read yet
  std::size_t pending_at_ = 0;
  ZipReader reader_;
  std::int64_t data_left_ = 0;
  std::uint32_t crc_ = 0;
};

}  // namespace shoebox
