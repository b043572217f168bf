// The device's backup settings and sign-in, kept in the user's config folder:
//   settings.toml     what `shoebox settings get|set` and `shoebox backup add|remove` change
//   credentials.toml  the server, this device's API key and id (mode 0600)
// The folder is $SHOEBOX_CONFIG_DIR, else --config-dir, else $XDG_CONFIG_HOME/shoebox, else
// ~/.config/shoebox; the state database lives in $XDG_DATA_HOME/shoebox (~/.local/share).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace shoebox::agent {

enum class UploadQuality { kOriginal, kStorageSaver };
// How to tell a metered network: NetworkManager's Metered property when it runs ("auto"), or
// what the user says ("yes": always metered, "no": never).
enum class MeteredSetting { kAuto, kYes, kNo };
enum class SyncMode { kOff, kPreviews, kOriginals };

struct Settings {
  bool enabled = true;                    // "Back up & sync"
  std::vector<std::string> folders;       // absolute paths
  bool wifi_only = true;                  // back up on unmetered networks only
  bool charging_only = false;             // back up on mains power only
  UploadQuality quality = UploadQuality::kOriginal;
  int concurrency = 4;                    // uploads at once (as rclone's default transfers)
  std::int64_t bandwidth_kbps = 0;        // upload cap in kilobytes/s; 0: none
  std::vector<std::string> include;       // globs on the file name; empty: every photo/video
  std::vector<std::string> exclude = {".*", "*.tmp", "*.part", "*.crdownload"};
  MeteredSetting metered = MeteredSetting::kAuto;
  std::string power_supply_dir = "/sys/class/power_supply";
  std::int64_t rescan_minutes = 15;       // the agent's periodic full rescan
  std::int64_t settle_seconds = 3;        // quiet time before a new file counts as written
  std::int64_t chunk_mb = 32;             // bytes per PATCH (under proxies' body caps)
  std::string sync_folder;                // two-way sync: where the library is mirrored
  SyncMode sync_mode = SyncMode::kOff;
};

struct Credentials {
  std::string server;       // http://host:port
  std::string token;        // this device's API key
  std::string device_id;    // the key's id on the server
  std::string device_name;
  std::string email;
};

struct Paths {
  std::filesystem::path config_dir;
  std::filesystem::path data_dir;
  std::filesystem::path settings_file() const { return config_dir / "settings.toml"; }
  std::filesystem::path credentials_file() const { return config_dir / "credentials.toml"; }
  std::filesystem::path state_db() const { return data_dir / "state.db"; }
  // Resolves the folders from the environment; `config_dir_flag` wins when not empty.
  static Paths Resolve(const std::string& config_dir_flag);
};

// Missing file: defaults. kBadRequest naming the key for a value of the wrong type.
Result<Settings> LoadSettings(const Paths& paths);
Result<void> SaveSettings(const Paths& paths, const Settings& settings);
Result<std::optional<Credentials>> LoadCredentials(const Paths& paths);
Result<void> SaveCredentials(const Paths& paths, const Credentials& credentials);
Result<void> ForgetCredentials(const Paths& paths);

// `shoebox settings get|set`: every key with its current value, as "key = value" lines.
std::vector<std::pair<std::string, std::string>> ListSettings(const Settings& settings);
// kBadRequest for an unknown key or a value it cannot take (lists: comma-separated).
Result<void> SetSetting(Settings& settings, const std::string& key, const std::string& value);

std::string QualityName(UploadQuality quality);

}  // namespace shoebox::agent
