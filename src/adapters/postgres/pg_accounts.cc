#include "adapters/postgres/pg_repositories.h"

namespace shoebox::postgres {
namespace {

#define SHOEBOX_USER_COLUMNS                                                                   \
  "id, email, name, password_hash, is_admin, disabled, quota_bytes, used_bytes, storage_label, " \
  "created_at, default_quality"
constexpr char kInsertUser[] =
    "INSERT INTO users (id, email, name, password_hash, is_admin, disabled, quota_bytes, "
    "used_bytes, storage_label, created_at, default_quality) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $10)";
// Creating users takes this lock: the email check, the storage label's suffix and "only if
// there are no users yet" must not interleave between instances.
constexpr char kLockUsers[] = "SELECT pg_advisory_xact_lock(7152843210)";
constexpr char kUserEmailExists[] = "SELECT 1 FROM users WHERE email = $1";
constexpr char kStorageLabelExists[] = "SELECT 1 FROM users WHERE storage_label = $1";
constexpr char kCountUsers[] = "SELECT COUNT(*) FROM users";
constexpr char kSelectUserById[] = "SELECT " SHOEBOX_USER_COLUMNS " FROM users WHERE id = $1";
constexpr char kSelectUserByEmail[] =
    "SELECT " SHOEBOX_USER_COLUMNS " FROM users WHERE email = $1";
constexpr char kSelectUsers[] = "SELECT " SHOEBOX_USER_COLUMNS " FROM users ORDER BY created_at, id";
constexpr char kUpdateUserName[] = "UPDATE users SET name = $2 WHERE id = $1";
constexpr char kUpdateUserPassword[] = "UPDATE users SET password_hash = $2 WHERE id = $1";
constexpr char kUpdateUserAdmin[] = "UPDATE users SET is_admin = $2 WHERE id = $1";
constexpr char kUpdateUserDisabled[] = "UPDATE users SET disabled = $2 WHERE id = $1";
constexpr char kUpdateUserQuota[] = "UPDATE users SET quota_bytes = $2 WHERE id = $1";
constexpr char kUpdateUserQuality[] = "UPDATE users SET default_quality = $2 WHERE id = $1";

User ReadUser(const Rows& r, int row, int first = 0) {
  User u;
  u.id = r.Text(row, first + 0);
  u.email = r.Text(row, first + 1);
  u.name = r.Text(row, first + 2);
  u.password_hash = r.Text(row, first + 3);
  u.is_admin = r.Bool(row, first + 4);
  u.disabled = r.Bool(row, first + 5);
  u.quota_bytes = r.OptionalInt(row, first + 6);
  u.used_bytes = r.Int(row, first + 7);
  u.storage_label = r.Text(row, first + 8);
  u.created_at = r.Int(row, first + 9);
  u.default_quality = ParseQuality(r.Text(row, first + 10)).value_or(Quality::kOriginal);
  return u;
}

constexpr char kInsertCredential[] =
    "INSERT INTO credentials (id, user_id, secret_hash, kind, name, created_at, last_used_at, "
    "expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
constexpr char kSelectCredentialBySecret[] =
    "SELECT c.id, c.user_id, c.secret_hash, c.kind, c.name, c.created_at, c.last_used_at, "
    "c.expires_at, u.id, u.email, u.name, u.password_hash, u.is_admin, u.disabled, "
    "u.quota_bytes, u.used_bytes, u.storage_label, u.created_at, u.default_quality "
    "FROM credentials c JOIN users u ON u.id = c.user_id "
    "WHERE c.secret_hash = $1 AND (c.expires_at IS NULL OR c.expires_at > $2)";
constexpr char kTouchCredential[] = "UPDATE credentials SET last_used_at = $2 WHERE id = $1";
constexpr char kSelectCredentialsForUser[] =
    "SELECT id, user_id, secret_hash, kind, name, created_at, last_used_at, expires_at "
    "FROM credentials WHERE user_id = $1 AND kind = $2 ORDER BY created_at, id";
constexpr char kDeleteCredential[] = "DELETE FROM credentials WHERE id = $1 AND user_id = $2";
constexpr char kDeleteCredentialsForUser[] = "DELETE FROM credentials WHERE user_id = $1";

constexpr char kInsertLoginFailure[] =
    "INSERT INTO login_failures (attempt_key, failed_at) VALUES ($1, $2)";
constexpr char kCountLoginFailures[] =
    "SELECT COUNT(*) FROM login_failures WHERE attempt_key = $1 AND failed_at >= $2";
constexpr char kClearLoginFailures[] = "DELETE FROM login_failures WHERE attempt_key = $1";
constexpr char kDeleteOldLoginFailures[] = "DELETE FROM login_failures WHERE failed_at < $1";

const char* KindName(CredentialKind kind) {
  return kind == CredentialKind::kApiKey ? "api_key" : "session";
}

Credential ReadCredential(const Rows& r, int row) {
  Credential c;
  c.id = r.Text(row, 0);
  c.user_id = r.Text(row, 1);
  c.secret_hash = r.Text(row, 2);
  c.kind = r.Text(row, 3) == "api_key" ? CredentialKind::kApiKey : CredentialKind::kSession;
  c.name = r.Text(row, 4);
  c.created_at = r.Int(row, 5);
  c.last_used_at = r.Int(row, 6);
  c.expires_at = r.OptionalInt(row, 7);
  return c;
}

class PgUsers final : public UserRepository {
 public:
  explicit PgUsers(Database& db) : db_(db) {}

