#include "adapters/media/image_ops.h"

#include <exiv2/exiv2.hpp>
#include <vips/vips8>

#include <algorithm>
#include <cmath>
#include <fstream>

namespace shoebox::media {
namespace {

using vips::VImage;
using vips::VError;

Error Unreadable(const std::string& what) {
  std::string message = what;
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  if (message.size() > 300) message.resize(300);
  return MakeError(ErrorCode::kMediaUnreadable, message.empty() ? "the image cannot be decoded" : message);
}

Error TooManyPixels(std::int64_t w, std::int64_t h, std::int64_t max_pixels) {
  return MakeError(ErrorCode::kPhotoTooManyPixels,
                   "the photo has " + std::to_string(w) + "x" + std::to_string(h) +
                       " pixels, more than the limit of " +
                       std::to_string(max_pixels / 1'000'000) + " megapixels");
}

// Loader options every decode uses: fail on truncated or corrupt data rather than invent grey
// pixels, and read the first page/frame only.
VImage LoadHeader(const std::string& path) {
  return VImage::new_from_file(path.c_str(), VImage::option()
                                                 ->set("access", VIPS_ACCESS_SEQUENTIAL)
                                                 ->set("fail_on", VIPS_FAIL_ON_TRUNCATED));
}

bool Swapped(const VImage& image) {
  int orientation = 1;
  if (image.get_typeof(VIPS_META_ORIENTATION) != 0) {
    orientation = image.get_int(VIPS_META_ORIENTATION);
  }
  return orientation >= 5 && orientation <= 8;
}

}  // namespace

Result<ImageHeader> ReadImageHeader(const std::string& path, std::int64_t max_pixels) {
  try {
    VImage image = LoadHeader(path);
    ImageHeader header;
    header.width = image.width();
    header.height = image.height();
    if (image.get_typeof(VIPS_META_ORIENTATION) != 0) {
      header.orientation = image.get_int(VIPS_META_ORIENTATION);
    }
    if (image.get_typeof(VIPS_META_EXIF_NAME) != 0) {
      std::size_t length = 0;
      const void* data = image.get_blob(VIPS_META_EXIF_NAME, &length);
      header.exif_blob.assign(static_cast<const char*>(data), length);
    }
    if (header.width * header.height > max_pixels) {
      return TooManyPixels(header.width, header.height, max_pixels);
    }
    return header;
  } catch (const VError& e) {
    return Unreadable(e.what());
  }
}

Result<void> MakeImageDerivatives(const std::string& source, const ImageTargets& t,
                                  std::int64_t max_pixels) {
  try {
    VImage header = LoadHeader(source);
    if (static_cast<std::int64_t>(header.width()) * header.height() > max_pixels) {
      return TooManyPixels(header.width(), header.height(), max_pixels);
    }
    // The one decode: shrink-on-load straight to the preview size, orientation applied,
    // converted to sRGB. The thumbnail is then made from the preview in memory.
    VImage preview = VImage::thumbnail(
        source.c_str(), t.preview_long_side,
        VImage::option()
            ->set("height", t.preview_long_side)
            ->set("size", VIPS_SIZE_DOWN)
            ->set("export_profile", "srgb")
            ->set("fail_on", VIPS_FAIL_ON_TRUNCATED));
    preview = preview.copy_memory();
    int w = preview.width(), h = preview.height();
    double scale = static_cast<double>(t.thumbnail_short_side) / std::min(w, h);
    VImage thumb = scale < 1.0 ? preview.resize(scale, VImage::option()->set("kernel", VIPS_KERNEL_LANCZOS3))
                               : preview.copy();
    // libvips 8.14's webpsave ignores `strip` and rebuilds EXIF from the parsed exif-* fields:
    // drop every metadata field (EXIF with GPS, XMP, IPTC, ICC) from the image itself.
    {
      char** fields = vips_image_get_fields(thumb.get_image());
      for (char** f = fields; *f != nullptr; ++f) {
        std::string_view name(*f);
        if (name.starts_with("exif") || name.starts_with("xmp") || name.starts_with("iptc") ||
            name.starts_with("icc") || name == VIPS_META_ORIENTATION) {
          thumb.remove(*f);
        }
      }
      g_strfreev(fields);
    }
    thumb.webpsave(t.thumbnail.c_str(),
                   VImage::option()->set("Q", t.quality)->set("strip", true)->set("effort", 2));
    VImage flat = preview.has_alpha()
                      ? preview.flatten(VImage::option()->set("background", std::vector<double>{255, 255, 255}))
                      : preview;
    flat.jpegsave(t.preview.c_str(), VImage::option()
                                         ->set("Q", t.quality)
                                         ->set("strip", true)
                                         ->set("optimize_coding", true));
    return {};
  } catch (const VError& e) {
    return Unreadable(e.what());
  }
}

Result<void> ConvertPhoto(const std::string& source, const PhotoConversion& c,
                          std::int64_t max_pixels) {
  try {
    VImage header = LoadHeader(source);
    std::int64_t w = header.width(), h = header.height();
    if (w * h > max_pixels) return TooManyPixels(w, h, max_pixels);
    if (Swapped(header)) std::swap(w, h);
    double scale = std::min(1.0, std::sqrt(static_cast<double>(c.max_pixels) / (w * h)));
    int target_w = std::max(1, static_cast<int>(std::floor(w * scale)));
    int target_h = std::max(1, static_cast<int>(std::floor(h * scale)));
    VImage out = VImage::thumbnail(source.c_str(), target_w,
                                   VImage::option()
                                       ->set("height", target_h)
                                       ->set("size", VIPS_SIZE_DOWN)
                                       ->set("fail_on", VIPS_FAIL_ON_TRUNCATED));
    if (c.heic) {
      out.heifsave(c.output.c_str(), VImage::option()->set("Q", 50)->set("compression",
                                                                         VIPS_FOREIGN_HEIF_COMPRESSION_HEVC));
    } else {
      if (out.has_alpha()) {
        out = out.flatten(VImage::option()->set("background", std::vector<double>{255, 255, 255}));
      }
      // Metadata (EXIF with the capture time and place, ICC) stays; the orientation tag is gone
      // because the pixels are upright now.
      out.jpegsave(c.output.c_str(), VImage::option()->set("Q", c.quality)->set("optimize_coding", true));
    }
    return {};
  } catch (const VError& e) {
    return Unreadable(e.what());
  }
}

Result<void> WriteBareJpeg(const std::string& source, const std::string& output,
                           std::int64_t max_pixels) {
  try {
    VImage header = LoadHeader(source);
    std::int64_t w = header.width(), h = header.height();
    if (w * h > max_pixels) return TooManyPixels(w, h, max_pixels);
    VImage out = VImage::new_from_file(source.c_str(),
                                       VImage::option()->set("fail_on", VIPS_FAIL_ON_TRUNCATED))
                     .autorot();
    if (out.has_alpha()) {
      out = out.flatten(VImage::option()->set("background", std::vector<double>{255, 255, 255}));
    }
    out.jpegsave(output.c_str(), VImage::option()->set("Q", 92)->set("strip", true));
    return {};
  } catch (const VError& e) {
    return Unreadable(e.what());
  }
}

bool CanWriteHeic() {
  return vips_type_find("VipsOperation", "heifsave") != 0;
}

Result<void> ExtractEmbeddedPreview(const std::string& source, const std::string& jpeg_out) {
  try {
    auto image = Exiv2::ImageFactory::open(source);
    if (image.get() == nullptr) return Unreadable("no embedded preview");
    image->readMetadata();
    Exiv2::PreviewManager manager(*image);
    Exiv2::PreviewPropertiesList list = manager.getPreviewProperties();
    if (list.empty()) return Unreadable("the RAW file has no embedded preview");
    const Exiv2::PreviewProperties& largest = list.back();  // sorted by size, ascending
    Exiv2::PreviewImage preview = manager.getPreviewImage(largest);
    std::ofstream out(jpeg_out, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(preview.pData()), preview.size());
    if (!out) return MakeError(ErrorCode::kInternal, "cannot write the preview");
    return {};
  } catch (const std::exception& e) {
    return Unreadable(e.what());
  }
}

}  // namespace shoebox::media
