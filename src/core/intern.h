// Strings that live as long as the process, for SQL built at run time: both database adapters
// cache prepared statements on the address of their text.
#pragma once

#include <mutex>
#include <set>
#include <string>

namespace shoebox {

inline const char* Intern(std::string text) {
  static std::mutex mutex;
  static std::set<std::string> texts;
  std::lock_guard lock(mutex);
  return texts.insert(std::move(text)).first->c_str();
}

}  // namespace shoebox
