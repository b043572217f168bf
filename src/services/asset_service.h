// A user's library: listing, reading originals, flags, trash and the checksum lookup devices use
// to upload only what is missing.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "ports/blob_store.h"
#include "ports/metadata_store.h"
#include "services/access_policy.h"
#include "services/caller.h"

namespace shoebox {

struct AssetPage {
  std::vector<Asset> assets;
  std::string next_cursor;  // empty on the last page
};

struct AssetListRequest {
  AssetVisibility visibility = AssetVisibility::kTimeline;
  bool favorites_only = false;
  std::string cursor;
  int limit = 100;
};

struct OriginalContent {
  Asset asset;
  std::int64_t offset = 0;
  std::int64_t length = 0;
  std::unique_ptr<BlobReader> reader;
};

struct ChecksumLookup {
  std::vector<ChecksumMatch> matches;  // only the checksums the user has or deleted
};

class AssetService {
 public:
  static constexpr std::size_t kMaxChecksumsPerLookup = 20000;

  AssetService(AssetRepository& assets, BlobStore& blobs, AccessPolicy& policy,
               const Clock& clock, std::int64_t trash_retention_days)
      : assets_(assets), blobs_(blobs), policy_(policy), clock_(clock),
        trash_retention_days_(trash_retention_days) {}

  // kBadRequest for a malformed cursor or a limit outside 1..1000.
  Result<AssetPage> List(const Caller& caller, const AssetListRequest& request);
  Result<Asset> Get(const Caller& caller, const std::string& asset_id);
  // kBadRequest for more than kMaxChecksumsPerLookup or a malformed checksum.
  Result<ChecksumLookup> Exist(const Caller& caller, const std::vector<std::string>& sha256s);
  // Opens [offset, offset+length) of the original; length nullopt means to the end.
  // kRangeNotSatisfiable when the range is outside the file.
  Result<OriginalContent> OpenOriginal(const Caller& caller, const std::string& asset_id,
                                       std::int64_t offset, std::optional<std::int64_t> length);
  Result<Asset> UpdateFlags(const Caller& caller, const std::string& asset_id,
                            const AssetFlagsPatch& patch);
  Result<void> Trash(const Caller& caller, const std::string& asset_id);
  Result<Asset> Restore(const Caller& caller, const std::string& asset_id);
  // Deletes the caller's trash for good; returns the number of assets deleted.
  Result<std::int64_t> EmptyTrash(const Caller& caller);
  // Deletes everyone's trash older than the retention period and deletes owed blobs.
  Result<std::int64_t> PurgeExpiredTrash();
  std::int64_t trash_retention_days() const { return trash_retention_days_; }

 private:
  Result<void> DeleteOwedBlobs();

  AssetRepository& assets_;
  BlobStore& blobs_;
  AccessPolicy& policy_;
  const Clock& clock_;
  std::int64_t trash_retention_days_;
};

}  // namespace shoebox
