// The one table from error codes to HTTP statuses, and the JSON error body
// {"error": {"code": "...", "message": "..."}}.
#pragma once

#include "core/error.h"
#include "http/http_message.h"

namespace shoebox::http {

int HttpStatusFor(ErrorCode code);
HttpResponse ErrorResponse(const Error& error);

}  // namespace shoebox::http
