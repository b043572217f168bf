// nginx (Debian's) in front of several server instances for tests: round-robin over
// `upstreams`, request bodies streamed through unbuffered (as the README's deployment sets it),
// a dead upstream skipped. Runs in a temp folder on a free port of 127.0.0.1; stopped on
// destruction.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "tests/support/test_support.h"

namespace shoebox::testing {

class NginxProxy {
 public:
  // `upstreams`: "127.0.0.1:PORT" each. Throws std::runtime_error when nginx does not start.
  explicit NginxProxy(const std::vector<std::string>& upstreams);
  ~NginxProxy();
  NginxProxy(const NginxProxy&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  client::ServerAddress address() const { return *client::ServerAddress::Parse(url()); }

 private:
  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace shoebox::testing
