// tus 1.0 (core, creation, creation-with-upload, checksum, termination, expiration) at
// /api/v1/uploads. Shoebox extensions: on the request that completes an upload the response
// carries Shoebox-Asset-Id and, when the content was already stored, Shoebox-Duplicate: true.
#include "api/api_support.h"
#include "core/text.h"

namespace shoebox::api {
namespace {

constexpr const char* kTusVersion = "1.0.0";
constexpr const char* kOffsetStream = "application/offset+octet-stream";
constexpr const char* kUploadsPath = "/api/v1/uploads";

http::HttpResponse WithTus(http::HttpResponse response) {
  response.Set("Tus-Resumable", kTusVersion);
  if (!response.Find("Cache-Control")) response.Set("Cache-Control", "no-store");
  return response;
}

http::HttpResponse TusError(const Error& error) {
  http::HttpResponse response = WithTus(http::ErrorResponse(error));
  if (error.code == ErrorCode::kTusVersionUnsupported) response.Set("Tus-Version", kTusVersion);
  return response;
}

Result<void> CheckTusVersion(const http::HttpRequest& r) {
  if (r.Header("tus-resumable") != kTusVersion) {
    return MakeError(ErrorCode::kTusVersionUnsupported, "send Tus-Resumable: 1.0.0");
  }
  return {};
}

void SetStatusHeaders(http::HttpResponse& response, const UploadStatus& status) {
  response.Set("Upload-Offset", std::to_string(status.upload.offset));
  response.Set("Upload-Expires", HttpDate(status.upload.expires_at));
  if (status.asset_id) {
    response.Set("Shoebox-Asset-Id", *status.asset_id);
    if (status.duplicate) response.Set("Shoebox-Duplicate", "true");
  }
}

Result<std::optional<RequestChecksum>> ParseChecksum(const std::string& header) {
  if (header.empty()) return std::optional<RequestChecksum>();
  auto space = header.find(' ');
  if (space == std::string::npos) {
    return MakeError(ErrorCode::kBadRequest, "Upload-Checksum must be '<algorithm> <base64>'");
  }
  std::string algorithm = AsciiLower(header.substr(0, space));
  if (algorithm != "sha1" && algorithm != "sha256" && algorithm != "md5") {
    return MakeError(ErrorCode::kChecksumAlgorithmUnsupported,
                     "checksum algorithm must be sha1, sha256 or md5");
  }
  auto digest = Base64Decode(TrimSpaces(std::string_view(header).substr(space + 1)));
  if (!digest) return MakeError(ErrorCode::kBadRequest, "Upload-Checksum digest is not base64");
  return std::optional<RequestChecksum>(RequestChecksum{algorithm, *digest});
}

std::string EncodeMetadata(const UploadMetadata& m) {
  std::string out = "filename " + Base64Encode(m.filename);
  if (!m.sha256.empty()) out += ",sha256 " + Base64Encode(m.sha256);
  if (m.mtime) out += ",mtime " + Base64Encode(std::to_string(*m.mtime / 1000));
  if (!m.device_id.empty()) out += ",device_id " + Base64Encode(m.device_id);
  if (!m.device_asset_id.empty()) out += ",device_asset_id " + Base64Encode(m.device_asset_id);
  if (m.quality) {
    out += ",quality " + Base64Encode(*m.quality == Quality::kStorageSaver ? "storage-saver" : "original");
  }
  return out;
}

Result<void> CheckOffsetStream(const http::HttpRequest& r) {
  if (AsciiLower(r.Header("content-type")) != kOffsetStream) {
    return MakeError(ErrorCode::kTusContentType, "Content-Type must be application/offset+octet-stream");
  }
  return {};
}

Result<UploadStatus> AppendBody(ApiServices& s, http::HttpRequest& r, const Caller& caller,
                                const std::string& upload_id, std::int64_t offset) {
  SHOEBOX_TRY(CheckOffsetStream(r));
  SHOEBOX_ASSIGN(auto checksum, ParseChecksum(r.Header("upload-checksum")));
  return s.uploads.Append(caller, upload_id, offset, r.content_length, checksum, *r.body);
}

}  // namespace

// Authed, with Tus-Resumable on every answer (sign-in errors too), as tus asks of a server.
http::Handler TusAuthed(ApiServices& s, AuthedHandler handler) {
  return [inner = Authed(s, std::move(handler))](http::HttpRequest& r) {
    http::HttpResponse response = inner(r);
    if (response.Find("Tus-Resumable") == nullptr) response.Set("Tus-Resumable", kTusVersion);
    return response;
  };
}

void AddUploadRoutes(http::Router& router, ApiServices& s) {
  router.Add({"OPTIONS", kUploadsPath, http::BodyMode::kNone, [&s](http::HttpRequest&) {
                http::HttpResponse response = NoContent();
                response.Set("Tus-Resumable", kTusVersion);
                response.Set("Tus-Version", kTusVersion);
                response.Set("Tus-Extension",
                             "creation,creation-with-upload,checksum,termination,expiration");
                response.Set("Tus-Checksum-Algorithm", "sha1,sha256,md5");
                response.Set("Tus-Max-Size",
                             std::to_string(std::max(s.config.photo_max_bytes, s.config.video_max_bytes)));
                response.Set("Shoebox-Max-Request-Body", std::to_string(s.config.max_patch_bytes));
                return response;
              }});

  router.Add({"POST", kUploadsPath, http::BodyMode::kStreamed,
              TusAuthed(s, [&s](http::HttpRequest& r, const Caller& caller) {
                if (auto v = CheckTusVersion(r); !v) return TusError(v.error());
                if (!r.Header("upload-defer-length").empty()) {
                  return TusError(MakeError(ErrorCode::kBadRequest,
                                            "deferred length is not supported; send Upload-Length"));
                }
                auto length = ParseNonNegativeInt(r.Header("upload-length"));
                if (!length) {
                  return TusError(MakeError(ErrorCode::kLengthRequired,
                                            "Upload-Length must be a non-negative integer"));
                }
                auto metadata = ParseUploadMetadata(r.Header("upload-metadata"));
                if (!metadata) return TusError(metadata.error());
                auto status = [&]() -> Result<UploadStatus> {
                  if (!r.has_body) {
                    SHOEBOX_ASSIGN(Upload upload, s.uploads.Create(caller, *length, *metadata));
                    return UploadStatus{upload, std::nullopt, false};
                  }
                  // creation-with-upload: the first bytes (often the whole file) ride along.
                  SHOEBOX_TRY(CheckOffsetStream(r));
                  SHOEBOX_ASSIGN(auto checksum, ParseChecksum(r.Header("upload-checksum")));
                  return s.uploads.CreateAndAppend(caller, *length, *metadata, r.content_length,
                                                   checksum, *r.body);
                }();
                if (!status) return TusError(status.error());
                http::HttpResponse response = WithTus(NoContent());
                response.status = 201;
                response.Set("Location", std::string(kUploadsPath) + "/" + status->upload.id);
                SetStatusHeaders(response, *status);
                return response;
              })});

  router.Add({"HEAD", "/api/v1/uploads/{upload_id}", http::BodyMode::kNone,
              TusAuthed(s, [&s](http::HttpRequest& r, const Caller& caller) {
                if (auto v = CheckTusVersion(r); !v) return TusError(v.error());
                auto status = s.uploads.Status(caller, r.path_params["upload_id"]);
                if (!status) return TusError(status.error());
                http::HttpResponse response = WithTus(NoContent());
                response.status = 200;
                response.Set("Upload-Length", std::to_string(status->upload.length));
                response.Set("Upload-Metadata", EncodeMetadata(status->upload.metadata));
                SetStatusHeaders(response, *status);
                return response;
              })});

  router.Add({"PATCH", "/api/v1/uploads/{upload_id}", http::BodyMode::kStreamed,
              TusAuthed(s, [&s](http::HttpRequest& r, const Caller& caller) {
                if (auto v = CheckTusVersion(r); !v) return TusError(v.error());
                auto offset = ParseNonNegativeInt(r.Header("upload-offset"));
                if (!offset) {
                  return TusError(MakeError(ErrorCode::kBadRequest,
                                            "Upload-Offset must be a non-negative integer"));
                }
                auto status = AppendBody(s, r, caller, r.path_params["upload_id"], *offset);
                if (!status) return TusError(status.error());
                http::HttpResponse response = WithTus(NoContent());
                SetStatusHeaders(response, *status);
                return response;
              })});

  router.Add({"DELETE", "/api/v1/uploads/{upload_id}", http::BodyMode::kNone,
              TusAuthed(s, [&s](http::HttpRequest& r, const Caller& caller) {
                if (auto v = CheckTusVersion(r); !v) return TusError(v.error());
                auto done = s.uploads.Terminate(caller, r.path_params["upload_id"]);
                if (!done) return TusError(done.error());
                return WithTus(NoContent());
              })});
}

}  // namespace shoebox::api
