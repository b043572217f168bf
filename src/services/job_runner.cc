#include "services/job_runner.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <random>

namespace shoebox {
namespace {

// Failures that come from the file itself: another attempt would fail the same way.
bool IsPermanent(ErrorCode code) {
  return code == ErrorCode::kMediaUnreadable || code == ErrorCode::kMediaTimeout ||
         code == ErrorCode::kMediaDecoderCrashed || code == ErrorCode::kPhotoTooManyPixels ||
         code == ErrorCode::kUnsupportedMediaType;
}

std::int64_t Jitter(std::int64_t span) {
  thread_local std::mt19937_64 random{std::random_device{}()};
  return span <= 0 ? 0 : static_cast<std::int64_t>(random() % static_cast<std::uint64_t>(span));
}

void LogJob(const Job& job, const char* event, const std::string& error = "") {
  nlohmann::json line = {{"event", event},
                         {"job", job.id},
                         {"kind", std::string(JobKindName(job.kind))},
                         {"asset_id", job.asset_id},
                         {"attempt", job.attempts}};
  if (!error.empty()) line["error"] = error;
  if (error.empty()) {
    spdlog::debug(line.dump());
  } else {
    spdlog::warn(line.dump());
  }
}

}  // namespace

void JobRunner::Start() {
  std::lock_guard lock(mutex_);
  stopping_ = false;
  for (int i = 0; i < settings_.workers; ++i) threads_.emplace_back([this, i] { Work(i); });
  threads_.emplace_back([this] { KeepLeases(); });
}

void JobRunner::BeginStop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
}

void JobRunner::Stop() {
  BeginStop();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

Result<int> JobRunner::RunUntilIdle() {
  std::string holder = settings_.instance_id + "/cli";
  int ran = 0;
  while (true) {
    SHOEBOX_ASSIGN(bool did, RunOne(holder));
    if (!did) return ran;
    ++ran;
  }
}

void JobRunner::Work(int index) {
  std::string holder = settings_.instance_id + "/worker-" + std::to_string(index);
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    auto did = RunOne(holder);
    if (!did) {
      spdlog::warn(nlohmann::json({{"event", "job_claim_failed"},
                                   {"message", did.error().message}}).dump());
    }
    if (!did || !*did) {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, std::chrono::milliseconds(settings_.idle_poll_ms),
                     [&] { return stopping_; });
    }
  }
}

void JobRunner::KeepLeases() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::milliseconds(settings_.lease_ms / 3),
                   [&] { return stopping_; });
    auto running = running_;
    lock.unlock();
    for (const auto& [id, holder] : running) {
      (void)jobs_.RenewLease(id, holder, clock_.Now() + settings_.lease_ms);
    }
    lock.lock();
  }
}

Result<bool> JobRunner::RunOne(const std::string& holder) {
  UnixMillis now = clock_.Now();
  SHOEBOX_ASSIGN(auto claimed, jobs_.Claim(holder, now, now + settings_.lease_ms, 1));
  if (claimed.empty()) return false;
  const Job& job = claimed.front();
  {
    std::lock_guard lock(mutex_);
    running_[job.id] = holder;
  }
  LogJob(job, "job_started");
  Result<void> result = media_.Run(job);
  {
    std::lock_guard lock(mutex_);
    running_.erase(job.id);
  }
  now = clock_.Now();
  if (result) {
    SHOEBOX_TRY(jobs_.Finish(job.id, holder, now));
    LogJob(job, "job_done");
    return true;
  }
  const Error& error = result.error();
  std::string reason = std::string(ErrorCodeName(error.code)) + ": " + error.message;
  bool stopping = false;
  {
    std::lock_guard lock(mutex_);
    stopping = stopping_;
  }
  if (stopping && !IsPermanent(error.code)) {
    // Cut off by shutdown: not the job's fault, run it again as soon as a worker is back.
    SHOEBOX_TRY(jobs_.Retry(job.id, holder, reason, now, now));
    return true;
  }
  if (IsPermanent(error.code) || job.attempts >= settings_.max_attempts) {
    SHOEBOX_TRY(jobs_.GiveUp(job.id, holder, reason, now));
    LogJob(job, "job_failed", reason);
  } else {
    std::int64_t delay = settings_.retry_base_ms << std::min(job.attempts - 1, 16);
    SHOEBOX_TRY(jobs_.Retry(job.id, holder, reason, now + delay + Jitter(delay / 4), now));
    LogJob(job, "job_retry", reason);
  }
  return true;
}

}  // namespace shoebox
