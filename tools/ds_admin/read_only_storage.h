// ReadOnlyStorage: a Storage decorator that refuses every write.
//
// The StreamManager writes even when only read from: it persists sliding-TTL access times at
// shutdown and expires a stream it finds expired. An inspecting command must leave the data
// directory as the server left it, so it puts its storage behind this guard. The manager's
// GroupCommitter treats the refusal as a failed commit and acknowledges nothing; reads go on.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "streamkeeper/storage.h"

namespace ds_admin {

class ReadOnlyStorage final : public streamkeeper::Storage {
 public:
  explicit ReadOnlyStorage(std::unique_ptr<streamkeeper::Storage> inner)
      : owned_(std::move(inner)), inner_(owned_.get()) {}
  // Borrows `inner`, which must outlive this.
  explicit ReadOnlyStorage(streamkeeper::Storage& inner) : inner_(&inner) {}
  ReadOnlyStorage(const ReadOnlyStorage&) = delete;
  ReadOnlyStorage& operator=(const ReadOnlyStorage&) = delete;

  streamkeeper::Status recover(streamkeeper::RecoveredState* out) override {
    return inner_->recover(out);
  }
  streamkeeper::Status load_stream(const std::string& path,
                                   std::optional<streamkeeper::LoadedStream>* out) override {
    return inner_->load_stream(path, out);
  }
  streamkeeper::Status load_meta(const std::string& path,
                                 std::optional<streamkeeper::StreamMeta>* out) override {
    return inner_->load_meta(path, out);
  }
  streamkeeper::Status list_streams(std::string_view prefix, std::string_view start_after,
                                    size_t limit,
                                    std::vector<streamkeeper::StreamMeta>* out) override {
    return inner_->list_streams(prefix, start_after, limit, out);
  }
  streamkeeper::Status scan_expiry(int64_t due_ms, const streamkeeper::ExpiryEntry* after,
                                   size_t limit,
                                   std::vector<streamkeeper::ExpiryEntry>* out) override {
    return inner_->scan_expiry(due_ms, after, limit, out);
  }
  // Always kIoError; nothing is written.
  streamkeeper::Status write(const streamkeeper::WriteBatch& batch) override;
  // Nothing was written, so there is nothing to sync.
  streamkeeper::Status sync() override { return streamkeeper::Status::Ok(); }
  streamkeeper::Status read_records(const std::string& path, uint64_t generation, uint64_t from,
                                    uint64_t end, size_t max_bytes,
                                    std::vector<streamkeeper::Record>* out) override {
    return inner_->read_records(path, generation, from, end, max_bytes, out);
  }

 private:
  std::unique_ptr<streamkeeper::Storage> owned_;  // null when borrowed
  streamkeeper::Storage* inner_;
};

}  // namespace ds_admin
