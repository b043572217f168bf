#include "services/auth_service.h"

#include "core/hashing.h"
#include "core/ids.h"
#include "core/text.h"
#include "services/user_service.h"

namespace shoebox {
namespace {

Error InvalidCredentials() {
  return MakeError(ErrorCode::kInvalidCredentials, "wrong email or password");
}

}  // namespace

Result<IssuedSecret> AuthService::Login(const std::string& email, const std::string& password,
                                        const std::string& client_address,
                                        const std::string& device_name) {
  std::string normalized = AsciiLower(TrimSpaces(email));
  UnixMillis now = clock_.Now();
  UnixMillis window_start = now - settings_.login_window_minutes * 60 * 1000;
  // One key per (address, email) so nobody can lock a user out from elsewhere, and one per
  // address so a single client cannot spray passwords over many accounts.
  std::string pair_key = "pair:" + client_address + "|" + normalized;
  std::string address_key = "addr:" + client_address;
  SHOEBOX_ASSIGN(std::int64_t pair_failures, attempts_.CountFailuresSince(pair_key, window_start));
  SHOEBOX_ASSIGN(std::int64_t address_failures,
                 attempts_.CountFailuresSince(address_key, window_start));
  if (pair_failures >= settings_.login_max_failures ||
      address_failures >= settings_.login_max_failures * 5) {
    return MakeError(ErrorCode::kTooManyRequests,
                     "too many failed sign-in attempts; try again in a few minutes");
  }
  SHOEBOX_ASSIGN(auto user, users_.FindByEmail(normalized));
  bool ok;
  if (user) {
    ok = hasher_.Verify(user->password_hash, password);
  } else {
    hasher_.VerifyDummy(password);
    ok = false;
  }
  if (!ok) {
    SHOEBOX_TRY(attempts_.RecordFailure(pair_key, now));
    SHOEBOX_TRY(attempts_.RecordFailure(address_key, now));
    return InvalidCredentials();
  }
  if (user->disabled) {
    return MakeError(ErrorCode::kAccountDisabled, "this account is disabled; ask your administrator");
  }
  SHOEBOX_TRY(attempts_.Clear(pair_key));
  std::string name = device_name.substr(0, 200);
  return Issue(*user, CredentialKind::kSession, IsCleanUtf8(name) ? name : "",
               now + settings_.session_days * kMillisPerDay);
}

Result<Caller> AuthService::Authenticate(const std::string& secret) {
  Error unauthenticated =
      MakeError(ErrorCode::kUnauthenticated, "sign in first (session expired or unknown key)");
  if (secret.empty() || secret.size() > 200) return unauthenticated;
  UnixMillis now = clock_.Now();
  SHOEBOX_ASSIGN(auto found, credentials_.FindBySecretHash(Sha256Hex(secret), now));
  if (!found) return unauthenticated;
  auto& [credential, user] = *found;
  if (user.disabled) {
    return MakeError(ErrorCode::kAccountDisabled, "this account is disabled; ask your administrator");
  }
  // Best effort and coarse (a minute): last-used is informational and not worth a write per
  // request.
  if (now - credential.last_used_at >= 60'000) (void)credentials_.Touch(credential.id, now);
  return Caller{std::move(user), credential.id, credential.kind};
}

Result<void> AuthService::Logout(const Caller& caller) {
  return credentials_.Delete(caller.user.id, caller.credential_id);
}

Result<void> AuthService::ChangePassword(const Caller& caller, const std::string& current_password,
                                         const std::string& new_password) {
  SHOEBOX_ASSIGN(User user, users_.Get(caller.user.id));
  if (!hasher_.Verify(user.password_hash, current_password)) return InvalidCredentials();
  SHOEBOX_TRY(CheckPasswordStrength(new_password));
  UserPatch patch;
  SHOEBOX_ASSIGN(patch.password_hash, hasher_.Hash(new_password));
  SHOEBOX_TRY(users_.Update(user.id, patch));
  // Sign out every other session; API keys stay (devices keep backing up).
  SHOEBOX_ASSIGN(auto sessions, credentials_.ListForUser(user.id, CredentialKind::kSession));
  for (const Credential& session : sessions) {
    if (session.id != caller.credential_id) SHOEBOX_TRY(credentials_.Delete(user.id, session.id));
  }
  return {};
}

Result<IssuedSecret> AuthService::CreateApiKey(const Caller& caller, const std::string& name) {
  std::string trimmed(TrimSpaces(name));
  if (trimmed.empty() || trimmed.size() > 200 || !IsCleanUtf8(trimmed)) {
    return MakeError(ErrorCode::kBadRequest, "a key needs a name of 1 to 200 printable characters");
  }
  return Issue(caller.user, CredentialKind::kApiKey, trimmed, std::nullopt);
}

Result<std::vector<Credential>> AuthService::ListApiKeys(const Caller& caller) {
  return credentials_.ListForUser(caller.user.id, CredentialKind::kApiKey);
}

Result<void> AuthService::DeleteApiKey(const Caller& caller, const std::string& key_id) {
  if (!IsCanonicalId(key_id)) return MakeError(ErrorCode::kNotFound, "key not found");
  SHOEBOX_ASSIGN(auto keys, credentials_.ListForUser(caller.user.id, CredentialKind::kApiKey));
  for (const Credential& key : keys) {
    if (key.id == key_id) return credentials_.Delete(caller.user.id, key_id);
  }
  return MakeError(ErrorCode::kNotFound, "key not found");
}

Result<IssuedSecret> AuthService::Issue(const User& user, CredentialKind kind,
                                        const std::string& name,
                                        std::optional<UnixMillis> expires_at) {
  UnixMillis now = clock_.Now();
  std::string secret = (kind == CredentialKind::kApiKey ? "sbk_" : "sbs_") + RandomToken(32);
  Credential credential{NewId(now), user.id, Sha256Hex(secret), kind, name, now, now, expires_at};
  SHOEBOX_TRY(credentials_.Create(credential));
  return IssuedSecret{std::move(credential), std::move(secret), user};
}

}  // namespace shoebox
