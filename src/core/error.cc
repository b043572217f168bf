#include "core/error.h"

#include <stdexcept>

namespace shoebox {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInternal: return "internal";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kBadRequest: return "bad_request";
    case ErrorCode::kInvalidJson: return "invalid_json";
    case ErrorCode::kUnauthenticated: return "unauthenticated";
    case ErrorCode::kInvalidCredentials: return "invalid_credentials";
    case ErrorCode::kAccountDisabled: return "account_disabled";
    case ErrorCode::kForbidden: return "forbidden";
    case ErrorCode::kCsrfHeaderMissing: return "csrf_header_missing";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kMethodNotAllowed: return "method_not_allowed";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kEmailTaken: return "email_taken";
    case ErrorCode::kAlreadySetUp: return "already_set_up";
    case ErrorCode::kOffsetMismatch: return "offset_mismatch";
    case ErrorCode::kUploadLocked: return "upload_locked";
    case ErrorCode::kUploadExpired: return "upload_expired";
    case ErrorCode::kUploadComplete: return "upload_complete";
    case ErrorCode::kPayloadTooLarge: return "payload_too_large";
    case ErrorCode::kUploadLengthExceeded: return "upload_length_exceeded";
    case ErrorCode::kPhotoTooLarge: return "photo_too_large";
    case ErrorCode::kPhotoTooManyPixels: return "photo_too_many_pixels";
    case ErrorCode::kVideoTooLarge: return "video_too_large";
    case ErrorCode::kFileTooLarge: return "file_too_large";
    case ErrorCode::kQuotaExceeded: return "quota_exceeded";
    case ErrorCode::kUnsupportedMediaType: return "unsupported_media_type";
    case ErrorCode::kTusContentType: return "tus_content_type";
    case ErrorCode::kTusVersionUnsupported: return "tus_version_unsupported";
    case ErrorCode::kChecksumAlgorithmUnsupported: return "checksum_algorithm_unsupported";
    case ErrorCode::kChecksumMismatch: return "checksum_mismatch";
    case ErrorCode::kSha256Mismatch: return "sha256_mismatch";
    case ErrorCode::kRangeNotSatisfiable: return "range_not_satisfiable";
    case ErrorCode::kHeaderTooLarge: return "header_too_large";
    case ErrorCode::kTooManyRequests: return "too_many_requests";
    case ErrorCode::kInsufficientStorage: return "insufficient_storage";
    case ErrorCode::kLengthRequired: return "length_required";
    case ErrorCode::kMediaUnreadable: return "media_unreadable";
    case ErrorCode::kMediaDecoderCrashed: return "media_decoder_crashed";
    case ErrorCode::kMediaTimeout: return "media_timeout";
    case ErrorCode::kMediaNotReady: return "media_not_ready";
    case ErrorCode::kSourceExpired: return "source_expired";
    case ErrorCode::kLinkPasswordRequired: return "link_password_required";
    case ErrorCode::kLinkExpired: return "link_expired";
    case ErrorCode::kDownloadNotAllowed: return "download_not_allowed";
  }
  return "internal";
}

void throw_exception_from_error(const Error& error, const boost::source_location&) {
  throw std::logic_error("Result holds an error: " + std::string(ErrorCodeName(error.code)) +
                         ": " + error.message);
}

}  // namespace shoebox
