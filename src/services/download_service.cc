#include "services/download_service.h"

#include <cstring>
#include <filesystem>
#include <set>

#include "core/ids.h"

namespace shoebox {
namespace {

std::string ZipName(std::size_t items) {
  return "shoebox-" + std::to_string(items) + "-items.zip";
}

// A file name that is one path component inside the archive.
std::string EntryName(const std::string& original) {
  std::string name;
  for (char c : original) name.push_back(c == '/' || c == '\\' || c == '\0' ? '_' : c);
  if (name.empty() || name == "." || name == "..") name = "_" + name;
  return name;
}

// `name`, or "stem (2).ext", "stem (3).ext"… when an earlier entry took it.
std::string UniqueName(const std::string& name, std::set<std::string>& taken) {
  if (taken.insert(name).second) return name;
  std::filesystem::path path(name);
  std::string stem = path.stem().string(), ext = path.extension().string();
  for (int n = 2;; ++n) {
    std::string candidate = stem + " (" + std::to_string(n) + ")" + ext;
    if (taken.insert(candidate).second) return candidate;
  }
}

}  // namespace

Result<PreparedDownload> DownloadService::Create(const Caller& caller,
                                                const std::vector<std::string>& requested) {
  std::vector<std::string> asset_ids = WithoutRepeats(requested);
  if (asset_ids.empty() || asset_ids.size() > kMaxAssets) {
    return MakeError(ErrorCode::kBadRequest,
                     "asset_ids must hold 1.." + std::to_string(kMaxAssets) + " ids");
  }
  std::vector<Asset> assets;
  for (const std::string& id : asset_ids) {
    SHOEBOX_ASSIGN(Asset asset, policy_.ViewableAsset(caller, id));
    assets.push_back(std::move(asset));
  }
  UnixMillis now = clock_.Now();
  DownloadRequest request{NewId(now), caller.user.id, asset_ids, now + kValidMinutes * 60'000};
  SHOEBOX_TRY(downloads_.Create(request, now));
  SHOEBOX_ASSIGN(ZipDownload zip, Build(assets, ZipName(assets.size())));
  return PreparedDownload{std::move(request), std::move(zip)};
}

Result<ZipDownload> DownloadService::Open(const Caller& caller, const std::string& request_id) {
  Error missing = MakeError(ErrorCode::kNotFound, "no such download (they last an hour)");
  if (!IsCanonicalId(request_id)) return missing;
  auto request = downloads_.Get(request_id);
  if (!request) return request.error().code == ErrorCode::kNotFound ? missing : request.error();
  if (request->user_id != caller.user.id || request->expires_at < clock_.Now()) return missing;
  std::vector<Asset> assets;
  for (const std::string& id : request->asset_ids) {
    auto asset = policy_.ViewableAsset(caller, id);
    if (asset) {
      assets.push_back(std::move(*asset));
    } else if (asset.error().code != ErrorCode::kNotFound) {
      return asset.error();
    }
  }
  return Build(assets, ZipName(assets.size()));
}

Result<ZipDownload> DownloadService::OpenAlbum(const ShareLink& link, const std::string& album_name) {
  if (!link.allow_download) {
    return MakeError(ErrorCode::kDownloadNotAllowed, "the owner turned downloads off for this link");
  }
  std::vector<Asset> assets;
  std::optional<std::int64_t> after;
  while (true) {
    SHOEBOX_ASSIGN(std::vector<AlbumItem> items, albums_.Items(link.album_id, after, 1000));
    for (AlbumItem& item : items) assets.push_back(std::move(item.asset));
    if (items.size() < 1000) break;
    after = items.back().position;
  }
  std::string name;
  for (char c : album_name) name.push_back(c == '"' || c == '/' || c == '\\' ? '_' : c);
  return Build(assets, (name.empty() ? "album" : name) + ".zip", !link.show_location);
}

Result<ZipDownload> DownloadService::Build(const std::vector<Asset>& assets, std::string file_name,
                                           bool without_location) {
  std::vector<ZipEntry> entries;
  std::set<std::string> taken;
  std::string left_out;
  for (const Asset& stored : assets) {
    Asset asset = stored;
    AssetFile which = AssetFile::kOriginal;
    if (without_location) {
      auto copy = media_.LocationFreeCopy(stored);
      if (!copy && copy.error().code == ErrorCode::kMediaUnreadable) {
        left_out += stored.original_name + "\n";
        continue;
      }
      if (!copy) return copy.error();
      asset = *copy;
      which = AssetFile::kLocationFree;
    }
    SHOEBOX_ASSIGN(StoredFile file, assets_.DescribeFile(asset, which));
    ZipEntry entry;
    entry.name = UniqueName(EntryName(file.file_name), taken);
    entry.size = file.size;
    entry.modified = asset.taken_at + asset.media.utc_offset_minutes.value_or(0) * 60'000LL;
    entry.open = [this, file]() -> Result<ZipReader> {
      SHOEBOX_ASSIGN(auto reader, assets_.Open(file, 0, file.size));
      std::shared_ptr<BlobReader> shared(std::move(reader));
      return ZipReader([shared](std::span<char> buffer) { return shared->Read(buffer); });
    };
    entries.push_back(std::move(entry));
  }
  if (!left_out.empty()) {
    auto text = std::make_shared<std::string>(
        "These files are not included: the place they were taken could not be removed from "
        "them, and this link hides it.\n\n" + left_out);
    ZipEntry note;
    note.name = UniqueName("NOT-INCLUDED.txt", taken);
    note.size = static_cast<std::int64_t>(text->size());
    note.modified = clock_.Now();
    note.open = [text]() -> Result<ZipReader> {
      auto at = std::make_shared<std::size_t>(0);
      return ZipReader([text, at](std::span<char> out) -> Result<std::size_t> {
        std::size_t n = std::min(out.size(), text->size() - *at);
        std::memcpy(out.data(), text->data() + *at, n);
        *at += n;
        return n;
      });
    };
    entries.push_back(std::move(note));
  }
  return ZipDownload{std::make_shared<ZipStream>(std::move(entries)), std::move(file_name)};
}

}  // namespace shoebox
