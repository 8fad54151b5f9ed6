// StorageHealth: whether the StreamManager takes writes now - the state machine of storage faults.
//
//   kHealthy     writes are taken.
//   kDegraded    a write or sync failed, or free disk space fell below the reserve
//                (ManagerOptions::min_free_disk_bytes): writes are refused at once with the
//                cause (kNoSpace -> 507, kUnavailable -> 503, with Retry-After); reads, HEAD
//                and live reads go on from durable state. Nothing of the failed batches was
//                acknowledged, and their streams were rolled back to durable state.
//   kRecovering  the cause looks clear (space is above the reserve again; for other faults a
//                retry interval has passed): a recovery runs through the GroupCommitter. It
//                resumes the storage and durably undoes whatever the failed batches left in it.
//
//   kHealthy --write/sync fails, space low--> kDegraded --interval passed, space ok--> kRecovering
//   kRecovering --storage resumed and repaired--> kHealthy
//   kRecovering --still failing--> kDegraded
//
// The recovery loop itself is StreamManager::Impl::recovery_loop (manager_recovery.cc).
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

#include "streamkeeper/log_sink.h"
#include "streamkeeper/status.h"
#include "streamkeeper/storage.h"

namespace streamkeeper {

class StorageHealth {
 public:
  enum class State { kHealthy, kDegraded, kRecovering };

  // `storage` reports free space (may report none: then only write failures degrade);
  // `min_free_bytes` 0 disables the reserve. `log` may be empty.
  StorageHealth(const Storage* storage, uint64_t min_free_bytes, LogSink log);

  // OK when writes may be taken, else the cause to answer with. One atomic load when healthy.
  Status admit() const;
  State state() const { return state_.load(std::memory_order_acquire); }

  // The committer's write gate (writer thread): kNoSpace when writing `bytes` more would leave
  // less than the reserve free. Asks the storage at most once a millisecond, unless `bytes` is
  // a sizeable part of the reserve.
  Status check_space(size_t bytes);
  // True when there is no reserve, or free space is at least the reserve (recovery may start).
  bool space_ok() const;
  // The reserve rule itself, for `free` bytes as the storage reported them (nullopt: it reports
  // none): kNoSpace, saying how much is free and how much is reserved, when writing `bytes`
  // more would leave less than the reserve; else OK (always, without a reserve).
  Status reserve_status(std::optional<uint64_t> free, size_t bytes = 0) const;

  // A write or sync failed, or the reserve is crossed: refuse writes with `cause`.
  void degrade(const Status& cause);
  void begin_recovery();
  // kHealthy when `result` is OK and nothing degraded the storage since begin_recovery() (a
  // write that raced the recovery fails the committer again); else back to kDegraded.
  void end_recovery(const Status& result);

  // Blocks until the state is kDegraded, `stop` is set, or `timeout` passes.
  void wait_degraded(const std::atomic<bool>& stop, std::chrono::milliseconds timeout);
  // Wakes wait_degraded() (after setting its `stop`).
  void notify();

 private:
  void set(State state, const Status& cause, bool unless_degraded_since_recovery = false);

  const Storage* storage_;
  const uint64_t min_free_bytes_;
  LogSink log_;
  std::atomic<State> state_{State::kHealthy};

  mutable std::mutex mu_;  // guards cause_, degraded_since_
  std::condition_variable cv_;
  Status cause_;
  std::chrono::steady_clock::time_point degraded_since_;
  uint64_t degrades_ = 0;            // degrade() calls so far
  uint64_t degrades_at_recovery_ = 0;  // ... when the running recovery began

  // check_space() rate limit; writer thread only.
  std::chrono::steady_clock::time_point last_check_{};
  uint64_t bytes_since_check_ = 0;
};

}  // namespace streamkeeper
