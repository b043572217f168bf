// Parsing of the date-time notations media files use. Pure functions, shared by the exiv2 and
// libavformat readers.
#pragma once

#include <optional>
#include <string_view>

#include "core/clock.h"

namespace shoebox::media {

struct CaptureTime {
  // Local wall-clock time read as if it were UTC; the instant is local - offset.
  UnixMillis local = 0;
  std::optional<int> utc_offset_minutes;

  UnixMillis Instant() const { return local - utc_offset_minutes.value_or(0) * 60'000LL; }
};

// "YYYY:MM:DD HH:MM:SS" (EXIF) or ISO 8601 "YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM|+HHMM]".
// Rejects all-zero and out-of-range dates (cameras write "0000:00:00 00:00:00").
std::optional<CaptureTime> ParseDateTime(std::string_view text);
// "+05:30", "-0700", "Z".
std::optional<int> ParseUtcOffset(std::string_view text);

}  // namespace shoebox::media
