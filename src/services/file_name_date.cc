#include "services/file_name_date.h"

#include <regex>
#include <string>

namespace shoebox {
namespace {

int Number(const std::ssub_match& m) { return m.matched ? std::stoi(m.str()) : 0; }

}  // namespace

std::optional<UnixMillis> CaptureTimeFromFileName(std::string_view name) {
  // Year 19xx/20xx, month, day, then optionally hour, minute, second and milliseconds, with
  // optional single separators; digits must not run on from a longer number.
  static const std::regex with_time(
      R"((?:^|[^0-9])((?:19|20)\d\d)[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])[-_ T]{1,3}([01]\d|2[0-3])[-_.:]?([0-5]\d)[-_.:]?([0-5]\d)(?:[-_.]?(\d{3}))?(?:[^0-9]|$))");
  static const std::regex day_only(
      R"((?:^|[^0-9])((?:19|20)\d\d)-?(0[1-9]|1[0-2])-?(0[1-9]|[12]\d|3[01])-WA\d+)");
  std::string text(name);
  std::smatch m;
  int hour = 0, minute = 0, second = 0, millis = 0;
  if (std::regex_search(text, m, with_time)) {
    hour = Number(m[4]), minute = Number(m[5]), second = Number(m[6]), millis = Number(m[7]);
  } else if (!std::regex_search(text, m, day_only)) {
    return std::nullopt;
  }
  int year = Number(m[1]);
  unsigned month = static_cast<unsigned>(Number(m[2])), day = static_cast<unsigned>(Number(m[3]));
  return ((DaysFromCivil(year, month, day) * 86400LL + hour * 3600 + minute * 60 + second) * 1000 +
          millis);
}

}  // namespace shoebox
