// Devices are the API keys a user's backup agents sign in with. Each agent reports its backup
// state (what `shoebox status` shows) so the web app can show every device of the user.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "ports/metadata_store.h"
#include "services/caller.h"

namespace shoebox {

struct Device {
  Credential key;
  std::optional<DeviceStatus> status;  // nullopt until the agent first reports
  bool is_caller = false;              // the request was made with this device's key
};

class DeviceService {
 public:
  static constexpr std::size_t kMaxStatusBytes = 64 * 1024;

  DeviceService(CredentialRepository& credentials, DeviceRepository& devices, const Clock& clock)
      : credentials_(credentials), devices_(devices), clock_(clock) {}

  Result<std::vector<Device>> List(const Caller& caller);
  // Stores `status_json` (already validated by the caller of this method) as the device's
  // latest state. kNotFound for a device that is not one of the caller's; kPayloadTooLarge
  // past kMaxStatusBytes.
  Result<Device> ReportStatus(const Caller& caller, const std::string& device_id,
                              const std::string& status_json);

 private:
  CredentialRepository& credentials_;
  DeviceRepository& devices_;
  const Clock& clock_;
};

}  // namespace shoebox
