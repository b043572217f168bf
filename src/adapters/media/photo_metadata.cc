#include "adapters/media/photo_metadata.h"

#include <exiv2/exiv2.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <regex>

#include "adapters/media/capture_time.h"

namespace shoebox::media {
namespace {

const Exiv2::Exifdatum* FindExif(const Exiv2::ExifData& exif, const Exiv2::ExifKey& key) {
  auto it = exif.findKey(key);
  if (it == exif.end() || it->count() == 0) return nullptr;
  return &*it;
}

const Exiv2::Exifdatum* FindExif(const Exiv2::ExifData& exif, const char* name) {
  return FindExif(exif, Exiv2::ExifKey(name));
}

std::string ExifText(const Exiv2::ExifData& exif, const char* name) {
  const Exiv2::Exifdatum* d = FindExif(exif, name);
  if (d == nullptr) return "";
  std::string text = d->toString();
  while (!text.empty() && (text.back() == ' ' || text.back() == '\0')) text.pop_back();
  return text;
}

std::string XmpText(const Exiv2::XmpData& xmp, const char* name) {
  try {
    auto it = xmp.findKey(Exiv2::XmpKey(name));
    if (it == xmp.end()) return "";
    return it->toString();
  } catch (const std::exception&) {
    return "";  // a namespace exiv2 does not know
  }
}

std::optional<double> RationalAt(const Exiv2::Exifdatum* d, long index) {
  if (d == nullptr) return std::nullopt;
  if (d->typeId() == Exiv2::asciiString) {
    // Some phones write numbers as text ("52 deg 0' 50.00\"", "52,0,50"): take the index-th
    // number in it.
    static const std::regex number(R"([0-9]+(?:\.[0-9]+)?)");
    std::string text = d->toString();
    long i = 0;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), number);
         it != std::sregex_iterator(); ++it, ++i) {
      if (i == index) return std::atof(it->str().c_str());
    }
    return std::nullopt;
  }
  if (static_cast<long>(d->count()) <= index) return std::nullopt;
  Exiv2::Rational r = d->toRational(index);
  if (r.second == 0) return std::nullopt;
  return static_cast<double>(r.first) / r.second;
}

std::optional<double> ExifNumber(const Exiv2::ExifData& exif, const char* name) {
  return RationalAt(FindExif(exif, name), 0);
}

// Degrees from the three rationals of an EXIF GPS coordinate and its N/S/E/W reference.
std::optional<double> GpsCoordinate(const Exiv2::ExifData& exif, const char* value_key,
                                    const char* ref_key, double limit) {
  const Exiv2::Exifdatum* d = FindExif(exif, value_key);
  auto deg = RationalAt(d, 0), min = RationalAt(d, 1), sec = RationalAt(d, 2);
  if (!deg) return std::nullopt;
  double value = *deg + min.value_or(0) / 60.0 + sec.value_or(0) / 3600.0;
  std::string ref = ExifText(exif, ref_key);
  if (ref == "S" || ref == "W") value = -value;
  if (!std::isfinite(value) || std::abs(value) > limit) return std::nullopt;
  return value;
}

// XMP GPS: "48,51.5022N" or "48,51,30.1N".
std::optional<double> XmpCoordinate(const std::string& text, double limit) {
  static const std::regex pattern(R"(^\s*(\d+(?:\.\d+)?),(\d+(?:\.\d+)?)(?:,(\d+(?:\.\d+)?))?([NSEW])\s*$)");
  std::smatch m;
  if (!std::regex_match(text, m, pattern)) return std::nullopt;
  double value = std::atof(m[1].str().c_str()) + std::atof(m[2].str().c_str()) / 60.0 +
                 (m[3].matched ? std::atof(m[3].str().c_str()) / 3600.0 : 0.0);
  if (m[4] == "S" || m[4] == "W") value = -value;
  if (std::abs(value) > limit) return std::nullopt;
  return value;
}

std::string Trimmed(std::string text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\0')) text.pop_back();
  while (!text.empty() && text.front() == ' ') text.erase(text.begin());
  return text;
}

