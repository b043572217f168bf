// Runs the media jobs: worker threads that claim due jobs from the JobRepository, hand them to
// the MediaService, and record the outcome (done, retry with backoff, or give up with the reason
// on the asset). Leases are renewed while a job runs, so a worker that dies releases its jobs
// to the other workers (of this instance or another) once its lease lapses.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "ports/metadata_store.h"
#include "services/media_service.h"

namespace shoebox {

struct JobRunnerSettings {
  int workers = 2;
  int max_attempts = 5;
  std::int64_t retry_base_ms = 30'000;   // doubled per attempt, with jitter
  std::int64_t lease_ms = 120'000;       // renewed every third of it while running
  std::int64_t idle_poll_ms = 500;
  std::string instance_id;
};

class JobRunner {
 public:
  JobRunner(JobRepository& jobs, MediaService& media, const Clock& clock,
            JobRunnerSettings settings)
      : jobs_(jobs), media_(media), clock_(clock), settings_(std::move(settings)) {}
  ~JobRunner() { Stop(); }

  void Start();
  // Tells the workers to take no new job; jobs failing from now on are not charged an attempt.
  void BeginStop();
  // Returns once every worker has finished its current job (callers cancel media work between
  // BeginStop and Stop).
  void Stop();
  // Runs due jobs on this thread until none is due; returns how many ran. For the command line
  // and tests.
  Result<int> RunUntilIdle();

 private:
  void Work(int index);
  void KeepLeases();
  // Claims and runs one job; false when none was due.
  Result<bool> RunOne(const std::string& holder);

  JobRepository& jobs_;
  MediaService& media_;
  const Clock& clock_;
  JobRunnerSettings settings_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::map<std::int64_t, std::string> running_;  // job id -> holder, for lease renewal
};

}  // namespace shoebox
