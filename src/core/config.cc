#include "core/config.h"

#include <toml++/toml.h>

#include <variant>

#include "core/text.h"

extern char** environ;

namespace shoebox {
namespace {

using Field = std::variant<std::string ServerConfig::*, std::int64_t ServerConfig::*,
                           bool ServerConfig::*>;
struct Key {
  const char* name;
  Field field;
};

// The one table of configuration keys.
const std::vector<Key>& Keys() {
  static const std::vector<Key> keys = {
      {"storage.data_dir", &ServerConfig::data_dir},
      {"storage.s3_endpoint", &ServerConfig::s3_endpoint},
      {"storage.s3_region", &ServerConfig::s3_region},
      {"storage.s3_bucket", &ServerConfig::s3_bucket},
      {"storage.s3_access_key", &ServerConfig::s3_access_key},
      {"storage.s3_secret_key", &ServerConfig::s3_secret_key},
      {"storage.s3_path_style", &ServerConfig::s3_path_style},
      {"storage.s3_prefix", &ServerConfig::s3_prefix},
      {"storage.s3_part_mb", &ServerConfig::s3_part_mb},
      {"database.url", &ServerConfig::database_url},
      {"database.pool_size", &ServerConfig::database_pool_size},
      {"server.listen", &ServerConfig::listen},
      {"server.role", &ServerConfig::role},
      {"server.io_threads", &ServerConfig::io_threads},
      {"server.worker_threads", &ServerConfig::worker_threads},
      {"server.idle_timeout_seconds", &ServerConfig::idle_timeout_seconds},
      {"server.body_timeout_seconds", &ServerConfig::body_timeout_seconds},
      {"server.max_header_bytes", &ServerConfig::max_header_bytes},
      {"server.max_json_body_bytes", &ServerConfig::max_json_body_bytes},
      {"server.shutdown_grace_seconds", &ServerConfig::shutdown_grace_seconds},
      {"server.trusted_proxies", &ServerConfig::trusted_proxies},
      {"limits.photo_max_bytes", &ServerConfig::photo_max_bytes},
      {"limits.photo_max_pixels", &ServerConfig::photo_max_pixels},
      {"limits.video_max_bytes", &ServerConfig::video_max_bytes},
      {"uploads.max_patch_bytes", &ServerConfig::max_patch_bytes},
      {"uploads.expire_hours", &ServerConfig::upload_expire_hours},
      {"uploads.lease_seconds", &ServerConfig::upload_lease_seconds},
      {"trash.retention_days", &ServerConfig::trash_retention_days},
      {"auth.session_days", &ServerConfig::session_days},
      {"auth.login_max_failures", &ServerConfig::login_max_failures},
      {"auth.login_window_minutes", &ServerConfig::login_window_minutes},
      {"auth.cookie_secure", &ServerConfig::cookie_secure},
      {"maintenance.interval_seconds", &ServerConfig::maintenance_interval_seconds},
      {"jobs.enabled", &ServerConfig::jobs_enabled},
      {"jobs.workers", &ServerConfig::job_workers},
      {"jobs.max_attempts", &ServerConfig::job_max_attempts},
      {"jobs.retry_base_seconds", &ServerConfig::job_retry_base_seconds},
      {"jobs.lease_seconds", &ServerConfig::job_lease_seconds},
      {"media.tool", &ServerConfig::media_tool},
      {"web.root", &ServerConfig::web_root},
      {"media.ffmpeg", &ServerConfig::ffmpeg},
      {"media.memory_limit_mb", &ServerConfig::media_memory_limit_mb},
      {"media.photo_timeout_seconds", &ServerConfig::media_photo_timeout_seconds},
      {"media.video_timeout_seconds", &ServerConfig::media_video_timeout_seconds},
      {"media.thumbnail_size", &ServerConfig::thumbnail_size},
      {"media.preview_size", &ServerConfig::preview_size},
      {"media.image_quality", &ServerConfig::image_quality},
      {"media.playback_max_height", &ServerConfig::playback_max_height},
      {"media.playback_max_bit_rate", &ServerConfig::playback_max_bit_rate},
      {"storage_saver.photo_max_pixels", &ServerConfig::saver_photo_max_pixels},
      {"storage_saver.video_max_height", &ServerConfig::saver_video_max_height},
      {"storage_saver.keep_original_days", &ServerConfig::saver_keep_original_days},
      {"log.level", &ServerConfig::log_level},
      {"log.format", &ServerConfig::log_format},
      {"metrics.enabled", &ServerConfig::metrics_enabled},
  };
  return keys;
}

std::string EnvName(std::string_view key) {
  std::string name = "SHOEBOX_";
  for (char c : key) name.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(c)));
  return name;
}

Result<void> SetFromText(ServerConfig& config, const Key& key, const std::string& text,
                         const std::string& source) {
  return std::visit(
      [&](auto member) -> Result<void> {
        using T = std::remove_cvref_t<decltype(config.*member)>;
        if constexpr (std::is_same_v<T, std::string>) {
          config.*member = text;
        } else if constexpr (std::is_same_v<T, bool>) {
          std::string lower = AsciiLower(text);
          if (lower == "true" || lower == "1" || lower == "yes") config.*member = true;
          else if (lower == "false" || lower == "0" || lower == "no") config.*member = false;
          else return MakeError(ErrorCode::kBadRequest, source + ": " + key.name + " must be true or false");
        } else {
          auto value = ParseNonNegativeInt(text);
          if (!value) {
            return MakeError(ErrorCode::kBadRequest,
                             source + ": " + key.name + " must be a non-negative integer");
          }
          config.*member = *value;
        }
        return {};
      },
      key.field);
}

