// StreamManager::Impl: reads through storage, fork chains and the recent-record cache; live waits.
#include "manager/stream_manager_impl.h"

#include <algorithm>

namespace streamkeeper {

ReadResult StreamManager::Impl::read(const std::string& path, std::optional<uint64_t> from,
                                     const ReadOptions& options, bool as_messages) {
  ReadResult result;
  EntryPtr entry = find(path);
  if (!entry) {
    result.status = Status::NotFound();
    return result;
  }
  std::shared_ptr<ReadView> view;
  bool closed = false;
  bool cached = false;  // served from the entry's recent records, not the storage
  uint64_t end = 0;     // the durable tail when the read started
  std::vector<Record> recent;
  {
    std::unique_lock lock(entry->mu);
    bool expired = false;
    if (Status s = usable_locked(*entry, &expired); !s.ok()) {
      lock.unlock();
      if (expired) expire(path, entry);
      result.status = s;
      return result;
    }
    entry->last_access_ms = now();
    end = entry->durable_tail;
    closed = entry->durable_closed;
    cached = entry->copy_recent(from.value_or(end), std::max<size_t>(options.max_bytes, 1),
                                &recent);
    if (!cached) view = view_locked(*entry, end);
    result.content_type = entry->meta.content_type;
    result.is_json = entry->is_json;
    result.generation = entry->meta.generation;
  }
  uint64_t position = from.value_or(end);
  if (position > end) {
    result.status = Status::BadRequest("offset is beyond the stream's tail");
    return result;
  }
  ReadUnits units;
  units.next = position;
  RecordReader reader(storage_.get(), entry->is_json);
  Status s = cached ? reader.take(recent, position, end, &units)
                    : reader.read(*view, position, std::max<size_t>(options.max_bytes, 1), &units);
  if (!s.ok()) {
    result.status = s;
    return result;
  }
  result.next = units.next;
  result.up_to_date = units.next >= end;
  result.closed = closed && result.up_to_date;
  if (!entry->is_json) {
    result.data = std::move(units.bytes);
  } else if (as_messages) {
    result.messages = std::move(units.messages);
  } else {
    size_t size = 2 + units.payload_bytes + units.messages.size();
    result.data.reserve(size);
    result.data.push_back('[');
    for (size_t i = 0; i < units.messages.size(); ++i) {
      if (i) result.data.push_back(',');
      result.data.append(units.messages[i]);
    }
    result.data.push_back(']');
  }
  return result;
}

uint64_t StreamManager::Impl::wait_async(const std::string& path, uint64_t from, WakeCallback wake) {
  EntryPtr entry = find(path);
  if (!entry) return 0;
  std::unique_lock lock(entry->mu);
  bool expired = false;
  if (Status s = usable_locked(*entry, &expired); !s.ok()) {
    lock.unlock();
    if (expired) expire(path, entry);
    return 0;
  }
  entry->last_access_ms = now();
  if (entry->durable_tail > from || entry->durable_closed || waits_closed_) return 0;
  uint64_t id = next_waiter_id_.fetch_add(1);
  entry->waiters.emplace(id, std::move(wake));
  return id;
}

bool StreamManager::Impl::cancel_wait(const std::string& path, uint64_t handle) {
  EntryPtr entry = find(path);
  if (!entry) return false;
  std::lock_guard lock(entry->mu);
  return entry->waiters.erase(handle) > 0;
}

}  // namespace streamkeeper