  Result<User> Create(User user) override {
    return db_.Write<User>([&](Connection& c) -> Result<User> {
      SHOEBOX_TRY(c.Run(kLockUsers));
      return Insert(c, user);
    });
  }

  Result<User> CreateFirst(User user) override {
    return db_.Write<User>([&](Connection& c) -> Result<User> {
      SHOEBOX_TRY(c.Run(kLockUsers));
      SHOEBOX_ASSIGN(Rows count, c.Run(kCountUsers));
      if (count.Int(0, 0) > 0) {
        return MakeError(ErrorCode::kAlreadySetUp, "this server already has an administrator");
      }
      return Insert(c, user);
    });
  }

  Result<std::optional<User>> FindByEmail(const std::string& email) override {
    return db_.Read<std::optional<User>>([&](Connection& c) -> Result<std::optional<User>> {
      SHOEBOX_ASSIGN(Rows rows, c.Run(kSelectUserByEmail, Params().Add(email)));
      if (rows.empty()) return std::optional<User>();
      return std::optional<User>(ReadUser(rows, 0));
    });
  }

  Result<User> Get(const std::string& id) override {
    return db_.Read<User>([&](Connection& c) { return GetIn(c, id); });
  }

  Result<std::vector<User>> List() override {
    return db_.Read<std::vector<User>>([&](Connection& c) -> Result<std::vector<User>> {
      SHOEBOX_ASSIGN(Rows rows, c.Run(kSelectUsers));
      std::vector<User> users;
      for (int i = 0; i < rows.size(); ++i) users.push_back(ReadUser(rows, i));
      return users;
    });
  }

  Result<User> Update(const std::string& id, const UserPatch& patch) override {
    return db_.Write<User>([&](Connection& c) -> Result<User> {
      SHOEBOX_TRY(GetIn(c, id));
      auto set = [&](const char* sql, const Params& params) -> Result<void> {
        SHOEBOX_TRY(c.Run(sql, params));
        return {};
      };
      auto with_id = [&] { return Params().Add(id); };
      if (patch.name) SHOEBOX_TRY(set(kUpdateUserName, with_id().Add(*patch.name)));
      if (patch.password_hash) SHOEBOX_TRY(set(kUpdateUserPassword, with_id().Add(*patch.password_hash)));
      if (patch.is_admin) SHOEBOX_TRY(set(kUpdateUserAdmin, with_id().Add(*patch.is_admin)));
      if (patch.disabled) SHOEBOX_TRY(set(kUpdateUserDisabled, with_id().Add(*patch.disabled)));
      if (patch.quota_bytes) SHOEBOX_TRY(set(kUpdateUserQuota, with_id().Add(*patch.quota_bytes)));
      if (patch.default_quality) {
        SHOEBOX_TRY(set(kUpdateUserQuality, with_id().Add(QualityName(*patch.default_quality))));
      }
      return GetIn(c, id);
    });
  }

  Result<std::int64_t> Count() override {
    return db_.Read<std::int64_t>([&](Connection& c) -> Result<std::int64_t> {
      SHOEBOX_ASSIGN(Rows rows, c.Run(kCountUsers));
      return rows.Int(0, 0);
    });
  }

 private:
  static Result<User> GetIn(Connection& c, const std::string& id) {
    SHOEBOX_ASSIGN(Rows rows, c.Run(kSelectUserById, Params().Add(id)));
    if (rows.empty()) return MakeError(ErrorCode::kNotFound, "user not found");
    return ReadUser(rows, 0);
  }

  static Result<bool> Exists(Connection& c, const char* sql, const std::string& value) {
    SHOEBOX_ASSIGN(Rows rows, c.Run(sql, Params().Add(value)));
    return !rows.empty();
  }

