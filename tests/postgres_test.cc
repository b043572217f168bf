// The private PostgreSQL server the scale-out tests run against: it starts from nothing, answers
// on 127.0.0.1, and leaves no process behind.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <signal.h>

#include <atomic>
#include <thread>

#include "adapters/postgres/pg_db.h"
#include "adapters/postgres/pg_migrations.h"
#include "adapters/postgres/pg_repositories.h"
#include "core/ids.h"
#include "tests/support/postgres_server.h"

namespace shoebox::testing {
namespace {

std::string QueryOne(const std::string& url, const std::string& sql) {
  PGconn* connection = PQconnectdb(url.c_str());
  EXPECT_EQ(PQstatus(connection), CONNECTION_OK) << PQerrorMessage(connection);
  PGresult* result = PQexec(connection, sql.c_str());
  std::string value = PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) > 0
                          ? PQgetvalue(result, 0, 0)
                          : std::string("error: ") + PQerrorMessage(connection);
  PQclear(result);
  PQfinish(connection);
  return value;
}

TEST(PostgresServerTest, StartsAnswersOnLoopbackAndStopsCleanly) {
  pid_t pid = -1;
  {
    PostgresServer server;
    pid = server.pid();
    EXPECT_EQ(QueryOne(server.Url(), "SELECT 1 + 1"), "2");
    std::string url = server.CreateDatabase("library");
    EXPECT_EQ(QueryOne(url, "SELECT current_database()"), "library");
    EXPECT_EQ(QueryOne(url, "SHOW listen_addresses"), "127.0.0.1");
    EXPECT_EQ(QueryOne(url, "SELECT pg_encoding_to_char(encoding) FROM pg_database "
                            "WHERE datname = 'library'"),
              "UTF8");
  }
  EXPECT_NE(::kill(pid, 0), 0);  // gone
}

TEST(PostgresDatabaseTest, TransactionsParametersAndErrorsAsValues) {
  PostgresServer server;
  auto db = postgres::Database::Open(server.CreateDatabase("t"), 2);
  ASSERT_TRUE(db) << db.error().message;
  using postgres::Connection;
  using postgres::Params;
  ASSERT_TRUE((*db)->Write<void>([](Connection& c) {
    return c.Script("CREATE TABLE notes (id TEXT PRIMARY KEY, n BIGINT, x DOUBLE PRECISION, "
                    "b BYTEA, at BIGINT)");
  }));
  static constexpr char kInsert[] = "INSERT INTO notes (id, n, x, b, at) VALUES ($1, $2, $3, $4, $5)";
  static constexpr char kSelect[] = "SELECT id, n, x, b, at FROM notes ORDER BY id";
  std::string bytes("a\0b\xff", 4);
  ASSERT_TRUE((*db)->Write<void>([&](Connection& c) -> Result<void> {
    SHOEBOX_TRY(c.Run(kInsert, Params().Add("one").Add(std::int64_t{-7}).AddDouble(0.1).AddBytes(bytes).AddNull()));
    SHOEBOX_TRY(c.Run(kInsert, Params().Add("two").Add(9).AddDouble(2.5).AddBytes("").Add(std::optional<std::int64_t>(5))));
    return {};
  }));
  // A duplicate key is a conflict, and the whole transaction goes.
  auto duplicate = (*db)->Write<void>([&](Connection& c) -> Result<void> {
    SHOEBOX_TRY(c.Run(kInsert, Params().Add("three").Add(1).AddDouble(1).AddBytes("").AddNull()));
    SHOEBOX_TRY(c.Run(kInsert, Params().Add("one").Add(1).AddDouble(1).AddBytes("").AddNull()));
    return {};
  });
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().code, ErrorCode::kConflict);
  auto rows = (*db)->Read<postgres::Rows>([&](Connection& c) { return c.Run(kSelect); });
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 2);
  EXPECT_EQ(rows->Text(0, 0), "one");
  EXPECT_EQ(rows->Int(0, 1), -7);
  EXPECT_DOUBLE_EQ(rows->Double(0, 2), 0.1);
  EXPECT_EQ(rows->Bytes(0, 3), bytes);
  EXPECT_FALSE(rows->OptionalInt(0, 4));
  EXPECT_EQ(rows->OptionalInt(1, 4), 5);
  // A read-only transaction refuses writes.
  auto write_in_read = (*db)->Read<void>([&](Connection& c) -> Result<void> {
    SHOEBOX_TRY(c.Run(kInsert, Params().Add("four").Add(1).AddDouble(1).AddBytes("").AddNull()));
    return {};
  });
  EXPECT_FALSE(write_in_read);
}

