// Numbered, forward-only schema migrations. A released migration is never edited; a change is a
// new entry at the end.
#pragma once

#include <vector>

namespace shoebox::sqlite {

struct Migration {
  int version;
  const char* sql;
};

const std::vector<Migration>& Migrations();

}  // namespace shoebox::sqlite
