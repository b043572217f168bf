// Time as the rest of the code sees it: Unix milliseconds in UTC, read through a Clock so tests
// can move time (upload expiry, the 60-day trash purge) without waiting.
#pragma once

#include <atomic>
#include <cstdint>

namespace shoebox {

using UnixMillis = std::int64_t;

inline constexpr UnixMillis kMillisPerDay = 24LL * 3600 * 1000;

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil); no
// validation of the date.
constexpr std::int64_t DaysFromCivil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixMillis Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  UnixMillis Now() const override;
};

// A clock tests set by hand.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(UnixMillis start) : now_(start) {}
  UnixMillis Now() const override { return now_.load(); }
  void Advance(UnixMillis by) { now_ += by; }

 private:
  std::atomic<UnixMillis> now_;
};

}  // namespace shoebox
