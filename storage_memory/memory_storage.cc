#include "streamkeeper/memory_storage.h"

#include <algorithm>
#include <mutex>

namespace streamkeeper {
namespace {

bool PositionLess(const Record& record, uint64_t position) { return record.position < position; }
bool PositionGreater(uint64_t position, const Record& record) { return position < record.position; }

// Keeps `records` sorted. The contract promises appends above every stored position, so the
// common case is a push_back; a repeated position replaces the stored record, as a RocksDB Put
// of the same key would.
void InsertRecord(const Record& record, std::vector<Record>* records) {
  if (records->empty() || records->back().position < record.position) {
    records->push_back(record);
    return;
  }
  auto it = std::lower_bound(records->begin(), records->end(), record.position, PositionLess);
  if (it != records->end() && it->position == record.position) {
    *it = record;
  } else {
    records->insert(it, record);
  }
}

}  // namespace

Status MemoryStorage::recover(RecoveredState* out) {
  std::shared_lock lock(mu_);
  out->generation_counter = generation_counter_;
  out->pending_purges.clear();
  for (const auto& [path, generation] : pending_purges_) {
    StreamMeta meta;
    meta.path = path;
    meta.generation = generation;
    out->pending_purges.push_back(std::move(meta));
  }
  return Status::Ok();
}

Status MemoryStorage::load_stream(const std::string& path, std::optional<LoadedStream>* out) {
  std::shared_lock lock(mu_);
  out->reset();
  auto meta = metas_.find(path);
  if (meta == metas_.end()) return Status::Ok();
  LoadedStream stream;
  stream.meta = meta->second;
  GenerationKey key{path, stream.meta.generation};
  if (auto producers = producers_.find(key); producers != producers_.end()) {
    stream.producers = producers->second;
  }
  if (auto records = records_.find(key); records != records_.end() && !records->second.empty()) {
    stream.last_record = records->second.back();
  }
  *out = std::move(stream);
  return Status::Ok();
}

Status MemoryStorage::load_meta(const std::string& path, std::optional<StreamMeta>* out) {
  std::shared_lock lock(mu_);
  out->reset();
  if (auto meta = metas_.find(path); meta != metas_.end()) *out = meta->second;
  return Status::Ok();
}

Status MemoryStorage::list_streams(std::string_view prefix, std::string_view start_after,
                                   size_t limit, std::vector<StreamMeta>* out) {
  std::shared_lock lock(mu_);
  auto it = metas_.lower_bound(std::string(prefix));
  if (!start_after.empty() && it != metas_.end() && it->first <= start_after) {
    it = metas_.upper_bound(std::string(start_after));
  }
  for (; it != metas_.end() && limit > 0 && it->first.starts_with(prefix); ++it, --limit) {
    out->push_back(it->second);
  }
  return Status::Ok();
}

Status MemoryStorage::scan_expiry(int64_t due_ms, const ExpiryEntry* after, size_t limit,
                                  std::vector<ExpiryEntry>* out) {
  std::shared_lock lock(mu_);
  auto it = after ? expiry_index_.upper_bound(*after) : expiry_index_.begin();
  for (; it != expiry_index_.end() && limit > 0 && it->at_ms <= due_ms; ++it, --limit) {
    out->push_back(*it);
  }
  return Status::Ok();
}

Status MemoryStorage::write(const WriteBatch& batch) {
  std::unique_lock lock(mu_);
  for (const StreamChange& change : batch.changes) {
    switch (change.kind) {
      case StreamChange::Kind::kPut:
        ApplyPut(change);
        break;
      case StreamChange::Kind::kErase:
        ApplyErase(change);
        break;
      case StreamChange::Kind::kReset:
        ApplyReset(change);
        break;
      case StreamChange::Kind::kPurge:
        ApplyPurge(change);
        break;
      case StreamChange::Kind::kIndex:
        break;
    }
    ApplyIndex(change);
  }
  generation_counter_ = batch.generation_counter;
  return Status::Ok();
}

void MemoryStorage::ApplyPut(const StreamChange& change) {
  const StreamMeta& meta = change.meta;
  if (change.write_meta) metas_[meta.path] = meta;
  GenerationKey key{meta.path, meta.generation};
  if (!change.producers.empty()) {
    ProducerMap& producers = producers_[key];
    for (const auto& [id, state] : change.producers) producers[id] = state;
  }
  if (!change.records.empty()) {
    std::vector<Record>& records = records_[key];
    for (const Record& record : change.records) InsertRecord(record, &records);
  }
}

void MemoryStorage::ApplyErase(const StreamChange& change) {
  metas_.erase(change.meta.path);
  pending_purges_.insert({change.meta.path, change.meta.generation});
}

void MemoryStorage::ApplyPurge(const StreamChange& change) {
  GenerationKey key{change.meta.path, change.meta.generation};
  producers_.erase(key);
  records_.erase(key);
  pending_purges_.erase(key);
}

void MemoryStorage::ApplyIndex(const StreamChange& change) {
  const StreamMeta& meta = change.meta;
  if (change.unindex_expiry_ms) {
    expiry_index_.erase(ExpiryEntry{*change.unindex_expiry_ms, meta.path, meta.generation});
  }
  if (change.index_expiry_ms) {
    expiry_index_.insert(ExpiryEntry{*change.index_expiry_ms, meta.path, meta.generation});
  }
}

void MemoryStorage::ApplyReset(const StreamChange& change) {
  const StreamMeta& meta = change.meta;
  GenerationKey key{meta.path, meta.generation};
  metas_[meta.path] = meta;
  pending_purges_.erase(key);
  if (change.producers.empty()) {
    producers_.erase(key);
  } else {
    producers_[key] = change.producers;
  }
  auto found = records_.find(key);
  if (found == records_.end()) return;
  std::vector<Record>& records = found->second;
  records.erase(std::lower_bound(records.begin(), records.end(), meta.tail, PositionLess),
                records.end());
}

Status MemoryStorage::read_records(const std::string& path, uint64_t generation, uint64_t from,
                                   uint64_t end, size_t max_bytes, std::vector<Record>* out) {
  if (from >= end) return Status::Ok();
  std::shared_lock lock(mu_);
  auto found = records_.find({path, generation});
  if (found == records_.end()) return Status::Ok();
  const std::vector<Record>& records = found->second;

  // The record containing `from` is the last one starting at or before it.
  auto it = std::upper_bound(records.begin(), records.end(), from, PositionGreater);
  if (it != records.begin()) --it;

  size_t total = 0;
  for (; it != records.end() && it->position < end; ++it) {
    out->push_back(*it);
    total += it->value.size();
    if (total >= max_bytes) break;
  }
  return Status::Ok();
}

}  // namespace streamkeeper
