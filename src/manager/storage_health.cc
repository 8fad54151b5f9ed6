#include "manager/storage_health.h"

#include <string>

namespace streamkeeper {
namespace {

constexpr std::chrono::milliseconds kSpaceCheckInterval{1};
constexpr uint64_t kMiB = 1 << 20;

const char* NameOf(StorageHealth::State state) {
  switch (state) {
    case StorageHealth::State::kHealthy: return "healthy";
    case StorageHealth::State::kDegraded: return "degraded (read-only)";
    case StorageHealth::State::kRecovering: return "recovering";
  }
  return "?";
}

}  // namespace

StorageHealth::StorageHealth(const Storage* storage, uint64_t min_free_bytes, LogSink log)
    : storage_(storage), min_free_bytes_(min_free_bytes), log_(std::move(log)) {}

Status StorageHealth::admit() const {
  if (state_.load(std::memory_order_acquire) == State::kHealthy) return Status::Ok();
  std::lock_guard lock(mu_);
  return cause_.ok() ? Status::Unavailable("storage is recovering") : cause_;
}

Status StorageHealth::check_space(size_t bytes) {
  if (min_free_bytes_ == 0) return Status::Ok();
  auto now = std::chrono::steady_clock::now();
  bytes_since_check_ += bytes;
  if (now - last_check_ < kSpaceCheckInterval && bytes_since_check_ < min_free_bytes_ / 16) {
    return Status::Ok();
  }
  last_check_ = now;
  bytes_since_check_ = 0;
  return reserve_status(storage_->free_disk_bytes(), bytes);
}

bool StorageHealth::space_ok() const {
  if (min_free_bytes_ == 0) return true;
  return reserve_status(storage_->free_disk_bytes()).ok();
}

Status StorageHealth::reserve_status(std::optional<uint64_t> free, size_t bytes) const {
  if (min_free_bytes_ == 0 || !free || *free >= min_free_bytes_ + bytes) return Status::Ok();
  return Status::NoSpace("free disk space (" + std::to_string(*free / kMiB) +
                         " MiB) is below the reserve of " + std::to_string(min_free_bytes_ / kMiB) +
                         " MiB (--min-free-disk-mb)");
}

void StorageHealth::set(State state, const Status& cause, bool unless_degraded_since_recovery) {
  State before;
  std::chrono::milliseconds degraded_for{0};
  {
    std::lock_guard lock(mu_);
    before = state_.load();
    if (state == State::kDegraded && !cause.ok()) ++degrades_;
    if (state == State::kRecovering) degrades_at_recovery_ = degrades_;
    // A write that raced the recovery failed the committer again: that failure wins.
    if (unless_degraded_since_recovery && degrades_ != degrades_at_recovery_) {
      state = State::kDegraded;
    }
    if (before == State::kHealthy && state != State::kHealthy) {
      degraded_since_ = std::chrono::steady_clock::now();
    }
    if (state == State::kHealthy) {
      degraded_for = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - degraded_since_);
    }
    if (!cause.ok()) cause_ = cause;
    state_.store(state, std::memory_order_release);
  }
  cv_.notify_all();
  if (!log_ || before == state) return;
  if (state == State::kHealthy) {
    log_(LogLevel::kInfo, "storage is healthy again after " +
                              std::to_string(degraded_for.count()) + " ms: writes are taken");
  } else if (state == State::kDegraded && before == State::kHealthy) {
    log_(LogLevel::kError, std::string("storage is ") + NameOf(state) +
                               ", writes are refused, reads go on: " + cause.message());
  } else if (state == State::kRecovering) {
    log_(LogLevel::kInfo, "storage recovering: resuming and undoing failed writes");
  }
}

void StorageHealth::degrade(const Status& cause) { set(State::kDegraded, cause); }

void StorageHealth::begin_recovery() { set(State::kRecovering, Status::Ok()); }

void StorageHealth::end_recovery(const Status& result) {
  if (result.ok()) {
    set(State::kHealthy, Status::Ok(), /*unless_degraded_since_recovery=*/true);
    return;
  }
  set(State::kDegraded, result.code() == StatusCode::kNoSpace ? result
                        : result.code() == StatusCode::kUnavailable
                            ? result
                            : Status::Unavailable(result.message()));
}

void StorageHealth::wait_degraded(const std::atomic<bool>& stop,
                                  std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return stop.load() || state_.load() == State::kDegraded; });
}

void StorageHealth::notify() {
  { std::lock_guard lock(mu_); }
  cv_.notify_all();
}

}  // namespace streamkeeper
