// MediaInfo as JSON: the one encoding used by the media child's answer, the database column and
// the API. Absent values are left out.
#pragma once

#include <nlohmann/json.hpp>

#include "ports/model.h"

namespace shoebox {

inline nlohmann::json MediaInfoToJson(const MediaInfo& m) {
  nlohmann::json j = nlohmann::json::object();
  auto put = [&](const char* name, const auto& value) {
    if constexpr (std::is_same_v<std::decay_t<decltype(value)>, std::string>) {
      if (!value.empty()) j[name] = value;
    } else {
      if (value) j[name] = *value;
    }
  };
  put("utc_offset_minutes", m.utc_offset_minutes);
  put("taken_source", m.taken_source);
  if (m.width > 0) j["width"] = m.width;
  if (m.height > 0) j["height"] = m.height;
  if (m.orientation != 1) j["orientation"] = m.orientation;
  put("latitude", m.latitude);
  put("longitude", m.longitude);
  put("altitude", m.altitude);
  put("make", m.make);
  put("model", m.model);
  put("lens", m.lens);
  put("focal_length_mm", m.focal_length_mm);
  put("f_number", m.f_number);
  put("exposure_seconds", m.exposure_seconds);
  put("iso", m.iso);
  put("duration_ms", m.duration_ms);
  put("frame_rate", m.frame_rate);
  put("container", m.container);
  put("video_codec", m.video_codec);
  put("audio_codec", m.audio_codec);
  put("bit_rate", m.bit_rate);
  put("motion_video_bytes", m.motion_video_bytes);
  return j;
}

// Tolerant: unknown keys and values of the wrong type are ignored.
inline MediaInfo MediaInfoFromJson(const nlohmann::json& j) {
  MediaInfo m;
  if (!j.is_object()) return m;
  auto get = [&](const char* name, auto& out) {
    auto it = j.find(name);
    if (it == j.end()) return;
    using T = std::decay_t<decltype(out)>;
    if constexpr (std::is_same_v<T, std::string>) {
      if (it->is_string()) out = it->template get<std::string>();
    } else if constexpr (std::is_same_v<T, std::optional<double>>) {
      if (it->is_number()) out = it->template get<double>();
    } else if constexpr (std::is_same_v<T, std::optional<int>>) {
      if (it->is_number_integer()) out = it->template get<int>();
    } else if constexpr (std::is_same_v<T, std::optional<std::int64_t>>) {
      if (it->is_number_integer()) out = it->template get<std::int64_t>();
    } else {
      if (it->is_number_integer()) out = it->template get<T>();
    }
  };
  get("utc_offset_minutes", m.utc_offset_minutes);
  get("taken_source", m.taken_source);
  get("width", m.width);
  get("height", m.height);
  get("orientation", m.orientation);
  get("latitude", m.latitude);
  get("longitude", m.longitude);
  get("altitude", m.altitude);
  get("make", m.make);
  get("model", m.model);
  get("lens", m.lens);
  get("focal_length_mm", m.focal_length_mm);
  get("f_number", m.f_number);
  get("exposure_seconds", m.exposure_seconds);
  get("iso", m.iso);
  get("duration_ms", m.duration_ms);
  get("frame_rate", m.frame_rate);
  get("container", m.container);
  get("video_codec", m.video_codec);
  get("audio_codec", m.audio_codec);
  get("bit_rate", m.bit_rate);
  get("motion_video_bytes", m.motion_video_bytes);
  return m;
}

}  // namespace shoebox
