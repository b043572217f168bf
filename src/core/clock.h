// Time as the rest of the code sees it: Unix milliseconds in UTC, read through a Clock so tests
// can move time (upload expiry, the 60-day trash purge) without waiting.
#pragma once

#include <atomic>
#include <cstdint>

namespace shoebox {

using UnixMillis = std::int64_t;

inline constexpr UnixMillis kMillisPerDay = 24LL * 3600 * 1000;

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
