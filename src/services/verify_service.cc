#include "services/verify_service.h"

#include <set>

#include "services/blob_hashing.h"

namespace shoebox {

std::string_view VerifyProblemName(VerifyProblem::Kind kind) {
  switch (kind) {
    case VerifyProblem::Kind::kMissing: return "missing";
    case VerifyProblem::Kind::kChanged: return "changed";
    case VerifyProblem::Kind::kStray: return "stray";
  }
  return "?";
}

Result<VerifyReport> VerifyService::Run(
    const std::function<void(const VerifyProgress&)>& progress) {
  std::vector<Asset> assets;
  SHOEBOX_TRY(assets_.ForEach([&](const Asset& asset) { assets.push_back(asset); }));
  VerifyReport report;
  VerifyProgress state;
  state.assets_total = static_cast<std::int64_t>(assets.size());
  for (const Asset& asset : assets) state.bytes_total += asset.size_bytes;
  std::set<std::string> known;
  for (const Asset& asset : assets) {
    known.insert(asset.blob_key);
    if (!asset.source_key.empty()) known.insert(asset.source_key);  // kept after Storage saver
    auto info = blobs_.Stat(asset.blob_key);
    if (!info || info->size != asset.size_bytes) {
      report.problems.push_back(
          {VerifyProblem::Kind::kMissing, asset.blob_key, asset.id,
           info ? "size " + std::to_string(info->size) + ", expected " +
                      std::to_string(asset.size_bytes)
                : info.error().message});
    } else {
      Sha256Stream hash;
      auto reader = blobs_.Read(asset.blob_key, 0, asset.size_bytes);
      bool read_ok = reader && HashInto(**reader, hash);
      std::string actual = read_ok ? hash.FinishHex() : "unreadable";
      if (actual != asset.stored_sha256()) {
        report.problems.push_back({VerifyProblem::Kind::kChanged, asset.blob_key, asset.id,
                                   "sha256 " + actual + ", expected " + asset.stored_sha256()});
      }
    }
    ++report.assets_checked;
    report.bytes_checked += asset.size_bytes;
    state.assets_done = report.assets_checked;
    state.bytes_done = report.bytes_checked;
    if (progress) progress(state);
  }
  SHOEBOX_ASSIGN(auto owed, assets_.PendingBlobDeletions(1 << 30));
  known.insert(owed.begin(), owed.end());
  SHOEBOX_ASSIGN(auto reserved, uploads_.ReservedKeys());
  known.insert(reserved.begin(), reserved.end());
  SHOEBOX_TRY(blobs_.ForEach("library/", [&](const std::string& key, std::int64_t size) {
    if (!known.contains(key)) {
      report.problems.push_back({VerifyProblem::Kind::kStray, key, "",
                                 std::to_string(size) + " bytes, not in the database"});
    }
  }));
  return report;
}

}  // namespace shoebox