TEST(PostgresDatabaseTest, AServerThatIsGoneIsUnavailableNotACrash) {
  std::string url;
  std::unique_ptr<postgres::Database> db;
  {
    PostgresServer server;
    url = server.Url();
    auto opened = postgres::Database::Open(url, 1);
    ASSERT_TRUE(opened);
    db = std::move(*opened);
  }
  static constexpr char kOne[] = "SELECT 1";
  auto result = db->Read<postgres::Rows>([](postgres::Connection& c) { return c.Run(kOne); });
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(postgres::Database::Open(url, 1).error().code, ErrorCode::kUnavailable);
}

TEST(PostgresMigrationsTest, InstancesStartingTogetherMigrateOnce) {
  PostgresServer server;
  std::string url = server.CreateDatabase("library");
  std::vector<Result<void>> results(3, Result<void>());
  std::vector<std::thread> instances;
  for (int i = 0; i < 3; ++i) {
    instances.emplace_back([&, i] {
      auto db = postgres::Database::Open(url, 1);
      results[i] = db ? postgres::Migrate(**db) : Result<void>(db.error());
    });
  }
  for (auto& t : instances) t.join();
  for (const auto& r : results) EXPECT_TRUE(r) << r.error().message;
  auto db = std::move(*postgres::Database::Open(url, 1));
  EXPECT_EQ(*postgres::SchemaVersion(*db), postgres::Migrations().back().version);
  EXPECT_TRUE(postgres::Migrate(*db));  // nothing left to do
  // The change feed follows every write to an asset, whatever statement made it.
  static constexpr char kSetup[] =
      "INSERT INTO users (id, email, name, password_hash, storage_label, created_at) "
      "VALUES ('u', 'u@example.com', 'u', 'h', 'u', 0)";
  static constexpr char kAsset[] =
      "INSERT INTO assets (id, owner_id, sha256, blob_key, original_name, mime_type, kind, "
      "size_bytes, taken_at, uploaded_at, device_id, device_asset_id) "
      "VALUES ($1, 'u', $1, $1, 'a.jpg', 'image/jpeg', 'photo', 1, 0, 0, '', '')";
  static constexpr char kFavourite[] = "UPDATE assets SET is_favorite = true WHERE id = 'a'";
  static constexpr char kFeed[] = "SELECT asset_id FROM asset_changes ORDER BY seq";
  ASSERT_TRUE(db->Write<void>([&](postgres::Connection& c) -> Result<void> {
    SHOEBOX_TRY(c.Run(kSetup));
    SHOEBOX_TRY(c.Run(kAsset, postgres::Params().Add("a")));
    SHOEBOX_TRY(c.Run(kAsset, postgres::Params().Add("b")));
    SHOEBOX_TRY(c.Run(kFavourite));
    return {};
  }));
  auto feed = db->Read<postgres::Rows>([&](postgres::Connection& c) { return c.Run(kFeed); });
  ASSERT_EQ(feed->size(), 2);
  EXPECT_EQ(feed->Text(0, 0), "b");
  EXPECT_EQ(feed->Text(1, 0), "a");
  // A database written by a newer Shoebox is refused, not changed.
  static constexpr char kFuture[] = "INSERT INTO schema_migrations VALUES (99, 0)";
  ASSERT_TRUE(db->Write<postgres::Rows>([&](postgres::Connection& c) { return c.Run(kFuture); }));
  auto refused = postgres::Migrate(*db);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInternal);
}

