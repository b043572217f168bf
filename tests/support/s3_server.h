// A private S3-protocol server for tests: s3rver (npm, installed into tests/s3 by scripts/build)
// with one bucket in a temp folder, behind tests/s3/fault_proxy.mjs, both on free ports of
// 127.0.0.1 (node picks them), stopped and removed on destruction. The proxy checks every
// request's SigV4 signature and payload hash (s3rver does not), injects the faults a test asks
// for and records the requests it saw.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

#include "tests/support/test_support.h"

namespace shoebox::testing {

class S3Server {
 public:
  static constexpr const char* kBucket = "shoebox";
  static constexpr const char* kAccessKey = "S3RVER";  // the key pair s3rver knows
  static constexpr const char* kSecretKey = "S3RVER";

  // Throws std::runtime_error when node or tests/s3/node_modules is missing, or when the
  // server does not start.
  S3Server();
  ~S3Server();
  S3Server(const S3Server&) = delete;
  S3Server& operator=(const S3Server&) = delete;

  // Through the fault proxy, for path-style addressing: what tests use.
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(proxy_port_); }
  // The proxy again, under a name for virtual-host addressing: the adapter asks for
  // "shoebox.s3.localhost", which curl resolves to 127.0.0.1 and s3rver reads as the bucket.
  std::string vhost_endpoint() const {
    return "http://s3.localhost:" + std::to_string(proxy_port_);
  }
  // s3rver itself, without the proxy.
  std::string direct_endpoint() const { return "http://127.0.0.1:" + std::to_string(s3_port_); }
  // s3rver's folder: objects under <data_dir>/shoebox/.
  std::filesystem::path data_dir() const { return dir_.path() / "data"; }

  // Replaces the proxy's fault rules with `rules_json`, a JSON array (fault_proxy.mjs says what
  // a rule holds); "[]" removes them all.
  void SetFaults(const std::string& rules_json);
  // The requests the proxy saw since the last ClearRequests(), as a JSON array of
  // {method, path, query, host, range, length, status} (status -1: dropped).
  std::string Requests();
  void ClearRequests();
  // Multipart uploads started and neither completed nor aborted, as s3rver's folder shows.
  int OpenMultipartUploads() const;

 private:
  std::string Control(const std::string& method, const std::string& path,
                      const std::string& body = "");

  TempDir dir_;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;  // its write end; node exits when it closes (also if this process dies)
  int s3_port_ = 0;
  int proxy_port_ = 0;
};

}  // namespace shoebox::testing
