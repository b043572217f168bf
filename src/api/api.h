// The HTTP API: every route of /api/v1 plus /healthz and /metrics. Handlers are thin: parse,
// call one service method, map the result. docs/api/openapi.yaml describes the same routes.
#pragma once

#include <string>

#include "core/config.h"
#include "http/router.h"
#include "http/server.h"
#include "ports/blob_store.h"
#include "ports/media_inspector.h"
#include "ports/metadata_store.h"
#include "services/access_policy.h"
#include "services/album_service.h"
#include "services/asset_service.h"
#include "services/auth_service.h"
#include "services/device_service.h"
#include "services/download_service.h"
#include "services/media_service.h"
#include "services/share_link_service.h"
#include "services/upload_service.h"
#include "services/user_service.h"

namespace shoebox::api {

inline constexpr const char* kSessionCookie = "shoebox_session";

struct ApiServices {
  AuthService& auth;
  UserService& users;
  UploadService& uploads;
  AssetService& assets;
  MediaService& media;
  DeviceService& devices;
  AlbumService& albums;
  ShareLinkService& links;
  DownloadService& downloads;
  AccessPolicy& policy;
  MetadataStore& store;
  BlobStore& blobs;
  MediaInspector& inspector;
  const ServerConfig& config;
  // Set once the server exists (the server needs the router first).
  const http::ServerStats* stats = nullptr;
};

// All routes. `services` must outlive the router.
http::Router BuildRouter(ApiServices& services);

}  // namespace shoebox::api
