#include "agent/conditions.h"

#include <systemd/sd-bus.h>

#include <filesystem>
#include <fstream>

namespace shoebox::agent {
namespace {

namespace fs = std::filesystem;

std::string ReadLine(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

std::string HoldStateName(Hold hold) {
  switch (hold) {
    case Hold::kNone: return "";
    case Hold::kSignedOut: return "signed_out";
    case Hold::kOff: return "off";
    case Hold::kMetered: return "waiting_for_wifi";
    case Hold::kNoPower: return "waiting_for_power";
    case Hold::kNoConnection: return "waiting_for_connection";
  }
  return "";
}

std::string HoldHeadline(Hold hold) {
  switch (hold) {
    case Hold::kNone: return "";
    case Hold::kSignedOut: return "Signed out: run `shoebox login`";
    case Hold::kOff: return "Back up & sync is off";
    case Hold::kMetered: return "Waiting for Wi-Fi";
    case Hold::kNoPower: return "Waiting for power";
    case Hold::kNoConnection: return "Waiting for connection";
  }
  return "";
}

PowerReading ReadPower(const std::string& dir) {
  PowerReading reading;
  bool any_battery = false, mains_online = false, battery_charging = false;
  std::string battery_detail;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string type = ReadLine(entry.path() / "type");
    std::string name = entry.path().filename().string();
    if (type == "Battery") {
      // Peripherals (a mouse's battery) say scope=Device; only the system's own counts.
      if (ReadLine(entry.path() / "scope") == "Device") continue;
      any_battery = true;
      std::string status = ReadLine(entry.path() / "status");
      if (status == "Charging" || status == "Full") battery_charging = true;
      battery_detail = "battery " + (status.empty() ? std::string("unknown") : status) + " (" + name + ")";
    } else if (!type.empty()) {  // Mains, USB, USB_C, USB_PD, Wireless...
      if (ReadLine(entry.path() / "online") == "1") {
        mains_online = true;
        reading.detail = type + " power online (" + name + ")";
      }
    }
  }
  if (mains_online) {
    reading.on_mains = true;
  } else if (!any_battery) {
    reading.on_mains = true;
    reading.detail = "no battery";
  } else {
    reading.on_mains = battery_charging;
    reading.detail = battery_detail;
  }
  return reading;
}

NetworkReading ReadNetwork(MeteredSetting setting) {
  if (setting == MeteredSetting::kYes) return {true, "metered by setting (network.metered = yes)"};
  if (setting == MeteredSetting::kNo) return {false, "unmetered by setting (network.metered = no)"};
  sd_bus* bus = nullptr;
  if (sd_bus_open_system(&bus) < 0) {
    return {false, "no system bus; taken as unmetered (set network.metered to say otherwise)"};
  }
  sd_bus_error error = SD_BUS_ERROR_NULL;
  std::uint32_t metered = 0;
  int rc = sd_bus_get_property_trivial(bus, "org.freedesktop.NetworkManager",
                                       "/org/freedesktop/NetworkManager",
                                       "org.freedesktop.NetworkManager", "Metered", &error, 'u',
                                       &metered);
  sd_bus_error_free(&error);
  sd_bus_flush_close_unref(bus);
  if (rc < 0) {
    return {false, "NetworkManager not running; taken as unmetered (set network.metered to say otherwise)"};
  }
  // NMMetered: 0 unknown, 1 yes, 2 no, 3 guess-yes, 4 guess-no.
  bool is_metered = metered == 1 || metered == 3;
  return {is_metered, std::string("NetworkManager says ") + (is_metered ? "metered" : "unmetered")};
}

LocalConditions CheckLocal(const Settings& settings, bool signed_in) {
  LocalConditions c;
  if (!signed_in) {
    c.hold = Hold::kSignedOut;
    return c;
  }
  if (!settings.enabled) {
    c.hold = Hold::kOff;
    return c;
  }
  c.network = ReadNetwork(settings.metered);
  if (settings.wifi_only && c.network.metered) {
    c.hold = Hold::kMetered;
    return c;
  }
  c.power = ReadPower(settings.power_supply_dir);
  if (settings.charging_only && !c.power.on_mains) c.hold = Hold::kNoPower;
  return c;
}

}  // namespace shoebox::agent
