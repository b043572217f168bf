#include "core/hashing.h"

#include <openssl/evp.h>

#include <cstring>

namespace shoebox {
namespace {
// Tags the saved state so a state from another layout is refused, not misread.
constexpr std::string_view kStateTag = "sha256-openssl-v1:";
}  // namespace

Sha256Stream::Sha256Stream() { SHA256_Init(&ctx_); }

void Sha256Stream::Update(std::span<const char> bytes) {
  SHA256_Update(&ctx_, bytes.data(), bytes.size());
}

std::string Sha256Stream::FinishHex() {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256_Final(digest, &ctx_);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::string Sha256Stream::SaveState() const {
  std::string state(kStateTag);
  state.append(reinterpret_cast<const char*>(&ctx_), sizeof ctx_);
  return state;
}

std::optional<Sha256Stream> Sha256Stream::RestoreState(std::string_view state) {
  if (state.size() != kStateTag.size() + sizeof(SHA256_CTX) || !state.starts_with(kStateTag)) {
    return std::nullopt;
  }
  Sha256Stream stream;
  std::memcpy(&stream.ctx_, state.data() + kStateTag.size(), sizeof(SHA256_CTX));
  return stream;
}

std::string Sha256Hex(std::string_view bytes) {
  Sha256Stream stream;
  stream.Update(bytes);
  return stream.FinishHex();
}

std::optional<RequestDigest> RequestDigest::Create(std::string_view algorithm) {
  const EVP_MD* md = nullptr;
  if (algorithm == "sha1") md = EVP_sha1();
  else if (algorithm == "sha256") md = EVP_sha256();
  else if (algorithm == "md5") md = EVP_md5();
  if (md == nullptr) return std::nullopt;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, md, nullptr);
  return RequestDigest(ctx);
}

RequestDigest::RequestDigest(RequestDigest&& other) noexcept : ctx_(other.ctx_) {
  other.ctx_ = nullptr;
}

RequestDigest& RequestDigest::operator=(RequestDigest&& other) noexcept {
  std::swap(ctx_, other.ctx_);
  return *this;
}

RequestDigest::~RequestDigest() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void RequestDigest::Update(std::span<const char> bytes) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), bytes.data(), bytes.size());
}

std::string RequestDigest::FinishRaw() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), digest, &size);
  return std::string(reinterpret_cast<const char*>(digest), size);
}

bool IsSha256Hex(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    hex.push_back(kDigits[c >> 4]);
    hex.push_back(kDigits[c & 15]);
  }
  return hex;
}

}  // namespace shoebox