// The capture time, best source first.
void ReadCaptureTime(const Exiv2::ExifData& exif, const Exiv2::XmpData& xmp,
                     MediaInspection& out) {
  std::optional<CaptureTime> time;
  std::string source;
  for (const char* key : {"Exif.Photo.DateTimeOriginal", "Exif.Photo.DateTimeDigitized"}) {
    if ((time = ParseDateTime(ExifText(exif, key)))) {
      source = "exif";
      break;
    }
  }
  if (time) {
    // SubSecTimeOriginal and OffsetTimeOriginal (EXIF 2.31) by tag number: older exiv2 builds
    // may not know their names.
    const Exiv2::Exifdatum* subsec = FindExif(exif, Exiv2::ExifKey(0x9291, "Photo"));
    if (subsec != nullptr && time->local % 1000 == 0) {
      std::string digits = Trimmed(subsec->toString()).substr(0, 3);
      if (!digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos) {
        while (digits.size() < 3) digits += '0';
        time->local += std::atoi(digits.c_str());
      }
    }
    for (std::uint16_t tag : {0x9011, 0x9010}) {  // OffsetTimeOriginal, OffsetTime
      if (time->utc_offset_minutes) break;
      if (const Exiv2::Exifdatum* offset = FindExif(exif, Exiv2::ExifKey(tag, "Photo"))) {
        time->utc_offset_minutes = ParseUtcOffset(offset->toString());
      }
    }
    if (!time->utc_offset_minutes) {
      // The GPS clock is UTC: the difference to the camera clock, in quarter hours, is the
      // offset of the camera's time zone.
      auto date = ParseDateTime(ExifText(exif, "Exif.GPSInfo.GPSDateStamp"));
      const Exiv2::Exifdatum* t = FindExif(exif, "Exif.GPSInfo.GPSTimeStamp");
      auto h = RationalAt(t, 0), m = RationalAt(t, 1), s = RationalAt(t, 2);
      if (date && h && m && s) {
        double gps_ms = static_cast<double>(date->local) + (*h * 3600 + *m * 60 + *s) * 1000.0;
        double diff_minutes = (static_cast<double>(time->local) - gps_ms) / 60000.0;
        double quarters = std::round(diff_minutes / 15.0);
        if (std::abs(quarters) <= 14 * 4 && std::abs(diff_minutes - quarters * 15) <= 5) {
          time->utc_offset_minutes = static_cast<int>(quarters * 15);
          source = "exif+gps";
        }
      }
    }
  } else {
    for (const char* key : {"Xmp.exif.DateTimeOriginal", "Xmp.photoshop.DateCreated",
                            "Xmp.xmp.CreateDate"}) {
      if ((time = ParseDateTime(XmpText(xmp, key)))) {
        source = "xmp";
        break;
      }
    }
  }
  if (!time) {
    if ((time = ParseDateTime(ExifText(exif, "Exif.Image.DateTime")))) source = "exif";
  }
  if (!time) return;
  out.taken_local = time->local;
  out.info.utc_offset_minutes = time->utc_offset_minutes;
  out.info.taken_source = source;
}

void ReadPlace(const Exiv2::ExifData& exif, const Exiv2::XmpData& xmp, MediaInfo& info) {
  info.latitude = GpsCoordinate(exif, "Exif.GPSInfo.GPSLatitude", "Exif.GPSInfo.GPSLatitudeRef", 90);
  info.longitude =
      GpsCoordinate(exif, "Exif.GPSInfo.GPSLongitude", "Exif.GPSInfo.GPSLongitudeRef", 180);
  if (!info.latitude || !info.longitude) {
    info.latitude = XmpCoordinate(XmpText(xmp, "Xmp.exif.GPSLatitude"), 90);
    info.longitude = XmpCoordinate(XmpText(xmp, "Xmp.exif.GPSLongitude"), 180);
  }
  if (!info.latitude || !info.longitude) {
    info.latitude.reset();
    info.longitude.reset();
    return;
  }
  if (auto altitude = ExifNumber(exif, "Exif.GPSInfo.GPSAltitude")) {
    const Exiv2::Exifdatum* ref = FindExif(exif, "Exif.GPSInfo.GPSAltitudeRef");
    info.altitude = ref != nullptr && ref->toLong() == 1 ? -*altitude : *altitude;
  }
}

std::string ExifTextByTag(const Exiv2::ExifData& exif, std::uint16_t tag, const char* group) {
  const Exiv2::Exifdatum* d = FindExif(exif, Exiv2::ExifKey(tag, group));
  return d == nullptr ? "" : Trimmed(d->toString());
}

void ReadCamera(const Exiv2::ExifData& exif, const Exiv2::XmpData& xmp, MediaInfo& info) {
  // Make and Model belong in IFD0; some phones (HTC) put them in the Exif IFD instead.
  info.make = ExifText(exif, "Exif.Image.Make");
  if (info.make.empty()) info.make = ExifTextByTag(exif, 0x010f, "Photo");
  if (info.make.empty()) info.make = Trimmed(XmpText(xmp, "Xmp.tiff.Make"));
  info.model = ExifText(exif, "Exif.Image.Model");
  if (info.model.empty()) info.model = ExifTextByTag(exif, 0x0110, "Photo");
  if (info.model.empty()) info.model = Trimmed(XmpText(xmp, "Xmp.tiff.Model"));
  info.lens = ExifText(exif, "Exif.Photo.LensModel");
  if (info.lens.empty()) info.lens = Trimmed(XmpText(xmp, "Xmp.aux.Lens"));
  info.focal_length_mm = ExifNumber(exif, "Exif.Photo.FocalLength");
  info.f_number = ExifNumber(exif, "Exif.Photo.FNumber");
  info.exposure_seconds = ExifNumber(exif, "Exif.Photo.ExposureTime");
  if (const Exiv2::Exifdatum* iso = FindExif(exif, "Exif.Photo.ISOSpeedRatings")) {
    long value = iso->toLong();
    if (value > 0) info.iso = value;
  }
  if (const Exiv2::Exifdatum* o = FindExif(exif, "Exif.Image.Orientation")) {
    long value = o->toLong();
    if (value >= 1 && value <= 8) info.orientation = static_cast<int>(value);
  } else {
    int value = std::atoi(XmpText(xmp, "Xmp.tiff.Orientation").c_str());
    if (value >= 1 && value <= 8) info.orientation = value;
  }
}

