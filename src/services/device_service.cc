#include "services/device_service.h"

#include <map>

namespace shoebox {

Result<std::vector<Device>> DeviceService::List(const Caller& caller) {
  SHOEBOX_ASSIGN(auto keys, credentials_.ListForUser(caller.user.id, CredentialKind::kApiKey));
  SHOEBOX_ASSIGN(auto reports, devices_.ListStatus(caller.user.id));
  std::map<std::string, DeviceStatus> by_device;
  for (DeviceStatus& report : reports) by_device[report.device_id] = std::move(report);
  std::vector<Device> out;
  for (Credential& key : keys) {
    Device device;
    if (auto it = by_device.find(key.id); it != by_device.end()) device.status = it->second;
    device.is_caller = key.id == caller.credential_id;
    device.key = std::move(key);
    out.push_back(std::move(device));
  }
  return out;
}

Result<Device> DeviceService::ReportStatus(const Caller& caller, const std::string& device_id,
                                           const std::string& status_json) {
  if (status_json.size() > kMaxStatusBytes) {
    return MakeError(ErrorCode::kPayloadTooLarge, "a device status is at most 64 KiB");
  }
  // Only the caller's own keys: every other id answers as a missing one.
  SHOEBOX_ASSIGN(auto keys, credentials_.ListForUser(caller.user.id, CredentialKind::kApiKey));
  for (Credential& key : keys) {
    if (key.id != device_id) continue;
    DeviceStatus status{device_id, status_json, clock_.Now()};
    SHOEBOX_TRY(devices_.PutStatus(status));
    bool is_caller = key.id == caller.credential_id;
    return Device{std::move(key), std::move(status), is_caller};
  }
  return MakeError(ErrorCode::kNotFound, "device not found");
}

}  // namespace shoebox
