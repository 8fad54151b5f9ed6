// ScratchCheckpoint: a RocksDB checkpoint made inside the data directory (so that its table
// files are hard links, not copies), for as long as a snapshot is being read, and removed after.
//
// Its name starts with kScratchCheckpointPrefix, which no RocksDB file name does (RocksDB
// ignores names it does not recognize). A checkpoint left by a process that died while a
// snapshot was read is removed by RemoveScratchLeftovers, called by whoever opens the
// directory next (the server at start, `ds-admin backup --data-dir`): the directory's lock
// is then held, so no snapshot of another process can be in progress.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "streamkeeper/status.h"

namespace streamkeeper {

class RocksDbStorage;

inline constexpr std::string_view kScratchCheckpointPrefix = "snapshot-in-progress.";

// Owns one checkpoint directory; removes it (recursively) when destroyed.
class ScratchCheckpoint {
 public:
  // Makes a checkpoint of `storage` in a new directory under `data_dir` (the storage's own).
  // On failure *out stays empty (and nothing is left behind) and the storage's error is returned.
  static Status Make(RocksDbStorage& storage, const std::string& data_dir, ScratchCheckpoint* out);

  ScratchCheckpoint() = default;
  ~ScratchCheckpoint() { remove(); }
  ScratchCheckpoint(ScratchCheckpoint&& other) noexcept : dir_(std::move(other.dir_)) {
    other.dir_.clear();
  }
  ScratchCheckpoint& operator=(ScratchCheckpoint&& other) noexcept;
  ScratchCheckpoint(const ScratchCheckpoint&) = delete;
  ScratchCheckpoint& operator=(const ScratchCheckpoint&) = delete;

  const std::string& dir() const { return dir_; }
  // Removes the directory now (nothing if there is none).
  void remove();

 private:
  std::string dir_;
};

// Removes every scratch checkpoint under `data_dir`; returns how many there were.
size_t RemoveScratchLeftovers(const std::string& data_dir);

// The sum of the sizes of the regular files directly in `dir` (0 if unreadable): a RocksDB
// directory's size on disk. A RocksDB directory is flat, so a scratch checkpoint in progress
// (a subdirectory of hard links to the same tables) is not counted twice.
uint64_t StoreBytes(const std::string& dir);

}  // namespace streamkeeper
