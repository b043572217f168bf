#include "core/text.h"

#include <sodium.h>

#include <charconv>
#include <ctime>

namespace shoebox {

std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::vector<std::string_view> SplitAndTrim(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    auto pos = text.find(separator);
    parts.push_back(TrimSpaces(text.substr(0, pos)));
    if (pos == std::string_view::npos) break;
    text.remove_prefix(pos + 1);
  }
  return parts;
}

std::optional<std::int64_t> ParseNonNegativeInt(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < 0) return std::nullopt;
  if (text[0] == '+' || text[0] == '-') return std::nullopt;
  return value;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  std::size_t length = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &length, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                          text.size(), nullptr, &length, &end,
                          sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 ||
        end != text.data() + text.size()) {
      return std::nullopt;
    }
  }
  out.resize(length);
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

std::string PercentEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 15]);
    }
  }
  return out;
}

std::optional<std::string> PercentDecode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int value = 0;
      auto [ptr, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
      if (ec != std::errc() || ptr != text.data() + i + 3) return std::nullopt;
      out.push_back(static_cast<char>(value));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

namespace {
// Length of the UTF-8 sequence starting at `text[i]`, or 0 when it is not valid UTF-8.
std::size_t Utf8SequenceLength(std::string_view text, std::size_t i) {
  auto c = static_cast<unsigned char>(text[i]);
  std::size_t length = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (length == 0 || i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((static_cast<unsigned char>(text[i + k]) >> 6) != 2) return 0;
  }
  return length;
}

// Keeps valid UTF-8 characters that are not control characters; drops the rest.
std::string CleanCharacters(std::string_view text, bool drop_slashes) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    std::size_t length = Utf8SequenceLength(text, i);
    if (length == 0) {
      out.push_back('_');
      ++i;
      continue;
    }
    auto c = static_cast<unsigned char>(text[i]);
    bool control = length == 1 && (c < 0x20 || c == 0x7f);
    bool slash = length == 1 && (c == '/' || c == '\\');
    if (control) {
      // dropped
    } else if (slash && drop_slashes) {
      out.push_back('_');
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
  return out;
}

// Cuts `text` to at most `max_bytes` on a character boundary.
std::string CutUtf8(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  std::size_t end = 0;
  for (std::size_t i = 0; i < text.size();) {
    std::size_t length = std::max<std::size_t>(1, Utf8SequenceLength(text, i));
    if (i + length > max_bytes) break;
    i += length;
    end = i;
  }
  return std::string(text.substr(0, end));
}

std::string_view LastPathComponent(std::string_view name) {
  auto pos = name.find_last_of("/\\");
  return pos == std::string_view::npos ? name : name.substr(pos + 1);
}
}  // namespace

bool IsCleanUtf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    std::size_t length = Utf8SequenceLength(text, i);
    if (length == 0) return false;
    auto c = static_cast<unsigned char>(text[i]);
    if (length == 1 && (c < 0x20 || c == 0x7f)) return false;
    i += length;
  }
  return true;
}

std::string SafeFileName(std::string_view requested, std::size_t max_bytes) {
  std::string name = CleanCharacters(LastPathComponent(requested), /*drop_slashes=*/true);
  std::string_view trimmed = TrimSpaces(name);
  name = std::string(trimmed);
  for (std::size_t i = 0; i < name.size() && name[i] == '.'; ++i) name[i] = '_';
  if (name.empty() || name == "_" || name == "__") name = "unnamed";
  if (name.size() > max_bytes) {
    auto dot = name.rfind('.');
    std::string extension = (dot != std::string::npos && name.size() - dot <= 16) ? name.substr(dot) : "";
    name = CutUtf8(name, max_bytes - extension.size()) + extension;
  }
  return name;
}

std::string DisplayFileName(std::string_view requested) {
  std::string name = CutUtf8(CleanCharacters(LastPathComponent(requested), true), 255);
  return name.empty() ? "unnamed" : name;
}

std::string HttpDate(UnixMillis when) {
  std::time_t seconds = when / 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buffer;
}

std::string Rfc3339(UnixMillis when) {
  std::time_t seconds = when >= 0 ? when / 1000 : (when - 999) / 1000;
  int millis = static_cast<int>(when - static_cast<UnixMillis>(seconds) * 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[64];
  std::size_t n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buffer + n, sizeof buffer - n, ".%03dZ", millis);
  return buffer;
}

std::optional<UnixMillis> ParseRfc3339(std::string_view text) {
  int year, month, day, hour, minute, second;
  if (text.size() < 20) return std::nullopt;
  auto number = [&](std::size_t pos, std::size_t len, int& out) {
    auto [ptr, ec] = std::from_chars(text.data() + pos, text.data() + pos + len, out);
    return ec == std::errc() && ptr == text.data() + pos + len;
  };
  if (!number(0, 4, year) || text[4] != '-' || !number(5, 2, month) || text[7] != '-' ||
      !number(8, 2, day) || (text[10] != 'T' && text[10] != 't' && text[10] != ' ') ||
      !number(11, 2, hour) || text[13] != ':' || !number(14, 2, minute) || text[16] != ':' ||
      !number(17, 2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  int millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int d = digits; d < 3; ++d) millis *= 10;
  }
  int offset_minutes = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos + 6 == text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh, om;
    if (!number(pos + 1, 2, oh) || text[pos + 3] != ':' || !number(pos + 4, 2, om)) {
      return std::nullopt;
    }
    offset_minutes = (oh * 60 + om) * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  std::time_t seconds = timegm(&tm);
  return (static_cast<UnixMillis>(seconds) - offset_minutes * 60LL) * 1000 + millis;
}

}  // namespace shoebox
