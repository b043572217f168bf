// How an asset row is read on PostgreSQL, shared by the repositories that return assets.
#pragma once

#include "adapters/postgres/pg_db.h"
#include "adapters/sql_rules.h"
#include "ports/model.h"

namespace shoebox::postgres {

using sql::kAssetColumnCount;

// The asset in columns 0..kAssetColumnCount-1 (SHOEBOX_ASSET_COLUMNS) of `row`.
Asset ReadAsset(const Rows& rows, int row);

}  // namespace shoebox::postgres
