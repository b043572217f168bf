// Content hashing. Sha256Stream hashes a stream whose state can be saved and restored, so a tus
// upload spread over many requests (and server restarts) is hashed once, as its bytes arrive.
#pragma once

#include <openssl/sha.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace shoebox {

class Sha256Stream {
 public:
  Sha256Stream();
  void Update(std::span<const char> bytes);
  void Update(std::string_view bytes) { Update(std::span<const char>(bytes.data(), bytes.size())); }
  // Lower-case hex of the digest. The stream must not be used afterwards.
  std::string FinishHex();
  // Opaque bytes that RestoreState() accepts, valid within one build of the server.
  std::string SaveState() const;
  // Returns nullopt when `state` was not produced by SaveState() of this build.
  static std::optional<Sha256Stream> RestoreState(std::string_view state);

 private:
  SHA256_CTX ctx_;
};

std::string Sha256Hex(std::string_view bytes);

// One-shot digests for the tus checksum extension; algorithm is "sha1", "sha256" or "md5".
// Returns the raw digest, or nullopt for an unsupported algorithm.
class RequestDigest {
 public:
  static std::optional<RequestDigest> Create(std::string_view algorithm);
  RequestDigest(RequestDigest&&) noexcept;
  RequestDigest& operator=(RequestDigest&&) noexcept;
  ~RequestDigest();
  void Update(std::span<const char> bytes);
  std::string FinishRaw();

 private:
  explicit RequestDigest(void* ctx) : ctx_(ctx) {}
  void* ctx_ = nullptr;  // EVP_MD_CTX
};

bool IsSha256Hex(std::string_view text);
std::string HexEncode(std::string_view bytes);

}  // namespace shoebox
