// StreamManager::Impl: reads through storage, fork chains and the recent-record cache; live waits.
#include <algorithm>

#include "manager/stream_manager_impl.h"

namespace streamkeeper {

std::shared_ptr<ReadView> StreamManager::Impl::view_locked(const StreamEntry& entry,
                                                           uint64_t end) const {
  auto view = std::make_shared<ReadView>();
  const StreamMeta& meta = entry.durable.meta;
  view->path = meta.path;
  view->generation = meta.generation;
  view->end = end;
  view->fork_position = meta.fork_position;
  if (entry.durable.parent) {
    // Below the fork position the parent's records never change, and a parent incarnation's
    // path, generation and fork fields never do either (it cannot be erased while this fork
    // reads through it): no lock needed for them.
    view->parent = view_locked(*entry.durable.parent, meta.fork_position);
  }
  return view;
}

ReadResult StreamManager::Impl::read(const std::string& path, std::optional<uint64_t> from,
                                     const ReadOptions& options, bool as_messages) {
  ReadResult result;
  std::shared_ptr<ReadView> view;
  bool closed = false;
  bool cached = false;  // served from the entry's recent records, not the storage
  bool is_json = false;
  uint64_t end = 0;     // the durable tail when the read started
  std::vector<Record> recent;
  {
    LockedEntry locked;
    if (Status s = lock_usable(path, &locked); !s.ok()) {
      result.status = s;
      return result;
    }
    const StreamEntry& entry = *locked.entry;
    const StreamMeta& durable = entry.durable.meta;
    end = durable.tail;
    closed = durable.closed;
    is_json = entry.durable.is_json;
    cached = entry.copy_recent(from.value_or(end), std::max<size_t>(options.max_bytes, 1),
                               &recent);
    if (!cached) view = view_locked(entry, end);
    result.content_type = durable.content_type;
    result.is_json = is_json;
    result.generation = durable.generation;
  }
  uint64_t position = from.value_or(end);
  if (position > end) {
    result.status = Status::BadRequest("offset is beyond the stream's tail");
    return result;
  }
  ReadUnits units;
  units.next = position;
  RecordReader reader(storage_.get(), is_json);
  Status s = cached ? reader.take(recent, position, end, &units)
                    : reader.read(*view, position, std::max<size_t>(options.max_bytes, 1), &units);
  if (!s.ok()) {
    result.status = s;
    return result;
  }
  result.next = units.next;
  result.up_to_date = units.next >= end;
  result.closed = closed && result.up_to_date;
  if (!is_json) {
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

uint64_t StreamManager::Impl::wait_async(const std::string& path, uint64_t from,
                                         WakeCallback wake) {
  LockedEntry locked;
  if (!lock_usable(path, &locked).ok()) return 0;
  StreamEntry& entry = *locked.entry;
  if (entry.durable.meta.tail > from || entry.durable.meta.closed || waits_closed_) return 0;
  uint64_t id = next_waiter_id_.fetch_add(1);
  entry.waiters.emplace(id, std::move(wake));
  return id;
}

bool StreamManager::Impl::cancel_wait(const std::string& path, uint64_t handle) {
  // A parked waiter pins its entry in the cache: not in memory means not parked.
  EntryPtr entry = cache_.find(path);
  if (!entry) return false;
  std::lock_guard lock(entry->mu);
  return entry->waiters.erase(handle) > 0;
}

}  // namespace streamkeeper
