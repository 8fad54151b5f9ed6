// FaultyStorage: a Storage decorator whose writes, syncs and free space the test controls.
//
// It fails exactly the calls the test arms, in the two ways real storage fails: before the
// batch reaches the store (a WAL append that hit a full disk), or after (the write landed in
// the store but its sync failed, so it may yet become durable). Used to check that the
// StreamManager rolls back, refuses and recovers on both backends.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "forwarding_storage.h"
#include "streamkeeper/storage.h"

namespace streamkeeper::testing {

struct Faults {
  // The next `fail_writes` write() calls fail (after reaching the store when
  // `writes_reach_store`); likewise the next `fail_syncs` sync() calls.
  std::atomic<int> fail_writes{0};
  std::atomic<bool> writes_reach_store{false};
  std::atomic<int> fail_syncs{0};
  // While broken, every write, sync and resume fails (a disk that stays full).
  std::atomic<bool> broken{false};
  std::atomic<bool> no_space{true};  // the failures are ENOSPC (else EIO)
  std::atomic<int64_t> free_bytes{-1};  // reported free space; -1: none reported

  std::atomic<int> writes_attempted{0};  // write() calls that reached the decorator
  std::atomic<int> writes_failed{0};
  std::atomic<int> resumes{0};

  Status Error(const char* what) const {
    std::string message = std::string("injected fault in ") + what;
    return no_space ? Status::NoSpace(message + ": No space left on device")
                    : Status::IoError(message + ": Input/output error");
  }
};

class FaultyStorage final : public ForwardingStorage {
 public:
  FaultyStorage(std::unique_ptr<Storage> inner, std::shared_ptr<Faults> faults)
      : ForwardingStorage(std::move(inner)), faults_(std::move(faults)) {}

  Status write(const WriteBatch& batch) override {
    faults_->writes_attempted++;
    bool fail = faults_->broken || TakeOne(&faults_->fail_writes);
    if (!fail) return inner().write(batch);
    faults_->writes_failed++;
    if (faults_->writes_reach_store) inner().write(batch);
    return faults_->Error("write");
  }

  Status sync() override {
    if (faults_->broken || TakeOne(&faults_->fail_syncs)) return faults_->Error("sync");
    return inner().sync();
  }

  Status resume() override {
    faults_->resumes++;
    if (faults_->broken) return faults_->Error("resume");
    return inner().resume();
  }

  std::optional<uint64_t> free_disk_bytes() const override {
    int64_t free = faults_->free_bytes.load();
    if (free < 0) return inner().free_disk_bytes();
    return static_cast<uint64_t>(free);
  }

 private:
  static bool TakeOne(std::atomic<int>* count) {
    int n = count->load();
    while (n > 0) {
      if (count->compare_exchange_weak(n, n - 1)) return true;
    }
    return false;
  }

  std::shared_ptr<Faults> faults_;
};

}  // namespace streamkeeper::testing
