// The backup rules, one policy evaluated before every chunk: is Back up & sync on, is the
// network unmetered when it must be ("Wi-Fi only"), is the device on mains power when it must be
// ("while charging"), and does the server answer. Each answer comes from the system itself:
// NetworkManager's Metered property over D-Bus, the kernel's power-supply folder.
#pragma once

#include <optional>
#include <string>

#include "agent/settings.h"

namespace shoebox::agent {

// Why backing up is on hold; kNone: go ahead. The order is the order they are checked in: the
// local ones first, so a metered network is never used even to ask the server anything.
enum class Hold { kNone, kSignedOut, kOff, kMetered, kNoPower, kNoConnection };

// The state word devices report and `shoebox status --json` prints for a hold.
std::string HoldStateName(Hold hold);
// The headline a person reads for a hold ("Waiting for Wi-Fi").
std::string HoldHeadline(Hold hold);

struct PowerReading {
  bool on_mains = true;
  std::string detail;  // e.g. "battery discharging (BAT0)"
};

// Reads /sys/class/power_supply (or `dir`): mains when a Mains/USB supply is online or a battery
// is charging or full; a machine without any battery is always on mains.
PowerReading ReadPower(const std::string& dir);

struct NetworkReading {
  bool metered = false;
  std::string detail;  // where the answer came from
};

// NetworkManager's global Metered property (yes and guess-yes count as metered) when the setting
// is auto and NetworkManager answers on the system bus; else the setting.
NetworkReading ReadNetwork(MeteredSetting setting);

// The rules that hold no matter the server: signed in, on, network, power.
struct LocalConditions {
  Hold hold = Hold::kNone;
  PowerReading power;
  NetworkReading network;
};
LocalConditions CheckLocal(const Settings& settings, bool signed_in);

}  // namespace shoebox::agent
