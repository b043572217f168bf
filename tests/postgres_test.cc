// The private PostgreSQL server the scale-out tests run against: it starts from nothing, answers
// on 127.0.0.1, and leaves no process behind.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <signal.h>

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

}  // namespace
}  // namespace shoebox::testing
