// `shoebox-server verify`: re-hashes every original and compares the store with the database.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ports/blob_store.h"
#include "ports/metadata_store.h"

namespace shoebox {

struct VerifyProblem {
  enum class Kind { kMissing, kChanged, kStray };
  Kind kind;
  std::string blob_key;
  std::string asset_id;  // empty for strays
  std::string detail;
};

struct VerifyReport {
  std::int64_t assets_checked = 0;
  std::int64_t bytes_checked = 0;
  std::vector<VerifyProblem> problems;
  bool clean() const { return problems.empty(); }
};

struct VerifyProgress {
  std::int64_t assets_done = 0;
  std::int64_t assets_total = 0;
  std::int64_t bytes_done = 0;
  std::int64_t bytes_total = 0;
};

class VerifyService {
 public:
  VerifyService(AssetRepository& assets, UploadRepository& uploads, BlobStore& blobs)
      : assets_(assets), uploads_(uploads), blobs_(blobs) {}
  // Missing: an asset whose original is gone or has another size. Changed: same size, other
  // SHA-256. Stray: a file under library/ that no asset refers to (names reserved by uploads in
  // progress and blobs queued for deletion are not strays). `progress` is called after
  // each asset.
  Result<VerifyReport> Run(const std::function<void(const VerifyProgress&)>& progress);

 private:
  AssetRepository& assets_;
  UploadRepository& uploads_;
  BlobStore& blobs_;
};

std::string_view VerifyProblemName(VerifyProblem::Kind kind);

}  // namespace shoebox
