// Identifiers and secrets.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace shoebox {

// A UUIDv7 string (time-ordered, so new rows append to indexes), e.g.
// "0190f0e2-7b1c-7a3e-9c4d-5e6f70819203".
std::string NewId(UnixMillis now);
// True for the canonical lower-case 36-character UUID form.
bool IsCanonicalId(std::string_view text);

// `bytes` random bytes from the OS CSPRNG, as URL-safe base64 without padding.
std::string RandomToken(std::size_t bytes);

// Compares secrets without leaking where they differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace shoebox
