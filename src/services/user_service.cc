#include "services/user_service.h"

#include "core/ids.h"
#include "core/text.h"

namespace shoebox {
namespace {

// "Alice.Smith+photos@example.com" -> "alice.smith-photos": the user's folder under library/.
std::string StorageLabelFor(const std::string& email) {
  std::string label;
  for (char c : email.substr(0, email.find('@'))) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    label.push_back(keep ? c : '-');
    if (label.size() >= 32) break;
  }
  while (!label.empty() && label.front() == '.') label.erase(label.begin());
  return label.empty() ? "user" : label;
}

}  // namespace

Result<std::string> NormalizeEmail(std::string_view email) {
  std::string normalized = AsciiLower(TrimSpaces(email));
  auto at = normalized.find('@');
  bool valid = normalized.size() <= 254 && at != std::string::npos && at > 0 &&
               at + 1 < normalized.size() && normalized.find('@', at + 1) == std::string::npos &&
               normalized.find_first_of(" \t\r\n\"<>") == std::string::npos &&
               IsCleanUtf8(normalized);
  if (!valid) return MakeError(ErrorCode::kBadRequest, "that is not an email address");
  return normalized;
}

Result<User> UserService::Build(const NewUser& request) {
  SHOEBOX_ASSIGN(std::string email, NormalizeEmail(request.email));
  SHOEBOX_TRY(CheckPasswordStrength(request.password));
  User user;
  user.id = NewId(clock_.Now());
  user.email = email;
  user.name = request.name.empty() ? email.substr(0, email.find('@')) : request.name;
  if (user.name.size() > 200 || !IsCleanUtf8(user.name)) {
    return MakeError(ErrorCode::kBadRequest, "the name must be at most 200 printable characters");
  }
  SHOEBOX_ASSIGN(user.password_hash, hasher_.Hash(request.password));
  user.is_admin = request.is_admin;
  user.quota_bytes = request.quota_bytes;
  user.storage_label = StorageLabelFor(email);
  user.created_at = clock_.Now();
  return user;
}

Result<User> UserService::Create(const NewUser& request) {
  SHOEBOX_ASSIGN(User user, Build(request));
  return users_.Create(std::move(user));
}

Result<User> UserService::CreateFirstAdmin(NewUser request) {
  SHOEBOX_ASSIGN(bool needs_setup, NeedsSetup());
  if (!needs_setup) {
    return MakeError(ErrorCode::kAlreadySetUp, "this server already has an administrator");
  }
  request.is_admin = true;
  SHOEBOX_ASSIGN(User user, Build(request));
  return users_.CreateFirst(std::move(user));
}

Result<bool> UserService::NeedsSetup() {
  SHOEBOX_ASSIGN(std::int64_t count, users_.Count());
  return count == 0;
}

Result<std::vector<User>> UserService::List() { return users_.List(); }

Result<User> UserService::Get(const std::string& id) {
  if (!IsCanonicalId(id)) return MakeError(ErrorCode::kNotFound, "user not found");
  return users_.Get(id);
}

Result<User> UserService::Change(const std::string& id, const UserChange& change) {
  if (!IsCanonicalId(id)) return MakeError(ErrorCode::kNotFound, "user not found");
  UserPatch patch;
  patch.name = change.name;
  patch.is_admin = change.is_admin;
  patch.disabled = change.disabled;
  patch.quota_bytes = change.quota_bytes;
  patch.default_quality = change.default_quality;
  if (change.name && (change.name->empty() || change.name->size() > 200 || !IsCleanUtf8(*change.name))) {
    return MakeError(ErrorCode::kBadRequest, "the name must be 1 to 200 printable characters");
  }
  if (change.password) {
    SHOEBOX_TRY(CheckPasswordStrength(*change.password));
    SHOEBOX_ASSIGN(patch.password_hash, hasher_.Hash(*change.password));
  }
  SHOEBOX_ASSIGN(User user, users_.Update(id, patch));
  // A disabled account or a reset password ends every session and key of that user.
  if ((change.disabled && *change.disabled) || change.password) {
    SHOEBOX_TRY(credentials_.DeleteAllForUser(id));
  }
  return user;
}

}  // namespace shoebox
