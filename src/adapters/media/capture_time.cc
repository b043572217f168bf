#include "adapters/media/capture_time.h"

#include <cctype>
#include <string>

namespace shoebox::media {
namespace {

std::optional<int> Digits(std::string_view text, std::size_t at, std::size_t count) {
  if (at + count > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace


std::optional<int> ParseUtcOffset(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\0')) text.remove_suffix(1);
  if (text == "Z" || text == "z") return 0;
  if (text.size() < 3 || (text[0] != '+' && text[0] != '-')) return std::nullopt;
  auto hours = Digits(text, 1, 2);
  if (!hours) return std::nullopt;
  int minutes = 0;
  if (text.size() > 3) {
    std::size_t at = text[3] == ':' ? 4 : 3;
    auto parsed = Digits(text, at, 2);
    if (!parsed || at + 2 != text.size()) return std::nullopt;
    minutes = *parsed;
  }
  if (*hours > 14 || minutes > 59) return std::nullopt;
  int total = *hours * 60 + minutes;
  return text[0] == '-' ? -total : total;
}

std::optional<CaptureTime> ParseDateTime(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  // YYYY?MM?DD?HH?MM?SS with any single separators (':', '-', ' ', 'T').
  auto year = Digits(text, 0, 4), month = Digits(text, 5, 2), day = Digits(text, 8, 2);
  if (!year || !month || !day) return std::nullopt;
  int hour = 0, minute = 0, second = 0;
  std::size_t rest = 10;
  if (text.size() >= 19) {
    auto h = Digits(text, 11, 2), mi = Digits(text, 14, 2), s = Digits(text, 17, 2);
    if (!h || !mi || !s) return std::nullopt;
    hour = *h, minute = *mi, second = *s;
    rest = 19;
  } else if (text.size() >= 16) {
    auto h = Digits(text, 11, 2), mi = Digits(text, 14, 2);
    if (!h || !mi) return std::nullopt;
    hour = *h, minute = *mi;
    rest = 16;
  }
  if (*year < 1800 || *year > 2200 || *month < 1 || *month > 12 || *day < 1 || *day > 31 ||
      hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  int millis = 0;
  if (rest < text.size() && text[rest] == '.') {
    std::size_t at = rest + 1, digits = 0;
    while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at]))) {
      if (digits < 3) millis = millis * 10 + (text[at] - '0');
      ++digits, ++at;
    }
    for (std::size_t d = digits; d < 3; ++d) millis *= 10;
    rest = at;
  }
  CaptureTime time;
  time.local = (DaysFromCivil(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day)) *
                    86400LL + hour * 3600LL + minute * 60LL + second) * 1000LL + millis;
  if (rest < text.size()) time.utc_offset_minutes = ParseUtcOffset(text.substr(rest));
  return time;
}

}  // namespace shoebox::media