  // The caller holds kLockUsers.
  static Result<User> Insert(Connection& c, User& user) {
    SHOEBOX_ASSIGN(bool taken, Exists(c, kUserEmailExists, user.email));
    if (taken) return MakeError(ErrorCode::kEmailTaken, "a user with this email already exists");
    std::string base = user.storage_label;
    for (int n = 2;; ++n) {
      SHOEBOX_ASSIGN(bool label_taken, Exists(c, kStorageLabelExists, user.storage_label));
      if (!label_taken) break;
      user.storage_label = base + "-" + std::to_string(n);
    }
    SHOEBOX_TRY(c.Run(kInsertUser, Params()
                                      .Add(user.id)
                                      .Add(user.email)
                                      .Add(user.name)
                                      .Add(user.password_hash)
                                      .Add(user.is_admin)
                                      .Add(user.disabled)
                                      .Add(user.quota_bytes)
                                      .Add(user.storage_label)
                                      .Add(user.created_at)
                                      .Add(QualityName(user.default_quality))));
    user.used_bytes = 0;
    return user;
  }

  Database& db_;
};

class PgCredentials final : public CredentialRepository {
 public:
  explicit PgCredentials(Database& db) : db_(db) {}

  Result<void> Create(const Credential& k) override {
    SHOEBOX_TRY(db_.Change(kInsertCredential, Params()
                                         .Add(k.id)
                                         .Add(k.user_id)
                                         .Add(k.secret_hash)
                                         .Add(KindName(k.kind))
                                         .Add(k.name)
                                         .Add(k.created_at)
                                         .Add(k.last_used_at)
                                         .Add(k.expires_at)));
    return {};
  }

  Result<std::optional<std::pair<Credential, User>>> FindBySecretHash(
      const std::string& secret_hash, UnixMillis now) override {
    using Found = std::optional<std::pair<Credential, User>>;
    return db_.Read<Found>([&](Connection& c) -> Result<Found> {
      SHOEBOX_ASSIGN(Rows rows, c.Run(kSelectCredentialBySecret, Params().Add(secret_hash).Add(now)));
      if (rows.empty()) return Found();
      return Found(std::make_pair(ReadCredential(rows, 0), ReadUser(rows, 0, 8)));
    });
  }

  Result<void> Touch(const std::string& id, UnixMillis now) override {
    SHOEBOX_TRY(db_.Change(kTouchCredential, Params().Add(id).Add(now)));
    return {};
  }

  Result<std::vector<Credential>> ListForUser(const std::string& user_id,
                                              CredentialKind kind) override {
    return db_.Read<std::vector<Credential>>([&](Connection& c) -> Result<std::vector<Credential>> {
      SHOEBOX_ASSIGN(Rows rows, c.Run(kSelectCredentialsForUser, Params().Add(user_id).Add(KindName(kind))));
      std::vector<Credential> out;
      for (int i = 0; i < rows.size(); ++i) out.push_back(ReadCredential(rows, i));
      return out;
    });
  }

  Result<void> Delete(const std::string& user_id, const std::string& id) override {
    SHOEBOX_ASSIGN(std::int64_t changed, db_.Change(kDeleteCredential, Params().Add(id).Add(user_id)));
    if (changed == 0) return MakeError(ErrorCode::kNotFound, "key not found");
    return {};
  }

  Result<void> DeleteAllForUser(const std::string& user_id) override {
    SHOEBOX_TRY(db_.Change(kDeleteCredentialsForUser, Params().Add(user_id)));
    return {};
  }

 private:
  Database& db_;
};

class PgLoginAttempts final : public LoginAttemptRepository {
 public:
  explicit PgLoginAttempts(Database& db) : db_(db) {}

  Result<void> RecordFailure(const std::string& key, UnixMillis now) override {
    SHOEBOX_TRY(db_.Change(kInsertLoginFailure, Params().Add(key).Add(now)));
    return {};
  }
  Result<std::int64_t> CountFailuresSince(const std::string& key, UnixMillis since) override {
    return db_.Read<std::int64_t>([&](Connection& c) -> Result<std::int64_t> {
      SHOEBOX_ASSIGN(Rows rows, c.Run(kCountLoginFailures, Params().Add(key).Add(since)));
      return rows.Int(0, 0);
    });
  }
  Result<void> Clear(const std::string& key) override {
    SHOEBOX_TRY(db_.Change(kClearLoginFailures, Params().Add(key)));
    return {};
  }
  Result<void> DeleteOlderThan(UnixMillis before) override {
    SHOEBOX_TRY(db_.Change(kDeleteOldLoginFailures, Params().Add(before)));
    return {};
  }

 private:
  Database& db_;
};

}  // namespace

std::unique_ptr<UserRepository> NewPgUsers(Database& db) { return std::make_unique<PgUsers>(db); }
std::unique_ptr<CredentialRepository> NewPgCredentials(Database& db) {
  return std::make_unique<PgCredentials>(db);
}
std::unique_ptr<LoginAttemptRepository> NewPgLoginAttempts(Database& db) {
  return std::make_unique<PgLoginAttempts>(db);
}

}  // namespace shoebox::postgres
