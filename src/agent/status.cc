#include "agent/status.h"

#include <signal.h>

#include <chrono>
#include <ctime>

#include "agent/backup_engine.h"

namespace shoebox::agent {
namespace {

using Json = nlohmann::json;

std::string LocalTime(std::int64_t unix_ms) {
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M", &tm);
  return text;
}

std::string Eta(double seconds) {
  if (seconds < 60) return "less than a minute";
  if (seconds < 3600) return "about " + std::to_string(static_cast<int>(seconds / 60 + 0.5)) + " min";
  return "about " + std::to_string(static_cast<int>(seconds / 3600 + 0.5)) + " h";
}

}  // namespace

Json AgentReportJson(const AgentReport& r) {
  return {{"pid", r.pid},
          {"heartbeat_ms", r.heartbeat_ms},
          {"hold", static_cast<int>(r.hold)},
          {"hold_detail", r.hold_detail},
          {"phase", r.phase},
          {"bytes_per_second", r.bytes_per_second},
          {"bytes_in_flight", r.bytes_in_flight},
          {"current", r.current}};
}

std::optional<AgentReport> ReadAgentReport(LocalState& state) {
  auto text = state.GetValue("agent");
  if (!text || !*text) return std::nullopt;
  auto j = Json::parse(**text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  AgentReport r;
  r.pid = j.value("pid", 0);
  r.heartbeat_ms = j.value("heartbeat_ms", std::int64_t{0});
  r.hold = static_cast<Hold>(j.value("hold", 0));
  r.hold_detail = j.value("hold_detail", "");
  r.phase = j.value("phase", "");
  r.bytes_per_second = j.value("bytes_per_second", 0.0);
  r.bytes_in_flight = j.value("bytes_in_flight", std::int64_t{0});
  r.current = j.value("current", std::vector<std::string>());
  return r;
}

bool AgentIsRunning(const AgentReport& report, std::int64_t now_ms) {
  if (report.pid <= 0 || now_ms - report.heartbeat_ms > 20'000) return false;
  return ::kill(report.pid, 0) == 0 || errno == EPERM;
}

Result<BackupStatus> BuildStatus(const Settings& settings, LocalState& state, Hold hold,
                                 const std::string& hold_detail,
                                 const std::optional<AgentReport>& agent) {
  BackupStatus s;
  SHOEBOX_ASSIGN(StateCounts counts, state.Counts());
  s.pending = counts.Files(FileState::kPending) + counts.Files(FileState::kUploading) +
              counts.Files(FileState::kFailed);
  s.pending_bytes = counts.Bytes(FileState::kPending) + counts.Bytes(FileState::kUploading) +
                    counts.Bytes(FileState::kFailed);
  s.uploaded = counts.Files(FileState::kUploaded);
  s.skipped = counts.Files(FileState::kSkipped);
  s.failed = counts.Files(FileState::kFailed);
  s.deleted_on_server = counts.Files(FileState::kDeletedOnServer);
  if (auto last = state.GetValue("last_backup_at"); last && *last) {
    s.last_backup_at = std::atoll((*last)->c_str());
  }
  s.agent_running = agent.has_value();
  if (agent) {
    s.uploading_now = agent->current;
    s.pending_bytes = std::max<std::int64_t>(0, s.pending_bytes - agent->bytes_in_flight);
  }
  SHOEBOX_ASSIGN(auto skipped, state.List(FileState::kSkipped, 1000));
  for (const auto& r : skipped) s.skipped_items.push_back({r.path, r.reason});
  SHOEBOX_ASSIGN(auto failed, state.List(FileState::kFailed, 1000));
  for (const auto& r : failed) s.failed_items.push_back({r.path, r.reason});

  s.detail = hold_detail;
  if (!settings.enabled && hold == Hold::kNone) hold = Hold::kOff;
  // Signed out and off are always the headline; a rule that waits only matters with something
  // left to send.
  bool headline_hold = hold == Hold::kSignedOut || hold == Hold::kOff || (hold != Hold::kNone && s.pending > 0);
  if (headline_hold) {
    s.state = HoldStateName(hold);
    s.headline = HoldHeadline(hold);
  } else if (s.pending > 0) {
    s.state = "backing_up";
    s.headline = "Backing up " + std::to_string(s.pending) + (s.pending == 1 ? " item" : " items") +
                 " (" + HumanBytes(s.pending_bytes) + " left";
    if (agent && agent->bytes_per_second > 0) {
      s.headline += ", " + Eta(static_cast<double>(s.pending_bytes) / agent->bytes_per_second);
    }
    s.headline += ")";
  } else {
    s.state = "complete";
    s.headline = "Backup complete";
  }
  return s;
}

Json StatusJson(const BackupStatus& s) {
  auto items = [](const std::vector<ItemLine>& lines) {
    Json list = Json::array();
    for (const auto& line : lines) list.push_back({{"path", line.path}, {"reason", line.reason}});
    return list;
  };
  return {{"state", s.state},
          {"headline", s.headline},
          {"detail", s.detail},
          {"pending", s.pending},
          {"pending_bytes", s.pending_bytes},
          {"uploaded", s.uploaded},
          {"skipped", s.skipped},
          {"failed", s.failed},
          {"deleted_on_server", s.deleted_on_server},
          {"last_backup_at", s.last_backup_at ? Json(s.last_backup_at) : Json(nullptr)},
          {"agent_running", s.agent_running},
          {"uploading_now", s.uploading_now},
          {"skipped_items", items(s.skipped_items)},
          {"failed_items", items(s.failed_items)}};
}

std::string JsonText(const Json& json, int indent) {
  return json.dump(indent, ' ', false, Json::error_handler_t::replace);
}

std::string StatusText(const BackupStatus& s) {
  std::string out = s.headline + "\n";
  if (!s.detail.empty() && s.state != "backing_up" && s.state != "complete") {
    out += "  (" + s.detail + ")\n";
  }
  out += "\n";
  out += "  backed up         " + std::to_string(s.uploaded) + "\n";
  out += "  to back up        " + std::to_string(s.pending) + " (" + HumanBytes(s.pending_bytes) + ")\n";
  out += "  skipped           " + std::to_string(s.skipped) + "\n";
  out += "  failed, retrying  " + std::to_string(s.failed) + "\n";
  if (s.deleted_on_server) {
    out += "  deleted on server " + std::to_string(s.deleted_on_server) + " (not sent again)\n";
  }
  out += "  last backup       " + (s.last_backup_at ? LocalTime(s.last_backup_at) : std::string("never")) + "\n";
  out += "  agent             " + std::string(s.agent_running ? "running" : "not running") + "\n";
  for (const auto& path : s.uploading_now) out += "  uploading now     " + path + "\n";
  if (!s.skipped_items.empty()) {
    out += "\nSkipped:\n";
    for (const auto& item : s.skipped_items) out += "  " + item.path + ": " + item.reason + "\n";
  }
  if (!s.failed_items.empty()) {
    out += "\nFailed (retried automatically):\n";
    for (const auto& item : s.failed_items) out += "  " + item.path + ": " + item.reason + "\n";
  }
  return out;
}

}  // namespace shoebox::agent
