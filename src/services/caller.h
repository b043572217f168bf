// Who is making a request, as established by AuthService::Authenticate.
#pragma once

#include <string>

#include "ports/model.h"

namespace shoebox {

struct Caller {
  User user;
  std::string credential_id;
  CredentialKind credential_kind = CredentialKind::kSession;
};

}  // namespace shoebox
