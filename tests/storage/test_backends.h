// The Storage backends the typed test suites run over (tests/storage, tests/manager): each is a
// factory whose Open() gives a storage on that backend. Every Open() of one RocksDbBackend opens
// the same directory, so a test can close its storage (or manager) and reopen the data.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "streamkeeper/memory_storage.h"
#include "streamkeeper/rocksdb_storage.h"
#include "streamkeeper/storage.h"
#include "temp_dir.h"

namespace streamkeeper::testing {

class MemoryBackend {
 public:
  static constexpr bool kPersistent = false;
  std::unique_ptr<Storage> Open() { return std::make_unique<MemoryStorage>(); }
};

class RocksDbBackend {
 public:
  static constexpr bool kPersistent = true;
  std::unique_ptr<Storage> Open() {
    RocksDbOptions options;
    options.path = dir_.path() + "/db";
    options.block_cache_bytes = 1 << 20;   // small: tests hold little data
    options.write_buffer_bytes = 4 << 20;
    std::unique_ptr<Storage> storage;
    Status status = RocksDbStorage::Open(options, &storage);
    EXPECT_TRUE(status.ok()) << status.message();
    return storage;
  }

 private:
  TempDir dir_;
};

}  // namespace streamkeeper::testing
