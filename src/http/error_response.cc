#include "http/error_response.h"

#include <nlohmann/json.hpp>

namespace shoebox::http {

int HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInternal: return 500;
    case ErrorCode::kUnavailable: return 503;
    case ErrorCode::kBadRequest: return 400;
    case ErrorCode::kInvalidJson: return 400;
    case ErrorCode::kUnauthenticated: return 401;
    case ErrorCode::kInvalidCredentials: return 401;
    case ErrorCode::kAccountDisabled: return 403;
    case ErrorCode::kForbidden: return 403;
    case ErrorCode::kCsrfHeaderMissing: return 403;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kMethodNotAllowed: return 405;
    case ErrorCode::kConflict: return 409;
    case ErrorCode::kEmailTaken: return 409;
    case ErrorCode::kAlreadySetUp: return 409;
    case ErrorCode::kOffsetMismatch: return 409;
    case ErrorCode::kUploadComplete: return 409;
    case ErrorCode::kUploadLocked: return 423;
    case ErrorCode::kUploadExpired: return 410;
    case ErrorCode::kPayloadTooLarge: return 413;
    case ErrorCode::kUploadLengthExceeded: return 413;
    case ErrorCode::kPhotoTooLarge: return 413;
    case ErrorCode::kPhotoTooManyPixels: return 413;
    case ErrorCode::kVideoTooLarge: return 413;
    case ErrorCode::kFileTooLarge: return 413;
    case ErrorCode::kQuotaExceeded: return 413;
    case ErrorCode::kUnsupportedMediaType: return 415;
    case ErrorCode::kTusContentType: return 415;
    case ErrorCode::kTusVersionUnsupported: return 412;
    case ErrorCode::kChecksumAlgorithmUnsupported: return 400;
    case ErrorCode::kChecksumMismatch: return 460;  // tus checksum extension
    case ErrorCode::kSha256Mismatch: return 460;
    case ErrorCode::kRangeNotSatisfiable: return 416;
    case ErrorCode::kHeaderTooLarge: return 431;
    case ErrorCode::kTooManyRequests: return 429;
    case ErrorCode::kInsufficientStorage: return 507;
    case ErrorCode::kLengthRequired: return 400;  // tus wants 400 for a missing Upload-Length
    case ErrorCode::kMediaUnreadable: return 422;
    case ErrorCode::kMediaDecoderCrashed: return 422;
    case ErrorCode::kMediaTimeout: return 422;
    case ErrorCode::kMediaNotReady: return 404;
    case ErrorCode::kSourceExpired: return 410;
    case ErrorCode::kLinkPasswordRequired: return 401;
    case ErrorCode::kLinkExpired: return 410;
    case ErrorCode::kDownloadNotAllowed: return 403;
  }
  return 500;
}

HttpResponse ErrorResponse(const Error& error) {
  nlohmann::json body = {{"error", {{"code", ErrorCodeName(error.code)}, {"message", error.message}}}};
  HttpResponse response = JsonResponse(HttpStatusFor(error.code), body.dump());
  if (error.code == ErrorCode::kTooManyRequests) {
    response.Set("Retry-After", "300");  // failed logins are counted over minutes
  } else if (error.code == ErrorCode::kUploadLocked || error.code == ErrorCode::kUnavailable) {
    response.Set("Retry-After", "5");
  }
  return response;
}

}  // namespace shoebox::http