// Android motion photos: an MP4 appended to the JPEG, announced in XMP either by
// GCamera:MicroVideoOffset (bytes from the end) or by the Container directory's MotionPhoto
// item length.
void ReadMotionPhoto(const std::string& packet, const std::string& path, MediaInfo& info) {
  if (packet.empty()) return;
  static const std::regex micro(R"(MicroVideoOffset\s*[=>]\s*"?(\d+))");
  static const std::regex item(
      R"re(Item:Semantic\s*=\s*"MotionPhoto"[^>]*?Item:Length\s*=\s*"(\d+)"|Item:Length\s*=\s*"(\d+)"[^>]*?Item:Semantic\s*=\s*"MotionPhoto")re");
  std::smatch m;
  std::int64_t bytes = 0;
  if (std::regex_search(packet, m, micro)) {
    bytes = std::atoll(m[1].str().c_str());
  } else if (std::regex_search(packet, m, item)) {
    bytes = std::atoll((m[1].matched ? m[1] : m[2]).str().c_str());
  }
  std::error_code ec;
  auto size = static_cast<std::int64_t>(std::filesystem::file_size(path, ec));
  if (bytes <= 8 || ec || bytes >= size) return;
  info.motion_video_bytes = bytes;
}

}  // namespace

MediaInspection ReadPhotoMetadata(const std::string& path, const std::string& exif_blob) {
  Exiv2::LogMsg::setLevel(Exiv2::LogMsg::mute);
  MediaInspection out;
  Exiv2::ExifData exif;
  Exiv2::XmpData xmp;
  std::string packet;
  try {
    auto image = Exiv2::ImageFactory::open(path);
    if (image.get() != nullptr) {
      image->readMetadata();
      exif = image->exifData();
      xmp = image->xmpData();
      packet = image->xmpPacket();
    }
  } catch (const std::exception&) {
    // Not a type exiv2 knows (HEIF in exiv2 0.27), or metadata it cannot parse: the pixels may
    // still be fine, so the photo goes on with what the decoder found.
  }
  if (exif.empty() && !exif_blob.empty()) {
    std::string_view blob(exif_blob);
    if (blob.starts_with(std::string_view("Exif\0\0", 6))) blob.remove_prefix(6);
    try {
      Exiv2::ExifParser::decode(exif, reinterpret_cast<const Exiv2::byte*>(blob.data()),
                                static_cast<std::uint32_t>(blob.size()));
    } catch (const std::exception&) {
      exif.clear();
    }
  }
  try {
    ReadCaptureTime(exif, xmp, out);
    ReadPlace(exif, xmp, out.info);
    ReadCamera(exif, xmp, out.info);
    ReadMotionPhoto(packet, path, out.info);
  } catch (const std::exception&) {
    // A value of an unexpected type deep in a corrupt block: keep what was read.
  }
  return out;
}

Result<void> WriteWithoutLocation(const std::string& source, const std::string& output) {
  Exiv2::LogMsg::setLevel(Exiv2::LogMsg::mute);
  std::error_code ec;
  std::filesystem::copy_file(source, output, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) return MakeError(ErrorCode::kInternal, "copying the photo: " + ec.message());
  try {
    auto image = Exiv2::ImageFactory::open(output);
    if (image.get() == nullptr) throw Exiv2::Error(Exiv2::kerFileContainsUnknownImageType);
    image->readMetadata();
    Exiv2::ExifData exif = image->exifData();
    for (auto it = exif.begin(); it != exif.end();) {
      it = it->groupName() == "GPSInfo" ? exif.erase(it) : std::next(it);
    }
    if (auto pointer = exif.findKey(Exiv2::ExifKey("Exif.Image.GPSTag")); pointer != exif.end()) {
      exif.erase(pointer);
    }
    Exiv2::XmpData xmp = image->xmpData();
    for (auto it = xmp.begin(); it != xmp.end();) {
      it = it->key().rfind("Xmp.exif.GPS", 0) == 0 ? xmp.erase(it) : std::next(it);
    }
    image->setExifData(exif);
    image->setXmpData(xmp);
    image->writeMetadata();
  } catch (const std::exception& e) {
    std::filesystem::remove(output, ec);
    return MakeError(ErrorCode::kMediaUnreadable,
                     std::string("the place it was taken cannot be removed from this file: ") + e.what());
  }
  return {};
}

}  // namespace shoebox::media
