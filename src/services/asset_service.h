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
  AssetFilter filter;  // search
  std::string cursor;
  int limit = 100;
};

// The files an asset has: what was stored, the uploaded original kept after a Storage saver
// conversion, and the derived files.
// kLocationFree: the stored bytes without the place (see MediaService::LocationFreeCopy).
enum class AssetFile { kOriginal, kSource, kThumbnail, kPreview, kPlayback, kLocationFree };

struct StoredFile {
  Asset asset;
  std::string key;
  std::int64_t size = 0;
  std::string mime_type;
  std::string etag;       // quoted; changes whenever the bytes do
  std::string file_name;  // for Content-Disposition
  bool immutable = false; // the URL's bytes never change (derived files have versioned keys)
};

struct ChecksumLookup {
  std::vector<ChecksumMatch> matches;  // only the checksums the user has or deleted
};

// A page of the owner's change feed. `cursor` is where the next call continues.
struct ChangePage {
  std::vector<AssetChange> changes;
  std::string cursor;
  bool has_more = false;
};

enum class BulkAction { kFavorite, kUnfavorite, kArchive, kUnarchive, kTrash, kRestore };

// The server's storage as the admin page draws it: every user's originals, and the room left.
struct ServerStorage {
  StoreTotals originals;
  std::int64_t free_bytes = 0;
};

class AssetService {
 public:
  static constexpr std::size_t kMaxChecksumsPerLookup = 20000;
  static constexpr std::size_t kMaxBulkAssets = 1000;

  AssetService(AssetRepository& assets, BlobStore& blobs, AccessPolicy& policy,
               const Clock& clock, std::int64_t trash_retention_days,
               std::int64_t playback_max_bit_rate = 20'000'000)
      : assets_(assets), blobs_(blobs), policy_(policy), clock_(clock),
        trash_retention_days_(trash_retention_days),
        playback_max_bit_rate_(playback_max_bit_rate) {}

  // kBadRequest for a malformed cursor or a limit outside 1..1000.
  Result<AssetPage> List(const Caller& caller, const AssetListRequest& request);
  // The caller's own asset, or one shared with them through an album.
  Result<Asset> Get(const Caller& caller, const std::string& asset_id);
  // kBadRequest for more than kMaxChecksumsPerLookup or a malformed checksum.
  Result<ChecksumLookup> Exist(const Caller& caller, const std::vector<std::string>& sha256s);
  // Which stored file is `file` of the asset: kMediaNotReady for a derived file not made (yet,
  // or its making failed), kSourceExpired for a converted asset's original once let go,
  // kNotFound for a file the asset cannot have (a photo's playback).
  Result<StoredFile> Describe(const Caller& caller, const std::string& asset_id, AssetFile file);
  // The same for an asset whose access was already decided (a share link's item).
  Result<StoredFile> DescribeFile(const Asset& asset, AssetFile file);
  // Opens [offset, offset+length) of a described file. kRangeNotSatisfiable outside it.
  Result<std::unique_ptr<BlobReader>> Open(const StoredFile& file, std::int64_t offset,
                                           std::int64_t length);
  // What changed in the caller's library after `cursor` ("" or "0": from the beginning), for
  // devices mirroring it. kBadRequest for a malformed cursor or a limit outside 1..1000.
  Result<ChangePage> Changes(const Caller& caller, const std::string& cursor, int limit);
  // The caller's stored originals split into photos, videos and the trash.
  Result<UsageSplit> Usage(const Caller& caller);
  // Everyone's stored originals and the free space where they are kept (admins only).
  Result<ServerStorage> Storage(const Caller& caller);
  // Asset counts per month of capture, newest first.
  Result<std::vector<MonthBucket>> Buckets(const Caller& caller, AssetVisibility visibility);
  // Storage saver undone while the original is kept: the original is the asset again and the
  // asset's quality becomes Original. kSourceExpired when it is gone.
  Result<Asset> RestoreSource(const Caller& caller, const std::string& asset_id);
  Result<Asset> UpdateFlags(const Caller& caller, const std::string& asset_id,
                            const AssetFlagsPatch& patch);
  Result<void> Trash(const Caller& caller, const std::string& asset_id);
  Result<Asset> Restore(const Caller& caller, const std::string& asset_id);
  // Applies `action` to each of the caller's `asset_ids` (all or nothing when an id is not the
  // caller's: kNotFound). Returns how many changed. kBadRequest for 0 or over kMaxBulkAssets.
  Result<std::int64_t> Bulk(const Caller& caller, const std::vector<std::string>& asset_ids,
                            BulkAction action);
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
  std::int64_t playback_max_bit_rate_;
};

}  // namespace shoebox
