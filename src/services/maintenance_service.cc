#include "services/maintenance_service.h"

namespace shoebox {

Result<MaintenanceReport> MaintenanceService::RunOnce() {
  MaintenanceReport report;
  SHOEBOX_ASSIGN(report.uploads_completed, uploads_.CompleteStalled());
  SHOEBOX_ASSIGN(report.uploads_removed, uploads_.RemoveExpired());
  SHOEBOX_ASSIGN(report.assets_purged, assets_.PurgeExpiredTrash());
  SHOEBOX_TRY(login_attempts_.DeleteOlderThan(clock_.Now() - kMillisPerDay));
  return report;
}

}  // namespace shoebox
