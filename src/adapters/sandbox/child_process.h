// Runs a program as a child process under resource limits and collects what it prints. For
// work on untrusted input: whatever the child does, the caller gets an outcome back.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"

namespace shoebox::sandbox {

struct ChildLimits {
  std::int64_t address_space_bytes = 0;  // RLIMIT_AS; 0: unlimited
  std::int64_t cpu_seconds = 0;          // RLIMIT_CPU; 0: unlimited
  std::int64_t wall_seconds = 60;        // killed (with its process group) after this
  std::int64_t file_size_bytes = 0;      // RLIMIT_FSIZE: the largest file it may write
  std::size_t max_output_bytes = 1 << 20;  // stdout beyond this is dropped
};

struct ChildOutcome {
  int exit_code = -1;    // when it exited
  int signal = 0;        // when a signal ended it (SIGKILL after a timeout, SIGXCPU, SIGSEGV...)
  bool timed_out = false;
  std::string out;       // stdout
  std::string err_tail;  // the last few KB of stderr
};

// `argv[0]` is the program path (not searched in PATH unless it has no '/'). `env` is the
// child's whole environment. The child runs in its own process group, with no inherited
// descriptors but stdio (stdin is /dev/null), and dies with the parent. kUnavailable when it
// cannot be started.
// When `*cancel` becomes true the child is killed and kUnavailable returned.
Result<ChildOutcome> RunChild(const std::vector<std::string>& argv,
                              const std::map<std::string, std::string>& env,
                              const ChildLimits& limits, const std::atomic<bool>* cancel = nullptr);

}  // namespace shoebox::sandbox
