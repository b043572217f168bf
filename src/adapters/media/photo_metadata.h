// Photo metadata with exiv2 (EXIF, XMP): capture time and offset, GPS, camera, exposure,
// orientation, Android motion photos. Runs only inside the sandboxed media child.
#pragma once

#include <string>

#include "core/error.h"
#include "ports/media_processor.h"

namespace shoebox::media {

// Fills everything but width/height (the image decoder's header knows them better). Never
// fails: a file without readable metadata gives an empty inspection. `exif_blob` (the EXIF the
// image decoder found, e.g. in a HEIF file exiv2 cannot open) is used when exiv2 finds none.
MediaInspection ReadPhotoMetadata(const std::string& path, const std::string& exif_blob);

// Writes `source` to `output` without where it was taken: the EXIF GPS block and XMP's GPS
// properties go, everything else (capture time, orientation, camera) stays. kMediaUnreadable
// when exiv2 cannot rewrite this type of file.
Result<void> WriteWithoutLocation(const std::string& source, const std::string& output);

}  // namespace shoebox::media
