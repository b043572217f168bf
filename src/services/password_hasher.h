// Password hashing with argon2id (libsodium's crypto_pwhash_str, interactive limits). At most a
// few hashes run at once: each takes 64 MiB, and a burst of logins must not exhaust memory.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace shoebox {

class PasswordHasher {
 public:
  PasswordHasher();
  Result<std::string> Hash(std::string_view password);
  // True when `password` matches `hash`. Takes as long for a malformed hash as for a real one.
  bool Verify(std::string_view hash, std::string_view password);
  // Spends the same time as Verify() for a login with an unknown email.
  void VerifyDummy(std::string_view password);
};

// kBadRequest with a readable message unless 8 <= length <= 1024 bytes.
Result<void> CheckPasswordStrength(std::string_view password);

}  // namespace shoebox
