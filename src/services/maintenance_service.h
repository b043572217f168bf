// Periodic housekeeping, safe to run on every instance at once (each step is idempotent):
// expired uploads and their bytes, trash past its retention, blobs owed deletion, old login
// failures.
#pragma once

#include "core/clock.h"
#include "ports/metadata_store.h"
#include "services/asset_service.h"
#include "services/upload_service.h"

namespace shoebox {

struct MaintenanceReport {
  std::int64_t uploads_completed = 0;
  std::int64_t uploads_removed = 0;
  std::int64_t assets_purged = 0;
};

class MaintenanceService {
 public:
  MaintenanceService(UploadService& uploads, AssetService& assets,
                     LoginAttemptRepository& login_attempts, const Clock& clock)
      : uploads_(uploads), assets_(assets), login_attempts_(login_attempts), clock_(clock) {}

  Result<MaintenanceReport> RunOnce();

 private:
  UploadService& uploads_;
  AssetService& assets_;
  LoginAttemptRepository& login_attempts_;
  const Clock& clock_;
};

}  // namespace shoebox