Result<void> SetFromToml(ServerConfig& config, const Key& key, const toml::node& node,
                         const std::string& source) {
  return std::visit(
      [&](auto member) -> Result<void> {
        using T = std::remove_cvref_t<decltype(config.*member)>;
        if constexpr (std::is_same_v<T, std::string>) {
          if (!node.is_string()) return MakeError(ErrorCode::kBadRequest, source + ": " + key.name + " must be a string");
          config.*member = node.value<std::string>().value();
        } else if constexpr (std::is_same_v<T, bool>) {
          if (!node.is_boolean()) return MakeError(ErrorCode::kBadRequest, source + ": " + key.name + " must be a boolean");
          config.*member = node.value<bool>().value();
        } else {
          if (!node.is_integer() || node.value<std::int64_t>().value() < 0) {
            return MakeError(ErrorCode::kBadRequest, source + ": " + key.name + " must be a non-negative integer");
          }
          config.*member = node.value<std::int64_t>().value();
        }
        return {};
      },
      key.field);
}

// Printed configurations hide secrets: the S3 secret key and a database URL's password.
std::string MaskSecret(std::string_view key, std::string value) {
  if (value.empty()) return value;
  if (key == "storage.s3_secret_key") return "********";
  if (key == "database.url") {
    auto scheme = value.find("://");
    auto at = value.find('@');
    auto colon = scheme == std::string::npos ? std::string::npos : value.find(':', scheme + 3);
    if (at != std::string::npos && colon != std::string::npos && colon < at) {
      value.replace(colon + 1, at - colon - 1, "********");
    }
  }
  return value;
}

const Key* FindKey(std::string_view name) {
  for (const Key& key : Keys()) {
    if (name == key.name) return &key;
  }
  return nullptr;
}

}  // namespace

Result<ServerConfig> LoadServerConfig(const std::string& config_file,
                                      const std::map<std::string, std::string>& environment,
                                      const std::map<std::string, std::string>& flags) {
  ServerConfig config;
  if (!config_file.empty()) {
    toml::table table;
    try {
      table = toml::parse_file(config_file);
    } catch (const toml::parse_error& e) {
      return MakeError(ErrorCode::kBadRequest,
                       "config file " + config_file + ": " + std::string(e.description()));
    }
    for (auto& [section, node] : table) {
      const toml::table* entries = node.as_table();
      if (entries == nullptr) {
        return MakeError(ErrorCode::kBadRequest, "config file " + config_file + ": unknown key " +
                                                     std::string(section.str()));
      }
      for (auto& [name, value] : *entries) {
        std::string full = std::string(section.str()) + "." + std::string(name.str());
        const Key* key = FindKey(full);
        if (key == nullptr) {
          return MakeError(ErrorCode::kBadRequest, "config file " + config_file + ": unknown key " + full);
        }
        SHOEBOX_TRY(SetFromToml(config, *key, value, "config file " + config_file));
      }
    }
  }
  for (const Key& key : Keys()) {
    auto it = environment.find(EnvName(key.name));
    if (it != environment.end()) SHOEBOX_TRY(SetFromText(config, key, it->second, it->first));
  }
  for (const auto& [name, value] : flags) {
    const Key* key = FindKey(name);
    if (key == nullptr) return MakeError(ErrorCode::kBadRequest, "unknown setting " + name);
    SHOEBOX_TRY(SetFromText(config, *key, value, "command line"));
  }
  if (config.role != "all" && config.role != "api" && config.role != "worker") {
    return MakeError(ErrorCode::kBadRequest, "server.role must be all, api or worker");
  }
  if (config.role != "all" && config.database_url.empty()) {
    return MakeError(ErrorCode::kBadRequest, "server.role " + config.role +
                                                 " needs a database other instances share "
                                                 "(database.url)");
  }
  if (!config.s3_bucket.empty() && config.s3_endpoint.empty()) {
    return MakeError(ErrorCode::kBadRequest, "storage.s3_bucket needs storage.s3_endpoint");
  }
  if (config.database_pool_size < 1) {
    return MakeError(ErrorCode::kBadRequest, "database.pool_size must be >= 1");
  }
  if (config.io_threads < 1 || config.worker_threads < 1) {
    return MakeError(ErrorCode::kBadRequest, "server.io_threads and server.worker_threads must be >= 1");
  }
  return config;
}

std::map<std::string, std::string> CurrentEnvironment() {
  std::map<std::string, std::string> environment;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    auto eq = text.find('=');
    if (eq != std::string_view::npos) environment.emplace(text.substr(0, eq), text.substr(eq + 1));
  }
  return environment;
}

std::vector<std::pair<std::string, std::string>> DescribeConfig(const ServerConfig& config) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Key& key : Keys()) {
    std::string value = std::visit(
        [&](auto member) -> std::string {
          using T = std::remove_cvref_t<decltype(config.*member)>;
          if constexpr (std::is_same_v<T, std::string>) return config.*member;
          else if constexpr (std::is_same_v<T, bool>) return config.*member ? "true" : "false";
          else return std::to_string(config.*member);
        },
        key.field);
    out.emplace_back(key.name, MaskSecret(key.name, value));
  }
  return out;
}

}  // namespace shoebox