// The users repository keeps the UserRepository contract (as the SQLite conformance suite
// checks it), also when several instances create users at the same moment.
TEST(PostgresAccountsTest, UsersCredentialsAndFailedSignInsAcrossInstances) {
  PostgresServer server;
  std::string url = server.CreateDatabase("library");
  auto db = std::move(*postgres::Database::Open(url, 4));
  ASSERT_TRUE(postgres::Migrate(*db));
  auto users = postgres::NewPgUsers(*db);
  auto make = [](const std::string& email, UnixMillis at) {
    User user;
    user.id = NewId(at);
    user.email = email;
    user.name = email;
    user.password_hash = "hash";
    user.storage_label = email.substr(0, email.find('@'));
    user.created_at = at;
    return user;
  };
  // Four instances race to create the first administrator: exactly one wins.
  std::vector<std::unique_ptr<postgres::Database>> instances;
  std::vector<std::unique_ptr<UserRepository>> repos;
  for (int i = 0; i < 4; ++i) {
    instances.push_back(std::move(*postgres::Database::Open(url, 1)));
    repos.push_back(postgres::NewPgUsers(*instances.back()));
  }
  std::atomic<int> won{0}, refused{0};
  std::vector<std::thread> racers;
  for (int i = 0; i < 4; ++i) {
    racers.emplace_back([&, i] {
      auto first = repos[i]->CreateFirst(make("admin" + std::to_string(i) + "@example.com", 1000 + i));
      if (first) ++won;
      else if (first.error().code == ErrorCode::kAlreadySetUp) ++refused;
    });
  }
  for (auto& t : racers) t.join();
  EXPECT_EQ(won, 1);
  EXPECT_EQ(refused, 3);
  // Same storage label from different domains gets a suffix; same email is refused.
  User ann = *users->Create(make("ann@example.com", 2000));
  User other = *users->Create(make("ann@other.org", 2001));
  EXPECT_EQ(ann.storage_label, "ann");
  EXPECT_EQ(other.storage_label, "ann-2");
  EXPECT_EQ(users->Create(make("ann@example.com", 2002)).error().code, ErrorCode::kEmailTaken);
  UserPatch patch;
  patch.quota_bytes = std::optional<std::int64_t>(500);
  patch.disabled = true;
  patch.default_quality = Quality::kStorageSaver;
  User updated = *users->Update(ann.id, patch);
  EXPECT_EQ(updated.quota_bytes, 500);
  EXPECT_TRUE(updated.disabled);
  EXPECT_EQ(updated.default_quality, Quality::kStorageSaver);
  patch = {};
  patch.quota_bytes = std::optional<std::int64_t>();  // back to unlimited
  EXPECT_FALSE(users->Update(ann.id, patch)->quota_bytes);
  EXPECT_EQ((*users->FindByEmail("ann@other.org"))->id, other.id);
  EXPECT_FALSE(*users->FindByEmail("nobody@example.com"));
  EXPECT_EQ(users->Get(NewId(1)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(*users->Count(), 3);
  EXPECT_EQ(users->List()->size(), 3u);

  // Sessions and API keys: found by their secret's hash until they expire, one user's only.
  auto credentials = postgres::NewPgCredentials(*db);
  Credential session{NewId(3000), ann.id, "hash-1", CredentialKind::kSession, "browser", 3000, 3000, 5000};
  Credential key{NewId(3001), ann.id, "hash-2", CredentialKind::kApiKey, "phone", 3001, 3001, std::nullopt};
  ASSERT_TRUE(credentials->Create(session));
  ASSERT_TRUE(credentials->Create(key));
  EXPECT_EQ(credentials->Create(session).error().code, ErrorCode::kConflict);
  auto found = *credentials->FindBySecretHash("hash-1", 4000);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->first.id, session.id);
  EXPECT_EQ(found->second.email, "ann@example.com");
  EXPECT_FALSE(*credentials->FindBySecretHash("hash-1", 5000));  // expired
  ASSERT_TRUE(credentials->Touch(key.id, 9000));
  auto keys = *credentials->ListForUser(ann.id, CredentialKind::kApiKey);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].last_used_at, 9000);
  EXPECT_FALSE(keys[0].expires_at);
  EXPECT_EQ(credentials->Delete(other.id, key.id).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(credentials->Delete(ann.id, key.id));
  ASSERT_TRUE(credentials->DeleteAllForUser(ann.id));
  EXPECT_FALSE(*credentials->FindBySecretHash("hash-1", 4000));

  // Failed sign-ins, shared by every instance.
  auto attempts = postgres::NewPgLoginAttempts(*db);
  for (UnixMillis at : {100, 200, 300}) ASSERT_TRUE(attempts->RecordFailure("ann|1.2.3.4", at));
  EXPECT_EQ(*attempts->CountFailuresSince("ann|1.2.3.4", 200), 2);
  ASSERT_TRUE(attempts->DeleteOlderThan(300));
  EXPECT_EQ(*attempts->CountFailuresSince("ann|1.2.3.4", 0), 1);
  ASSERT_TRUE(attempts->Clear("ann|1.2.3.4"));
  EXPECT_EQ(*attempts->CountFailuresSince("ann|1.2.3.4", 0), 0);
}

}  // namespace
}  // namespace shoebox::testing
