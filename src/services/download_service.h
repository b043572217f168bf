// Several assets as one zip, streamed as it is read: the caller names the assets (POST), then
// fetches the archive by the request's id (a browser navigation, so it streams to disk).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/zip_stream.h"
#include "ports/metadata_store.h"
#include "services/access_policy.h"
#include "services/asset_service.h"
#include "services/caller.h"
#include "services/media_service.h"

namespace shoebox {

struct ZipDownload {
  std::shared_ptr<ZipStream> zip;
  std::string file_name;  // e.g. "shoebox-12-items.zip"
};

// A request as made, with its archive (whose length the caller is told up front).
struct PreparedDownload {
  DownloadRequest request;
  ZipDownload zip;
};

class DownloadService {
 public:
  static constexpr std::size_t kMaxAssets = 10000;
  static constexpr std::int64_t kValidMinutes = 60;

  DownloadService(DownloadRepository& downloads, AlbumRepository& albums, AssetService& assets,
                  MediaService& media, AccessPolicy& policy, const Clock& clock)
      : downloads_(downloads), albums_(albums), assets_(assets), media_(media), policy_(policy),
        clock_(clock) {}

  // Every asset must be one the caller may see (kNotFound otherwise). Valid kValidMinutes.
  Result<PreparedDownload> Create(const Caller& caller, const std::vector<std::string>& asset_ids);
  // The archive for the caller's request (kNotFound for another's or an expired one). Assets
  // that went since the request (deleted, unshared) are left out.
  Result<ZipDownload> Open(const Caller& caller, const std::string& request_id);
  // Every item of a share link's album (kDownloadNotAllowed when the owner said no); without
  // the place each was taken when the link hides it (files that cannot be rewritten are left
  // out and named in NOT-INCLUDED.txt).
  Result<ZipDownload> OpenAlbum(const ShareLink& link, const std::string& album_name);

 private:
  Result<ZipDownload> Build(const std::vector<Asset>& assets, std::string file_name,
                            bool without_location = false);

  DownloadRepository& downloads_;
  AlbumRepository& albums_;
  AssetService& assets_;
  MediaService& media_;
  AccessPolicy& policy_;
  const Clock& clock_;
};

}  // namespace shoebox
