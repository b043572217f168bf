// Errors as values. Every fallible function at a module boundary returns Result<T>, which holds
// either a T or an Error with a stable machine code (ErrorCode), a human message and whether a
// retry may succeed. The HTTP layer maps codes to statuses in exactly one place
// (http/error_response.cc); nothing else decides a status from an error.
#pragma once

#include <boost/system/result.hpp>
#include <string>
#include <string_view>

namespace shoebox {

enum class ErrorCode {
  kInternal,             // a bug or an unexpected system failure
  kUnavailable,          // retryable: database busy, store unreachable
  kBadRequest,           // malformed input
  kInvalidJson,
  kUnauthenticated,      // no or unknown credentials
  kInvalidCredentials,   // login failed (unknown user and wrong password look the same)
  kAccountDisabled,
  kForbidden,            // authenticated but not allowed (not an admin)
  kCsrfHeaderMissing,
  kNotFound,             // also what a caller gets for something it may not see
  kMethodNotAllowed,
  kConflict,
  kEmailTaken,
  kAlreadySetUp,
  kOffsetMismatch,       // tus: PATCH at the wrong offset
  kUploadLocked,         // tus: another request is writing this upload
  kUploadExpired,
  kUploadComplete,       // PATCH on an upload that already has all its bytes
  kPayloadTooLarge,      // request body beyond what this route accepts
  kUploadLengthExceeded, // more bytes than Upload-Length
  kPhotoTooLarge,
  kPhotoTooManyPixels,
  kVideoTooLarge,
  kFileTooLarge,         // beyond every media limit before the type is known
  kQuotaExceeded,
  kUnsupportedMediaType,
  kTusContentType,       // tus PATCH without application/offset+octet-stream
  kTusVersionUnsupported,
  kChecksumAlgorithmUnsupported,
  kChecksumMismatch,     // tus Upload-Checksum of one request did not match
  kSha256Mismatch,       // the whole file did not match the sha256 in Upload-Metadata
  kRangeNotSatisfiable,
  kHeaderTooLarge,
  kTooManyRequests,
  kInsufficientStorage,  // disk full
  kLengthRequired,
  kMediaUnreadable,      // the decoder rejected the file (corrupt, truncated, unsupported inside)
  kMediaDecoderCrashed,  // the sandboxed decoder died (crash, memory limit)
  kMediaTimeout,         // the sandboxed decoder ran out of CPU or wall-clock time
  kMediaNotReady,        // a derived file that is not made (yet, or it failed)
  kSourceExpired,        // Storage saver: the uploaded original is no longer kept
  kLinkPasswordRequired, // a share link with a password that was not entered (or was changed)
  kLinkExpired,
  kDownloadNotAllowed,   // a share link whose owner turned downloads off
};
// The last code above: add new codes before it moves.
inline constexpr ErrorCode kLastErrorCode = ErrorCode::kDownloadNotAllowed;

// The stable string for a code, e.g. "photo_too_large". Never changes once released.
std::string_view ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  // True when the same call may succeed later without any change by the caller.
  bool retryable = false;
};

inline Error MakeError(ErrorCode code, std::string message) {
  bool retryable = code == ErrorCode::kUnavailable || code == ErrorCode::kUploadLocked ||
                   code == ErrorCode::kTooManyRequests;
  return Error{code, std::move(message), retryable};
}

// Required by boost::system::result to throw from value() on an error; only reached by bugs.
[[noreturn]] void throw_exception_from_error(const Error& error,
                                             const boost::source_location& location);

template <class T>
using Result = boost::system::result<T, Error>;

// Propagates the error of `expr` (a Result) out of the enclosing function.
#define SHOEBOX_TRY(expr)                                   \
  do {                                                      \
    auto&& shoebox_try_result_ = (expr);                    \
    if (!shoebox_try_result_) return shoebox_try_result_.error(); \
  } while (false)

// Declares `var` from the value of a Result, or returns its error.
#define SHOEBOX_ASSIGN_CAT_(a, b) a##b
#define SHOEBOX_ASSIGN_NAME_(line) SHOEBOX_ASSIGN_CAT_(shoebox_assign_result_, line)
#define SHOEBOX_ASSIGN(var, expr)                          \
  auto SHOEBOX_ASSIGN_NAME_(__LINE__) = (expr);            \
  if (!SHOEBOX_ASSIGN_NAME_(__LINE__)) return SHOEBOX_ASSIGN_NAME_(__LINE__).error(); \
  var = std::move(*SHOEBOX_ASSIGN_NAME_(__LINE__))

}  // namespace shoebox
