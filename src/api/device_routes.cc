// Devices (the caller's API keys) with the backup status their agents report.
#include <set>

#include "api/api_support.h"

namespace shoebox::api {

namespace {

// The headline states of `shoebox status`, the same words the web app shows.
const std::set<std::string>& BackupStates() {
  static const std::set<std::string> states = {
      "off", "waiting_for_connection", "waiting_for_wifi", "waiting_for_power",
      "backing_up", "complete", "signed_out"};
  return states;
}

Result<Json> ParseStatus(const http::HttpRequest& r) {
  SHOEBOX_ASSIGN(Json body, ParseJsonBody(r));
  if (!body.is_object()) return MakeError(ErrorCode::kBadRequest, "the status must be an object");
  SHOEBOX_ASSIGN(std::string state, RequiredString(body, "state"));
  if (!BackupStates().count(state)) {
    return MakeError(ErrorCode::kBadRequest, "unknown backup state '" + state.substr(0, 40) + "'");
  }
  return Result<Json>(boost::system::in_place_value, std::move(body));
}

Json DeviceJson(const Device& device) {
  Json status = nullptr;
  if (device.status) {
    status = Json::parse(device.status->status_json, nullptr, false);
    if (status.is_discarded()) status = nullptr;
  }
  return {{"id", device.key.id},
          {"name", device.key.name},
          {"created_at", Rfc3339(device.key.created_at)},
          {"last_used_at", Rfc3339(device.key.last_used_at)},
          {"is_current", device.is_caller},
          {"status", status},
          {"status_reported_at",
           device.status ? Json(Rfc3339(device.status->reported_at)) : Json(nullptr)}};
}

}  // namespace

void AddDeviceRoutes(http::Router& router, ApiServices& s) {
  router.Add({"GET", "/api/v1/devices", http::BodyMode::kNone,
              Authed(s, [&s](http::HttpRequest&, const Caller& caller) {
                return Respond(s.devices.List(caller), [](const std::vector<Device>& devices) {
                  Json list = Json::array();
                  for (const Device& device : devices) list.push_back(DeviceJson(device));
                  return Ok({{"devices", list}});
                });
              })});

  router.Add({"PUT", "/api/v1/devices/{device_id}/status", http::BodyMode::kBuffered,
              Authed(s, [&s](http::HttpRequest& r, const Caller& caller) {
                auto result = [&]() -> Result<Device> {
                  SHOEBOX_ASSIGN(Json status, ParseStatus(r));
                  return s.devices.ReportStatus(caller, r.path_params["device_id"], status.dump());
                }();
                return Respond(result, [](const Device& device) { return Ok(DeviceJson(device)); });
              })});

  // The caller's library as a change feed: every asset inserted, changed or deleted after the
  // cursor, oldest change first, so a device can mirror the library incrementally.
  router.Add({"GET", "/api/v1/sync/changes", http::BodyMode::kNone,
              Authed(s, [&s](http::HttpRequest& r, const Caller& caller) {
                auto result = [&]() -> Result<ChangePage> {
                  int limit = 500;
                  if (auto text = r.QueryParam("limit")) {
                    auto parsed = ParseNonNegativeInt(*text);
                    if (!parsed || *parsed > 1000) {
                      return MakeError(ErrorCode::kBadRequest, "limit must be 1..1000");
                    }
                    limit = static_cast<int>(*parsed);
                  }
                  return s.assets.Changes(caller, r.QueryParam("since").value_or(""), limit);
                }();
                std::int64_t retention = s.config.trash_retention_days;
                return Respond(result, [&](const ChangePage& page) {
                  Json changes = Json::array();
                  for (const AssetChange& change : page.changes) {
                    bool gone = !change.asset || change.asset->trashed_at.has_value();
                    Json item = {{"seq", change.seq},
                                 {"asset_id", change.asset_id},
                                 {"deleted", gone}};
                    if (!gone) item["asset"] = AssetJson(*change.asset, retention);
                    changes.push_back(std::move(item));
                  }
                  return Ok({{"changes", changes}, {"cursor", page.cursor},
                             {"has_more", page.has_more}});
                });
              })});
}

}  // namespace shoebox::api
