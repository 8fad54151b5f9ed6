// ForwardingStorage: a Storage decorator that passes every call to the storage it wraps. Test
// decorators (FaultyStorage, the fault race tests' gates) derive from it and override only the
// calls they interfere with.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "streamkeeper/storage.h"

namespace streamkeeper::testing {

class ForwardingStorage : public Storage {
 public:
  explicit ForwardingStorage(std::unique_ptr<Storage> inner) : inner_(std::move(inner)) {}

  Status recover(RecoveredState* out) override { return inner_->recover(out); }
  Status load_stream(const std::string& path, std::optional<LoadedStream>* out) override {
    return inner_->load_stream(path, out);
  }
  Status load_meta(const std::string& path, std::optional<StreamMeta>* out) override {
    return inner_->load_meta(path, out);
  }
  Status list_streams(std::string_view prefix, std::string_view start_after, size_t limit,
                      std::vector<StreamMeta>* out) override {
    return inner_->list_streams(prefix, start_after, limit, out);
  }
  Status scan_expiry(int64_t due_ms, const ExpiryEntry* after, size_t limit,
                     std::vector<ExpiryEntry>* out) override {
    return inner_->scan_expiry(due_ms, after, limit, out);
  }
  Status write(const WriteBatch& batch) override { return inner_->write(batch); }
  Status read_records(const std::string& path, uint64_t generation, uint64_t from, uint64_t end,
                      size_t max_bytes, std::vector<Record>* out) override {
    return inner_->read_records(path, generation, from, end, max_bytes, out);
  }
  Status sync() override { return inner_->sync(); }
  Status resume() override { return inner_->resume(); }
  std::optional<uint64_t> free_disk_bytes() const override { return inner_->free_disk_bytes(); }
  StorageStats stats() const override { return inner_->stats(); }

 protected:
  Storage& inner() { return *inner_; }
  const Storage& inner() const { return *inner_; }

 private:
  std::unique_ptr<Storage> inner_;
};

}  // namespace streamkeeper::testing
