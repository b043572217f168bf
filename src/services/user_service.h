// Accounts: creating users (first-run setup, the admin CLI and the admin API), listing and
// changing them. Disabling a user signs all their devices out.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "ports/metadata_store.h"
#include "services/password_hasher.h"

namespace shoebox {

struct NewUser {
  std::string email;
  std::string password;
  std::string name;  // defaults to the email's local part
  bool is_admin = false;
  std::optional<std::int64_t> quota_bytes;
};

struct UserChange {
  std::optional<std::string> name;
  std::optional<std::string> password;
  std::optional<bool> is_admin;
  std::optional<bool> disabled;
  std::optional<std::optional<std::int64_t>> quota_bytes;
  std::optional<Quality> default_quality;
};

class UserService {
 public:
  UserService(UserRepository& users, CredentialRepository& credentials, PasswordHasher& hasher,
              const Clock& clock)
      : users_(users), credentials_(credentials), hasher_(hasher), clock_(clock) {}

  // kBadRequest for a malformed email or weak password, kEmailTaken.
  Result<User> Create(const NewUser& request);
  // Creates the first user as administrator; kAlreadySetUp once any user exists.
  Result<User> CreateFirstAdmin(NewUser request);
  Result<bool> NeedsSetup();
  Result<std::vector<User>> List();
  Result<User> Get(const std::string& id);
  Result<User> Change(const std::string& id, const UserChange& change);

 private:
  Result<User> Build(const NewUser& request);

  UserRepository& users_;
  CredentialRepository& credentials_;
  PasswordHasher& hasher_;
  const Clock& clock_;
};

// Lower-cases and checks an email address; kBadRequest when it is not one.
Result<std::string> NormalizeEmail(std::string_view email);

}  // namespace shoebox
