// Capture times that phones and apps write into file names, for files whose contents carry none:
// IMG_20230102_030405.jpg, PXL_20230102_030405123.jpg, VID_20230102_030405.mp4,
// Screenshot_20230102-030405.png, Screenshot_2023-01-02-03-04-05.png, signal-2023-01-02-030405,
// 2023-01-02 03.04.05.jpg (Dropbox), IMG-20230102-WA0001.jpg (WhatsApp: the day only).
#pragma once

#include <optional>
#include <string_view>

#include "core/clock.h"

namespace shoebox {

// Local wall-clock time read as UTC (the name carries no time zone).
std::optional<UnixMillis> CaptureTimeFromFileName(std::string_view name);

}  // namespace shoebox
