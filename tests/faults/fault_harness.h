// FaultHarness: a StreamManager over RocksDbStorage whose file I/O goes through a FaultFs, with a
// test-owned clock, and the ability to cut its power and bring it back up on what survived.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "fault_fs.h"
#include "streamkeeper/rocksdb_storage.h"
#include "streamkeeper/stream_manager.h"
#include "temp_dir.h"

namespace streamkeeper::faults {

class FaultHarness {
 public:
  static constexpr int64_t kStartMs = 1'700'000'000'000;

  // `write_buffer_bytes`: the data family's memtable; small ones make RocksDB flush (new WAL,
  // SST, MANIFEST writes) in the middle of a test.
  explicit FaultHarness(uint64_t seed, bool sync = true, size_t write_buffer_bytes = 4 << 20)
      : sync_(sync),
        write_buffer_bytes_(write_buffer_bytes),
        fs_(std::make_shared<FaultFs>(seed)),
        env_(FaultFs::NewEnv(fs_)) {}
  ~FaultHarness() {
    manager_.reset();  // before the env it writes through
  }

  // Opens (or reopens) the manager on the directory; returns the status of the open.
  Status Open() {
    RocksDbOptions options;
    options.path = dir_.path() + "/db";
    options.block_cache_bytes = 1 << 20;
    options.write_buffer_bytes = write_buffer_bytes_;
    options.env = env_.get();
    options.log = [this](LogLevel level, std::string_view line) {
      if (level < LogLevel::kWarn) return;
      std::lock_guard lock(log_mu_);
      last_log_ = std::string(line);
    };
    std::unique_ptr<Storage> storage;
    Status status = RocksDbStorage::Open(options, &storage);
    if (!status.ok()) return status;
    ManagerOptions manager_options;
    manager_options.sync = sync_;
    manager_options.clock = [this] { return now_ms_.load(); };
    manager_options.sweep_interval = std::chrono::milliseconds(0);
    manager_ = StreamManager::Open(std::move(storage), std::move(manager_options), &status);
    return status;
  }

  // The power goes out now (if it has not already, through FaultFs::FreezeAtEvent); the old
  // instance is shut down, the files are put in their after-the-cut state, and the manager is
  // opened again on them.
  Status CutAndReopen(CutMode mode) {
    fs_->Freeze();
    manager_.reset();
    fs_->ApplyCut(mode);
    return Open();
  }

  StreamManager& manager() { return *manager_; }
  bool open() const { return manager_ != nullptr; }
  void Close() { manager_.reset(); }
  FaultFs& fs() { return *fs_; }
  int64_t now() const { return now_ms_.load(); }
  void Advance(int64_t ms) { now_ms_ += ms; }
  std::string last_log() {
    std::lock_guard lock(log_mu_);
    return last_log_;
  }

 private:
  const bool sync_;
  const size_t write_buffer_bytes_;
  std::atomic<int64_t> now_ms_{kStartMs};
  testing::TempDir dir_;
  std::shared_ptr<FaultFs> fs_;
  std::unique_ptr<rocksdb::Env> env_;
  std::mutex log_mu_;
  std::string last_log_;  // RocksDB's last warning or error
  std::unique_ptr<StreamManager> manager_;
};

}  // namespace streamkeeper::faults
