#include "snapshot/scratch_checkpoint.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <system_error>
#include <vector>

#include "streamkeeper/rocksdb_storage.h"

namespace streamkeeper {

namespace fs = std::filesystem;

Status ScratchCheckpoint::Make(RocksDbStorage& storage, const std::string& data_dir,
                               ScratchCheckpoint* out) {
  out->remove();
  static std::atomic<uint64_t> counter{0};
  std::string dir = data_dir + "/" + std::string(kScratchCheckpointPrefix) +
                    std::to_string(::getpid()) + "." + std::to_string(++counter);
  Status s = storage.Checkpoint(dir);
  if (!s.ok()) {
    // RocksDB may leave its "<dir>.tmp" behind after a failure.
    std::error_code ec;
    fs::remove_all(dir, ec);
    fs::remove_all(dir + ".tmp", ec);
    return s;
  }
  out->dir_ = std::move(dir);
  return Status::Ok();
}

ScratchCheckpoint& ScratchCheckpoint::operator=(ScratchCheckpoint&& other) noexcept {
  if (this != &other) {
    remove();
    dir_ = std::move(other.dir_);
    other.dir_.clear();
  }
  return *this;
}

void ScratchCheckpoint::remove() {
  if (dir_.empty()) return;
  std::error_code ec;
  fs::remove_all(dir_, ec);
  dir_.clear();
}

size_t RemoveScratchLeftovers(const std::string& data_dir) {
  std::vector<fs::path> leftovers;  // listed first: removing while iterating is unspecified
  std::error_code ec;
  for (fs::directory_iterator it(data_dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().starts_with(kScratchCheckpointPrefix)) {
      leftovers.push_back(it->path());
    }
  }
  for (const fs::path& path : leftovers) {
    std::error_code remove_ec;
    fs::remove_all(path, remove_ec);
  }
  return leftovers.size();
}

uint64_t StoreBytes(const std::string& dir) {
  std::error_code ec;
  uint64_t total = 0;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code file_ec;
    if (!it->is_regular_file(file_ec) || file_ec) continue;
    uint64_t size = it->file_size(file_ec);
    if (!file_ec) total += size;
  }
  return total;
}

}  // namespace streamkeeper
