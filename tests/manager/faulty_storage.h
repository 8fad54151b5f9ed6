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

class FaultyStorage final : public Storage {
 public:
  FaultyStorage(std::unique_ptr<Storage> inner, std::shared_ptr<Faults> faults)
      : inner_(std::move(inner)), faults_(std::move(faults)) {}

  Status load(LoadedState* out) override { return inner_->load(out); }

  Status write(const WriteBatch& batch) override {
    faults_->writes_attempted++;
    bool fail = faults_->broken || TakeOne(&faults_->fail_writes);
    if (!fail) return inner_->write(batch);
    faults_->writes_failed++;
    if (faults_->writes_reach_store) inner_->write(batch);
    return faults_->Error("write");
  }

  Status sync() override {
    if (faults_->broken || TakeOne(&faults_->fail_syncs)) return faults_->Error("sync");
    return inner_->sync();
  }

  Status read_records(const std::string& path, uint64_t generation, uint64_t from, uint64_t end,
                      size_t max_bytes, std::vector<Record>* out) override {
    return inner_->read_records(path, generation, from, end, max_bytes, out);
  }

  Status resume() override {
    faults_->resumes++;
    if (faults_->broken) return faults_->Error("resume");
    return inner_->resume();
  }

  std::optional<uint64_t> free_disk_bytes() const override {
    int64_t free = faults_->free_bytes.load();
    if (free < 0) return inner_->free_disk_bytes();
    return static_cast<uint64_t>(free);
  }

  const char* name() const override { return inner_->name(); }

 private:
  static bool TakeOne(std::atomic<int>* count) {
    int n = count->load();
    while (n > 0) {
      if (count->compare_exchange_weak(n, n - 1)) return true;
    }
    return false;
  }

  std::unique_ptr<Storage> inner_;
  std::shared_ptr<Faults> faults_;
};

}  // namespace streamkeeper::testing
