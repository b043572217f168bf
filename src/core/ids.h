// Identifiers and secrets.
#pragma once

#include <cstddef>
#include <string>
#include <vector>
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

// `ids` without repeats, in the order each first appears (a selection sent with an id twice).
std::vector<std::string> WithoutRepeats(const std::vector<std::string>& ids);

// Compares secrets without leaking where they differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace shoebox
