// The PostgreSQL repositories, one per aggregate, each on the shared pg_db layer. The
// MetadataStore that gathers them comes once all exist (issue 6); until then each is built
// and tested on its own against the same contract as the SQLite ones.
#pragma once

#include <memory>

#include "adapters/postgres/pg_db.h"
#include "ports/metadata_store.h"

namespace shoebox::postgres {

// Accounts (pg_accounts.cc): users, their sessions and API keys, failed sign-ins.
std::unique_ptr<UserRepository> NewPgUsers(Database& db);
std::unique_ptr<CredentialRepository> NewPgCredentials(Database& db);
std::unique_ptr<LoginAttemptRepository> NewPgLoginAttempts(Database& db);

}  // namespace shoebox::postgres
