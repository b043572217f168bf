#include "adapters/sandbox/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace shoebox::sandbox {
namespace {

void SetLimit(int resource, std::int64_t value) {
  if (value <= 0) return;
  rlimit limit{static_cast<rlim_t>(value), static_cast<rlim_t>(value)};
  if (resource == RLIMIT_CPU) limit.rlim_max = static_cast<rlim_t>(value + 2);  // SIGXCPU first
  setrlimit(resource, &limit);
}

}  // namespace

Result<ChildOutcome> RunChild(const std::vector<std::string>& argv,
                              const std::map<std::string, std::string>& env,
                              const ChildLimits& limits, const std::atomic<bool>* cancel) {
  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (const auto& [name, value] : env) env_strings.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  bool search_path = argv.at(0).find('/') == std::string::npos;

  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    return MakeError(ErrorCode::kUnavailable, std::string("pipe: ") + std::strerror(errno));
  }
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return MakeError(ErrorCode::kUnavailable, std::string("pipe: ") + std::strerror(errno));
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) close(fd);
    return MakeError(ErrorCode::kUnavailable, std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    close_range(3, ~0U, 0);
    SetLimit(RLIMIT_AS, limits.address_space_bytes);
    SetLimit(RLIMIT_CPU, limits.cpu_seconds);
    SetLimit(RLIMIT_FSIZE, limits.file_size_bytes);
    SetLimit(RLIMIT_CORE, 0);
    rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    if (search_path) {
      execvpe(args[0], args.data(), envp.data());
    } else {
      execve(args[0], args.data(), envp.data());
    }
    _exit(127);
  }
  setpgid(pid, pid);  // also from here, so a kill below never misses the group
  close(out_pipe[1]);
  close(err_pipe[1]);

  ChildOutcome outcome;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(limits.wall_seconds);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buffer[16384];
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      outcome.timed_out = true;
      kill(-pid, SIGKILL);
      break;
    }
    if (cancel != nullptr && cancel->load()) {
      kill(-pid, SIGKILL);
      break;
    }
    int ready = poll(fds, 2, static_cast<int>(std::min<std::int64_t>(left, 200)));
    if (ready < 0 && errno != EINTR) break;
    for (pollfd& p : fds) {
      if (p.fd < 0 || (p.revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      ssize_t n = read(p.fd, buffer, sizeof buffer);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        close(p.fd);
        p.fd = -1;
        --open_fds;
        continue;
      }
      if (p.fd == out_pipe[0]) {
        if (outcome.out.size() < limits.max_output_bytes) outcome.out.append(buffer, n);
      } else {
        outcome.err_tail.append(buffer, n);
        if (outcome.err_tail.size() > 8192) outcome.err_tail.erase(0, outcome.err_tail.size() - 4096);
      }
    }
  }
  for (pollfd& p : fds) {
    if (p.fd >= 0) close(p.fd);
  }
  // The child may close its output and still run: wait for it within the same deadline.
  int status = 0;
  while (true) {
    pid_t done = waitpid(pid, &status, outcome.timed_out ? 0 : WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) break;
    if (done == 0) {
      if (std::chrono::steady_clock::now() >= deadline) {
        outcome.timed_out = true;
        kill(-pid, SIGKILL);
      } else {
        usleep(5000);
      }
    }
  }
  kill(-pid, SIGKILL);  // anything the child left running in its group
  if (cancel != nullptr && cancel->load()) {
    return MakeError(ErrorCode::kUnavailable, "stopped: the server is shutting down");
  }
  if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
  return outcome;
}

}  // namespace shoebox::sandbox
