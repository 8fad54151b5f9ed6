#include "storage_memory/memory_storage.h"

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

Status MemoryStorage::load(LoadedState* out) {
  std::shared_lock lock(mu_);
  out->streams.clear();
  out->streams.reserve(metas_.size());
  for (const auto& [path, meta] : metas_) {
    LoadedStream stream;
    stream.meta = meta;
    auto producers = producers_.find({path, meta.generation});
    if (producers != producers_.end()) stream.producers = producers->second;
    auto records = records_.find({path, meta.generation});
    if (records != records_.end() && !records->second.empty()) {
      stream.last_record = records->second.back();
    }
    out->streams.push_back(std::move(stream));
  }
  out->generation_counter = generation_counter_;
  return Status::Ok();
}

Status MemoryStorage::write(const WriteBatch& batch) {
  std::unique_lock lock(mu_);
  // Earlier erases are durable by now (this backend has no failing sync), unless this batch
  // is the kReset that undoes one: apply it first, then drop what is still erased.
  std::vector<GenerationKey> erased_before;
  erased_before.swap(erased_);
  for (const StreamChange& change : batch.changes) {
    switch (change.kind) {
      case StreamChange::Kind::kPut: ApplyPut(change); break;
      case StreamChange::Kind::kErase: ApplyErase(change); break;
      case StreamChange::Kind::kReset: ApplyReset(change); break;
    }
  }
  erased_before.swap(erased_);
  DropErasedRecords();
  erased_ = std::move(erased_before);
  generation_counter_ = batch.generation_counter;
  return Status::Ok();
}

Status MemoryStorage::sync() {
  std::unique_lock lock(mu_);
  DropErasedRecords();
  return Status::Ok();
}

void MemoryStorage::DropErasedRecords() {
  for (const GenerationKey& key : erased_) {
    auto meta = metas_.find(key.first);
    if (meta != metas_.end() && meta->second.generation == key.second) continue;  // reset
    records_.erase(key);
  }
  erased_.clear();
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
  GenerationKey key{change.meta.path, change.meta.generation};
  metas_.erase(change.meta.path);
  producers_.erase(key);
  erased_.push_back(std::move(key));
}

void MemoryStorage::ApplyReset(const StreamChange& change) {
  const StreamMeta& meta = change.meta;
  GenerationKey key{meta.path, meta.generation};
  metas_[meta.path] = meta;
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
