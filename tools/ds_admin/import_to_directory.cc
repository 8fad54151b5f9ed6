// ImportTarget into a stopped data directory, through the Storage contract.
//
// Each stream gets a fresh generation from the store's counter (persisted with every batch, as
// the StreamManager's committer does) and keeps everything else of its export exactly: offsets,
// created-at, last access (a sliding TTL runs on from it), TTL or Expires-At with its expiry
// index entry, closed state, Stream-Seq and producer states. A stream appears whole or not at
// all, even if the import is cut short: a stream that fits in one batch of a few MiB is written
// by one batch, meta included. A bigger one is written as the StreamManager undoes a failed
// create: its first batch also erases its (new) generation (StreamChange::kErase), so the store
// owes that generation a purge from then on; records follow, meta-less; a final kReset writes
// the meta and producers and clears the purge owed. An import killed before that final batch
// leaves records no meta reaches, which the next server start purges (RecoveredState::
// pending_purges).
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "data_dir.h"
#include "import_target.h"
#include "manager/content_type.h"
#include "manager/json_messages.h"
#include "streamkeeper/rocksdb_storage.h"
#include "streamkeeper/storage.h"

namespace ds_admin {

using streamkeeper::Status;
using streamkeeper::StreamChange;
using streamkeeper::StreamMeta;
using streamkeeper::WriteBatch;

namespace {

constexpr size_t kBatchBytes = 4 << 20;

class DirectoryTarget final : public ImportTarget {
 public:
  DirectoryTarget(std::string dir, std::unique_ptr<streamkeeper::Storage> storage,
                  uint64_t generation_counter)
      : dir_(std::move(dir)),
        storage_(std::move(storage)),
        generation_counter_(generation_counter) {}

  Status Exists(const std::string& path, bool* exists) override {
    std::optional<StreamMeta> meta;
    Status s = storage_->load_meta(path, &meta);
    *exists = meta.has_value();
    return s;
  }

  Status BeginStream(const ExportedStream& stream) override {
    StreamMeta meta;
    meta.path = stream.path;
    meta.generation = ++generation_counter_;
    meta.content_type = stream.content_type;
    meta.created_at_ms = stream.created_at_ms;
    meta.last_access_ms = stream.last_access_ms;
    meta.ttl_seconds = stream.ttl_seconds;
    meta.expires_at_ms = stream.expires_at_ms;
    meta.closed = stream.closed;
    meta.tail = stream.tail;
    meta.last_stream_seq = stream.stream_seq;
    meta.closed_by = stream.closed_by;
    meta.indexed_expiry_ms = streamkeeper::ExpiryOf(meta);
    change_ = StreamChange();
    change_.kind = StreamChange::Kind::kPut;
    change_.meta = std::move(meta);
    change_.producers = stream.producers;
    is_json_ = streamkeeper::IsJsonContentType(stream.content_type);
    pending_bytes_ = 0;
    spilled_ = false;
    return Status::Ok();
  }

  Status AddRecord(const ExportedRecord& record) override {
    streamkeeper::Record stored;
    stored.position = record.position;
    stored.value = is_json_ ? streamkeeper::EncodeJsonRecord(record.payload, record.batch_remaining)
                            : record.payload;
    pending_bytes_ += stored.value.size();
    change_.records.push_back(std::move(stored));
    if (pending_bytes_ < kBatchBytes) return Status::Ok();
    return WritePendingRecords();
  }

  Status EndStream() override {
    change_.index_expiry_ms = change_.meta.indexed_expiry_ms;
    if (!spilled_) return Write({std::move(change_)});
    if (!change_.records.empty()) {
      if (Status s = WritePendingRecords(); !s.ok()) return s;
    }
    change_.kind = StreamChange::Kind::kReset;
    return Write({std::move(change_)});
  }

  Status Finish() override { return storage_->sync(); }

  std::string Describe() const override { return "data directory " + dir_; }
  bool IsExact() const override { return true; }

 private:
  // The records gathered so far, without the meta; the stream's first such batch also erases
  // its generation (see the top of this file).
  Status WritePendingRecords() {
    std::vector<StreamChange> changes;
    if (!spilled_) {
      StreamChange erase;
      erase.kind = StreamChange::Kind::kErase;
      erase.meta.path = change_.meta.path;
      erase.meta.generation = change_.meta.generation;
      changes.push_back(std::move(erase));
      spilled_ = true;
    }
    StreamChange records_only;
    records_only.kind = StreamChange::Kind::kPut;
    records_only.meta = change_.meta;
    records_only.write_meta = false;
    records_only.records = std::move(change_.records);
    change_.records.clear();
    pending_bytes_ = 0;
    changes.push_back(std::move(records_only));
    return Write(std::move(changes));
  }

  Status Write(std::vector<StreamChange> changes) {
    WriteBatch batch;
    batch.changes = std::move(changes);
    batch.generation_counter = generation_counter_;
    batch.sync = false;  // Finish() syncs once
    return storage_->write(batch);
  }

  std::string dir_;
  std::unique_ptr<streamkeeper::Storage> storage_;
  uint64_t generation_counter_;
  StreamChange change_;
  bool is_json_ = false;
  size_t pending_bytes_ = 0;
  bool spilled_ = false;  // records of the current stream were written before its meta
};

}  // namespace

Status OpenDirectoryTarget(const std::string& dir, std::unique_ptr<ImportTarget>* out) {
  namespace fs = std::filesystem;
  out->reset();
  if (Status s = CheckNotLive(dir, "import", "import"); !s.ok()) return s;
  std::error_code ec;
  const bool exists = fs::exists(dir, ec);
  if (exists && !fs::is_directory(dir, ec)) {
    return Status::IoError(dir + " is not a directory");
  }
  const bool fresh = !exists || fs::is_empty(dir, ec);
  if (!fresh) {
    if (Status s = CheckIsStore(dir); !s.ok()) {
      return Status::IoError(s.message() +
                             " (import creates a store only in a missing or empty directory)");
    }
  }
  streamkeeper::RocksDbOptions options;
  options.path = dir;
  options.create_if_missing = fresh;
  options.block_cache_bytes = 8 << 20;
  std::unique_ptr<streamkeeper::Storage> storage;
  Status s = streamkeeper::RocksDbStorage::Open(options, &storage);
  if (!s.ok()) {
    if (fresh) return s;
    return Status::IoError(s.message() +
                           " (import creates a store only in a missing or empty directory)");
  }
  streamkeeper::RecoveredState recovered;
  s = storage->recover(&recovered);
  if (!s.ok()) return s;
  *out = std::make_unique<DirectoryTarget>(dir, std::move(storage), recovered.generation_counter);
  return Status::Ok();
}

}  // namespace ds_admin
