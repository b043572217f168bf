// Signing in and out, and per-device API keys. Secrets are random 256-bit tokens; only their
// SHA-256 is stored. A failed login says the same thing, after the same work, whether the email
// is unknown or the password wrong; failures are rate-limited per client address and email.
#pragma once

#include <string>
#include <vector>

#include "core/clock.h"
#include "ports/metadata_store.h"
#include "services/caller.h"
#include "services/password_hasher.h"

namespace shoebox {

struct AuthSettings {
  std::int64_t session_days = 30;
  std::int64_t login_max_failures = 10;
  std::int64_t login_window_minutes = 15;
};

struct IssuedSecret {
  Credential credential;
  std::string secret;  // shown once
  User user;
};

class AuthService {
 public:
  AuthService(UserRepository& users, CredentialRepository& credentials,
              LoginAttemptRepository& attempts, PasswordHasher& hasher, const Clock& clock,
              AuthSettings settings)
      : users_(users), credentials_(credentials), attempts_(attempts), hasher_(hasher),
        clock_(clock), settings_(settings) {}

  // kInvalidCredentials, kAccountDisabled (only after a correct password), kTooManyRequests.
  Result<IssuedSecret> Login(const std::string& email, const std::string& password,
                             const std::string& client_address, const std::string& device_name);
  // The caller for a bearer token, session cookie or API key; kUnauthenticated otherwise.
  Result<Caller> Authenticate(const std::string& secret);
  Result<void> Logout(const Caller& caller);
  // kInvalidCredentials when `current_password` is wrong. Other sessions are signed out.
  Result<void> ChangePassword(const Caller& caller, const std::string& current_password,
                              const std::string& new_password);

  Result<IssuedSecret> CreateApiKey(const Caller& caller, const std::string& name);
  Result<std::vector<Credential>> ListApiKeys(const Caller& caller);
  Result<void> DeleteApiKey(const Caller& caller, const std::string& key_id);

 private:
  Result<IssuedSecret> Issue(const User& user, CredentialKind kind, const std::string& name,
                             std::optional<UnixMillis> expires_at);

  UserRepository& users_;
  CredentialRepository& credentials_;
  LoginAttemptRepository& attempts_;
  PasswordHasher& hasher_;
  const Clock& clock_;
  AuthSettings settings_;
};

}  // namespace shoebox
