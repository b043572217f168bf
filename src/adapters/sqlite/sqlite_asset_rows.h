// How an asset row is read, shared by the repositories that return assets.
#pragma once

#include "adapters/sql_rules.h"
#include "adapters/sqlite/sqlite_db.h"
#include "ports/model.h"

namespace shoebox::sqlite {

using sql::kAssetColumnCount;

// The asset in columns 0..kAssetColumnCount-1 (SHOEBOX_ASSET_COLUMNS) of the current row.
Asset ReadAsset(const Statement& s);

}  // namespace shoebox::sqlite
