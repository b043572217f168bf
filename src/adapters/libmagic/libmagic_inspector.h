// MediaInspector on libmagic (the `file` command's content sniffing), with a table of the photo
// and video types Shoebox accepts.
#pragma once

#include <memory>

#include "ports/media_inspector.h"

namespace shoebox::libmagic {

// kInternal when the magic database cannot be loaded.
Result<std::unique_ptr<MediaInspector>> OpenLibmagicInspector();

}  // namespace shoebox::libmagic
