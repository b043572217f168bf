// Small text helpers shared by the HTTP layer and the services.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"

namespace shoebox {

std::string AsciiLower(std::string_view text);
std::string_view TrimSpaces(std::string_view text);
std::vector<std::string_view> SplitAndTrim(std::string_view text, char separator);

// Whole-string non-negative decimal integer, or nullopt (no sign, no spaces, no overflow).
std::optional<std::int64_t> ParseNonNegativeInt(std::string_view text);

// Standard base64 (RFC 4648 §4, padding optional) as tus Upload-Metadata uses it.
std::optional<std::string> Base64Decode(std::string_view text);
std::string Base64Encode(std::string_view bytes);

// RFC 3986 percent-encoding of everything but unreserved characters (for filename*=UTF-8'').
std::string PercentEncode(std::string_view bytes);
// Decodes %XX and '+' (as in query strings); nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view text);

// True when `text` is valid UTF-8 without NUL or other control characters.
bool IsCleanUtf8(std::string_view text);

// A file name safe to use as one path component on any common file system: no '/', '\\', NUL or
// control characters, not "." or "..", no leading dot, at most `max_bytes` bytes (cut on a UTF-8
// boundary, keeping the extension). Never empty.
std::string SafeFileName(std::string_view requested, std::size_t max_bytes = 200);

// The name a person uploaded, for display and Content-Disposition: the last path component with
// control characters removed, cut to 255 bytes. Never empty.
std::string DisplayFileName(std::string_view requested);

// "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 IMF-fixdate).
std::string HttpDate(UnixMillis when);
// "2023-01-02T03:04:05.123Z".
std::string Rfc3339(UnixMillis when);
// Accepts "2023-01-02T03:04:05Z", fractional seconds and "+01:00" offsets.
std::optional<UnixMillis> ParseRfc3339(std::string_view text);

}  // namespace shoebox
