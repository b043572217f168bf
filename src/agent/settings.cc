#include "agent/settings.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <toml++/toml.h>

#include "core/durable_file.h"
#include "core/text.h"

namespace shoebox::agent {
namespace {

namespace fs = std::filesystem;

enum class Kind { kBool, kInt, kText, kList };

// One settings key: its TOML place and how to read and write it as text.
struct Key {
  const char* name;  // "section.field"
  Kind kind;
  std::function<std::string(const Settings&)> get;
  std::function<Result<void>(Settings&, const std::string&)> set;
};

Result<bool> ParseBool(const std::string& key, const std::string& value) {
  std::string v = AsciiLower(value);
  if (v == "true" || v == "on" || v == "yes" || v == "1") return true;
  if (v == "false" || v == "off" || v == "no" || v == "0") return false;
  return MakeError(ErrorCode::kBadRequest, key + " takes true or false, not '" + value + "'");
}

Result<std::int64_t> ParseCount(const std::string& key, const std::string& value,
                                std::int64_t min, std::int64_t max) {
  auto parsed = ParseNonNegativeInt(value);
  if (!parsed || *parsed < min || *parsed > max) {
    return MakeError(ErrorCode::kBadRequest, key + " takes a whole number from " +
                                                 std::to_string(min) + " to " + std::to_string(max));
  }
  return *parsed;
}

std::vector<std::string> SplitList(const std::string& value) {
  std::vector<std::string> out;
  std::stringstream in(value);
  std::string item;
  while (std::getline(in, item, ',')) {
    auto begin = item.find_first_not_of(' ');
    auto end = item.find_last_not_of(' ');
    if (begin != std::string::npos) out.push_back(item.substr(begin, end - begin + 1));
  }
  return out;
}

std::string JoinList(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

Key BoolKey(const char* name, bool Settings::*field) {
  return {name, Kind::kBool, [field](const Settings& s) { return std::string(s.*field ? "true" : "false"); },
          [name, field](Settings& s, const std::string& v) -> Result<void> {
            SHOEBOX_ASSIGN(s.*field, ParseBool(name, v));
            return {};
          }};
}

template <class T>
Key CountKey(const char* name, T Settings::*field, std::int64_t min, std::int64_t max) {
  return {name, Kind::kInt, [field](const Settings& s) { return std::to_string(s.*field); },
          [=](Settings& s, const std::string& v) -> Result<void> {
            SHOEBOX_ASSIGN(auto n, ParseCount(name, v, min, max));
            s.*field = static_cast<T>(n);
            return {};
          }};
}

Key ListKey(const char* name, std::vector<std::string> Settings::*field) {
  return {name, Kind::kList, [field](const Settings& s) { return JoinList(s.*field); },
          [field](Settings& s, const std::string& v) -> Result<void> {
            s.*field = SplitList(v);
            return {};
          }};
}

// A setting with a few named values, `names` in the enum's order.
template <class E>
Key ChoiceKey(const char* name, E Settings::*field, std::vector<std::string> names) {
  return {name, Kind::kText,
          [field, names](const Settings& s) { return names[static_cast<std::size_t>(s.*field)]; },
          [=](Settings& s, const std::string& v) -> Result<void> {
            for (std::size_t i = 0; i < names.size(); ++i) {
              if (names[i] == v) {
                s.*field = static_cast<E>(i);
                return {};
              }
            }
            std::string choices = names.front();  // "a, b or c"
            for (std::size_t i = 1; i < names.size(); ++i) {
              choices += (i + 1 == names.size() ? " or " : ", ") + names[i];
            }
            return MakeError(ErrorCode::kBadRequest, std::string(name) + " is " + choices);
          }};
}

const std::vector<Key>& Keys() {
  static const std::vector<Key> keys = {
      BoolKey("backup.enabled", &Settings::enabled),
      ListKey("backup.folders", &Settings::folders),
      BoolKey("backup.wifi_only", &Settings::wifi_only),
      BoolKey("backup.charging_only", &Settings::charging_only),
      ChoiceKey("backup.quality", &Settings::quality, {"original", "storage-saver"}),
      CountKey("backup.concurrency", &Settings::concurrency, 1, 16),
      CountKey("backup.bandwidth_kbps", &Settings::bandwidth_kbps, 0, 10'000'000),
      ListKey("backup.include", &Settings::include),
      ListKey("backup.exclude", &Settings::exclude),
      ChoiceKey("network.metered", &Settings::metered, {"auto", "yes", "no"}),
      {"power.supply_dir", Kind::kText, [](const Settings& s) { return s.power_supply_dir; },
       [](Settings& s, const std::string& v) -> Result<void> {
         s.power_supply_dir = v;
         return {};
       }},
      CountKey("agent.rescan_minutes", &Settings::rescan_minutes, 1, 10080),
      CountKey("agent.settle_seconds", &Settings::settle_seconds, 0, 3600),
      CountKey("upload.chunk_mb", &Settings::chunk_mb, 1, 4096),
      {"sync.folder", Kind::kText, [](const Settings& s) { return s.sync_folder; },
       [](Settings& s, const std::string& v) -> Result<void> {
         s.sync_folder = v.empty() ? v : fs::absolute(v).lexically_normal().string();
         return {};
       }},
      ChoiceKey("sync.mode", &Settings::sync_mode, {"off", "previews", "originals"}),
  };
  return keys;
}

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

Result<void> WritePrivate(const fs::path& path, const std::string& text, int mode) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return MakeError(ErrorCode::kInternal, "cannot create " + path.parent_path().string());
  return WriteFileAtomically(path, text, mode);
}

// The value of `node` as the text SetSetting takes.
std::optional<std::string> NodeText(const toml::node& node) {
  if (node.is_boolean()) return *node.value<bool>() ? "true" : "false";
  if (node.is_integer()) return std::to_string(*node.value<std::int64_t>());
  if (node.is_string()) return *node.value<std::string>();
  if (const toml::array* list = node.as_array()) {
    std::vector<std::string> items;
    for (const auto& item : *list) {
      auto text = item.value<std::string>();
      if (!text) return std::nullopt;
      items.push_back(*text);
    }
    return JoinList(items);
  }
  return std::nullopt;
}

}  // namespace

std::string QualityName(UploadQuality quality) {
  return quality == UploadQuality::kOriginal ? "original" : "storage-saver";
}

Paths Paths::Resolve(const std::string& config_dir_flag) {
  Paths paths;
  std::string home = Env("HOME");
  if (!Env("SHOEBOX_CONFIG_DIR").empty()) {
    paths.config_dir = Env("SHOEBOX_CONFIG_DIR");
  } else if (!config_dir_flag.empty()) {
    paths.config_dir = config_dir_flag;
  } else if (!Env("XDG_CONFIG_HOME").empty()) {
    paths.config_dir = fs::path(Env("XDG_CONFIG_HOME")) / "shoebox";
  } else {
    paths.config_dir = fs::path(home) / ".config" / "shoebox";
  }
  if (!Env("SHOEBOX_DATA_DIR").empty()) {
    paths.data_dir = Env("SHOEBOX_DATA_DIR");
  } else if (!Env("SHOEBOX_CONFIG_DIR").empty() || !config_dir_flag.empty()) {
    // A config folder chosen by hand keeps its state beside it, so two of them never share.
    paths.data_dir = paths.config_dir / "state";
  } else if (!Env("XDG_DATA_HOME").empty()) {
    paths.data_dir = fs::path(Env("XDG_DATA_HOME")) / "shoebox";
  } else {
    paths.data_dir = fs::path(home) / ".local" / "share" / "shoebox";
  }
  return paths;
}

Result<Settings> LoadSettings(const Paths& paths) {
  Settings settings;
  std::error_code ec;
  if (!fs::exists(paths.settings_file(), ec)) return settings;
  toml::table table;
  try {
    table = toml::parse_file(paths.settings_file().string());
  } catch (const toml::parse_error& e) {
    return MakeError(ErrorCode::kBadRequest,
                     paths.settings_file().string() + ": " + std::string(e.description()));
  }
  for (const Key& key : Keys()) {
    const toml::node* node = table.at_path(key.name).node();
    if (!node) continue;
    auto text = NodeText(*node);
    if (!text) {
      return MakeError(ErrorCode::kBadRequest,
                       paths.settings_file().string() + ": " + key.name + " has the wrong type");
    }
    auto set = key.set(settings, *text);
    if (!set) {
      return MakeError(ErrorCode::kBadRequest,
                       paths.settings_file().string() + ": " + set.error().message);
    }
  }
  return settings;
}

Result<void> SaveSettings(const Paths& paths, const Settings& settings) {
  toml::table table;
  for (const Key& key : Keys()) {
    std::string name = key.name;
    std::string section = name.substr(0, name.find('.'));
    std::string field = name.substr(name.find('.') + 1);
    if (!table.contains(section)) table.insert(section, toml::table{});
    toml::table& part = *table[section].as_table();
    std::string value = key.get(settings);
    switch (key.kind) {
      case Kind::kBool: part.insert(field, value == "true"); break;
      case Kind::kInt: part.insert(field, static_cast<std::int64_t>(std::stoll(value))); break;
      case Kind::kText: part.insert(field, value); break;
      case Kind::kList: {
        toml::array list;
        for (const auto& item : SplitList(value)) list.push_back(item);
        part.insert(field, std::move(list));
        break;
      }
    }
  }
  std::ostringstream out;
  out << "# Shoebox backup settings: change them with `shoebox settings set KEY VALUE`.\n"
      << table << "\n";
  return WritePrivate(paths.settings_file(), out.str(), 0644);
}

Result<std::optional<Credentials>> LoadCredentials(const Paths& paths) {
  std::error_code ec;
  if (!fs::exists(paths.credentials_file(), ec)) return std::optional<Credentials>();
  toml::table table;
  try {
    table = toml::parse_file(paths.credentials_file().string());
  } catch (const toml::parse_error& e) {
    return MakeError(ErrorCode::kBadRequest,
                     paths.credentials_file().string() + ": " + std::string(e.description()));
  }
  Credentials c;
  c.server = table["server"].value_or(std::string());
  c.token = table["token"].value_or(std::string());
  c.device_id = table["device_id"].value_or(std::string());
  c.device_name = table["device_name"].value_or(std::string());
  c.email = table["email"].value_or(std::string());
  if (c.server.empty() || c.token.empty()) return std::optional<Credentials>();
  return std::optional<Credentials>(c);
}

Result<void> SaveCredentials(const Paths& paths, const Credentials& c) {
  toml::table table{{"server", c.server},
                    {"token", c.token},
                    {"device_id", c.device_id},
                    {"device_name", c.device_name},
                    {"email", c.email}};
  std::ostringstream out;
  out << "# Written by `shoebox login`; the token is this device's API key.\n" << table << "\n";
  return WritePrivate(paths.credentials_file(), out.str(), 0600);
}

Result<void> ForgetCredentials(const Paths& paths) {
  std::error_code ec;
  fs::remove(paths.credentials_file(), ec);
  if (ec) return MakeError(ErrorCode::kInternal, "cannot remove " + paths.credentials_file().string());
  return {};
}

std::vector<std::pair<std::string, std::string>> ListSettings(const Settings& settings) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Key& key : Keys()) out.emplace_back(key.name, key.get(settings));
  return out;
}

Result<void> SetSetting(Settings& settings, const std::string& key, const std::string& value) {
  for (const Key& candidate : Keys()) {
    if (key == candidate.name) return candidate.set(settings, value);
  }
  return MakeError(ErrorCode::kBadRequest, "unknown setting '" + key + "' (see `shoebox settings get`)");
}

}  // namespace shoebox::agent
