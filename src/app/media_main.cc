// shoebox-media: the sandboxed decoder. shoebox-server runs it as a child process under resource
// limits for every decode of an uploaded file, so that a crafted or broken file can crash, hang
// or exhaust only this process. It answers with one JSON object on stdout:
//   {"ok": true, ...}  or  {"error": {"code": "media_unreadable", "message": "..."}}
#include <vips/vips8>

#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "adapters/media/image_ops.h"
#include "adapters/media/photo_metadata.h"
#include "adapters/media/video_probe.h"
#include "ports/media_info_json.h"

namespace {

using namespace shoebox;

int Answer(const nlohmann::json& body) {
  std::cout << body.dump() << std::endl;
  return 0;
}

int Fail(const Error& error) {
  std::cout << nlohmann::json({{"error", {{"code", std::string(ErrorCodeName(error.code))},
                                          {"message", error.message}}}})
                   .dump()
            << std::endl;
  return 2;
}

bool IsRaw(const std::string& mime) {
  return mime.starts_with("image/x-") && mime != "image/x-ms-bmp";
}

int Inspect(const std::string& path, const std::string& kind, std::int64_t max_pixels) {
  MediaInspection inspection;
  if (kind == "video") {
    auto probed = media::ProbeVideo(path);
    if (!probed) return Fail(probed.error());
    inspection = *probed;
  } else {
    auto header = media::ReadImageHeader(path, max_pixels);
    if (!header) return Fail(header.error());
    inspection = media::ReadPhotoMetadata(path, header->exif_blob);
    if (inspection.info.orientation == 1) inspection.info.orientation = header->orientation;
    bool swapped = inspection.info.orientation >= 5 && inspection.info.orientation <= 8;
    inspection.info.width = swapped ? header->height : header->width;
    inspection.info.height = swapped ? header->width : header->height;
  }
  nlohmann::json body = {{"ok", true}, {"info", MediaInfoToJson(inspection.info)}};
  if (inspection.taken_local) body["taken_local"] = *inspection.taken_local;
  return Answer(body);
}

}  // namespace

int main(int argc, char** argv) {
  if (VIPS_INIT(argv[0]) != 0) {
    return Fail(MakeError(ErrorCode::kInternal, "libvips failed to start"));
  }
  // Loaders libvips marks untrusted (fuzzing-grade only) are refused outright.
  vips_block_untrusted_set(TRUE);
  vips_cache_set_max(0);

  CLI::App app{"Shoebox's sandboxed media decoder (run by shoebox-server)"};
  app.require_subcommand(1);
  std::string path, kind = "photo", mime, thumbnail, preview, output;
  std::int64_t max_pixels = 100'000'000, out_pixels = 16'000'000;
  int thumb_size = 250, preview_size = 1440, quality = 80;
  bool heic = false;

  auto* inspect = app.add_subcommand("inspect", "metadata as JSON");
  inspect->add_option("file", path)->required();
  inspect->add_option("--kind", kind)->check(CLI::IsMember({"photo", "video"}));
  inspect->add_option("--max-pixels", max_pixels);

  auto* derive = app.add_subcommand("derivatives", "thumbnail (WebP) and preview (JPEG)");
  derive->add_option("file", path)->required();
  derive->add_option("--thumbnail", thumbnail)->required();
  derive->add_option("--preview", preview)->required();
  derive->add_option("--thumbnail-size", thumb_size);
  derive->add_option("--preview-size", preview_size);
  derive->add_option("--quality", quality);
  derive->add_option("--mime", mime);
  derive->add_option("--max-pixels", max_pixels);

  auto* convert = app.add_subcommand("convert", "Storage saver re-encoding");
  convert->add_option("file", path)->required();
  convert->add_option("--output", output)->required();
  convert->add_option("--output-pixels", out_pixels);
  convert->add_option("--heic", heic);
  convert->add_option("--quality", quality);
  convert->add_option("--max-pixels", max_pixels);

  auto* heic_check = app.add_subcommand("can-write-heic", "whether HEIC can be encoded");

  auto* strip = app.add_subcommand("strip-location", "a copy without GPS metadata");
  strip->add_option("file", path)->required();
  strip->add_option("--output", output)->required();
  strip->add_option("--fallback-jpeg", preview)->required();
  strip->add_option("--max-pixels", max_pixels);

  CLI11_PARSE(app, argc, argv);

  if (*inspect) return Inspect(path, kind, max_pixels);
  if (*derive) {
    std::string source = path;
    if (IsRaw(mime)) {
      // libvips reads RAW files (if at all) as their tiny TIFF thumbnail; the camera's embedded
      // preview is the better picture.
      std::string extracted = preview + ".embedded.jpg";
      if (media::ExtractEmbeddedPreview(path, extracted)) source = extracted;
    }
    ImageTargets targets{thumbnail, preview, thumb_size, preview_size, quality, mime};
    auto made = media::MakeImageDerivatives(source, targets, max_pixels);
    if (source != path) std::remove(source.c_str());
    if (!made) return Fail(made.error());
    return Answer({{"ok", true}});
  }
  if (*convert) {
    PhotoConversion conversion{output, out_pixels, heic, quality};
    auto converted = media::ConvertPhoto(path, conversion, max_pixels);
    if (!converted) return Fail(converted.error());
    return Answer({{"ok", true}});
  }
  if (*strip) {
    if (media::WriteWithoutLocation(path, output)) return Answer({{"ok", true}, {"output", output}});
    // exiv2 cannot rewrite this type (HEIC): the pixels, upright, with no metadata at all.
    auto written = media::WriteBareJpeg(path, preview, max_pixels);
    if (!written) return Fail(written.error());
    return Answer({{"ok", true}, {"output", preview}});
  }
  if (*heic_check) return Answer({{"ok", true}, {"heic", media::CanWriteHeic()}});
  return 1;
}
