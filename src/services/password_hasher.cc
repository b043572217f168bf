#include "services/password_hasher.h"

#include <sodium.h>

#include <condition_variable>
#include <mutex>


namespace shoebox {
namespace {

// Bounds concurrent argon2id work across the process.
class HashSlots {
 public:
  void Acquire() {
    std::unique_lock lock(mutex_);
    free_.wait(lock, [&] { return in_use_ < kSlots; });
    ++in_use_;
  }
  void Release() {
    {
      std::lock_guard lock(mutex_);
      --in_use_;
    }
    free_.notify_one();
  }

 private:
  static constexpr int kSlots = 4;
  std::mutex mutex_;
  std::condition_variable free_;
  int in_use_ = 0;
};

HashSlots& Slots() {
  static HashSlots slots;
  return slots;
}

struct SlotGuard {
  SlotGuard() { Slots().Acquire(); }
  ~SlotGuard() { Slots().Release(); }
};

}  // namespace

PasswordHasher::PasswordHasher() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

Result<std::string> PasswordHasher::Hash(std::string_view password) {
  SlotGuard slot;
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return MakeError(ErrorCode::kUnavailable, "out of memory while hashing the password");
  }
  return std::string(out);
}

bool PasswordHasher::Verify(std::string_view hash, std::string_view password) {
  SlotGuard slot;
  std::string terminated(hash);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

void PasswordHasher::VerifyDummy(std::string_view password) {
  // The hash of a random password nobody kept, with the same parameters Hash() uses, so
  // verifying against it costs what a real verification costs, without hashing at start-up.
  static constexpr std::string_view kDummyHash =
      "$argon2id$v=19$m=65536,t=2,p=1$4APIGZPpueT+TGBb2WwmeQ$"
      "spjd0aAMImQhjiUbJDyy6nFA7YgwnLCXb2sOnKoD7z4";
  Verify(kDummyHash, password);
}

Result<void> CheckPasswordStrength(std::string_view password) {
  if (password.size() < 8) {
    return MakeError(ErrorCode::kBadRequest, "the password must have at least 8 characters");
  }
  if (password.size() > 1024) {
    return MakeError(ErrorCode::kBadRequest, "the password must have at most 1024 characters");
  }
  return {};
}

}  // namespace shoebox
