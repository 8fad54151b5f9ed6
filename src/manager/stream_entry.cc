#include "manager/stream_entry.h"

#include "manager/record_units.h"

namespace streamkeeper {

std::vector<WakeCallback> StreamEntry::take_waiters() {
  std::vector<WakeCallback> out;
  out.reserve(waiters.size());
  for (auto& [id, wake] : waiters) out.push_back(std::move(wake));
  waiters.clear();
  return out;
}

void StreamEntry::remember_recent(std::vector<Record> records) {
  if (records.empty()) return;
  if (!recent.empty() && RecordEnd(is_json, recent.back()) != records.front().position) {
    forget_recent();
  }
  for (Record& record : records) {
    recent_bytes += record.value.size();
    recent.push_back(std::move(record));
  }
  while (!recent.empty() &&
         (recent.size() > kRecentMaxRecords || recent_bytes > kRecentMaxBytes)) {
    recent_bytes -= recent.front().value.size();
    recent.pop_front();
  }
}

void StreamEntry::forget_recent() {
  recent.clear();
  recent_bytes = 0;
}

bool StreamEntry::copy_recent(uint64_t from, size_t max_bytes, std::vector<Record>* out) const {
  if (recent.empty() || from < recent.front().position || from < meta.fork_position ||
      RecordEnd(is_json, recent.back()) != durable_tail) {
    return false;
  }
  size_t bytes = 0;
  for (const Record& record : recent) {
    if (RecordEnd(is_json, record) <= from) continue;
    out->push_back(record);
    bytes += record.value.size();
    if (bytes >= max_bytes) break;
  }
  return true;
}

void StreamEntry::roll_back() {
  meta.tail = durable_tail;
  meta.closed = durable_closed;
  meta.closed_by = durable_closed_by;
  meta.last_stream_seq = durable_last_stream_seq;
  meta.fork_refcount = durable_fork_refcount;
  meta.soft_deleted = durable_soft_deleted;
  producers = durable_producers;
  ++accept_epoch;
}

void StreamEntry::mark_all_durable() {
  durable = true;
  durable_tail = meta.tail;
  durable_closed = meta.closed;
  durable_closed_by = meta.closed_by;
  durable_last_stream_seq = meta.last_stream_seq;
  durable_fork_refcount = meta.fork_refcount;
  durable_soft_deleted = meta.soft_deleted;
  durable_producers = producers;
}

bool StreamEntry::expired_at(int64_t now_ms) const {
  if (meta.expires_at_ms && *meta.expires_at_ms <= now_ms) return true;
  if (meta.ttl_seconds) {
    int64_t deadline = last_access_ms.load() + static_cast<int64_t>(*meta.ttl_seconds) * 1000;
    if (deadline <= now_ms) return true;
  }
  return false;
}

}  // namespace streamkeeper
