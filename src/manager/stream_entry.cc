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
  if (recent && !recent->records.empty() &&
      RecordEnd(durable.is_json, recent->records.back()) != records.front().position) {
    forget_recent();
  }
  if (!recent) recent = std::make_unique<RecentRecords>();
  for (Record& record : records) {
    recent->bytes += record.value.size();
    recent->records.push_back(std::move(record));
  }
  while (!recent->records.empty() && (recent->records.size() > RecentRecords::kMaxRecords ||
                                      recent->bytes > RecentRecords::kMaxBytes)) {
    recent->bytes -= recent->records.front().value.size();
    recent->records.pop_front();
  }
}

bool StreamEntry::copy_recent(uint64_t from, size_t max_bytes, std::vector<Record>* out) const {
  if (!recent || recent->records.empty()) return false;
  const std::deque<Record>& records = recent->records;
  if (from < records.front().position || from < durable.meta.fork_position ||
      RecordEnd(durable.is_json, records.back()) != durable.meta.tail) {
    return false;
  }
  size_t bytes = 0;
  for (const Record& record : records) {
    if (RecordEnd(durable.is_json, record) <= from) continue;
    out->push_back(record);
    bytes += record.value.size();
    if (bytes >= max_bytes) break;
  }
  return true;
}

void StreamEntry::roll_back() {
  exists = durable_exists;
  accepted = durable;
  ++accept_epoch;
}

void StreamEntry::set_all_durable(Incarnation incarnation) {
  exists = true;
  durable_exists = true;
  durable = incarnation;
  accepted = std::move(incarnation);
  last_access_ms = accepted.meta.last_access_ms;
  persisted_last_access_ms = accepted.meta.last_access_ms;
}

bool StreamEntry::expired_at(int64_t now_ms) const {
  std::optional<int64_t> expiry = ExpiryOf(accepted.meta, last_access_ms.load());
  return expiry && *expiry <= now_ms;
}

namespace {

size_t MetaBytes(const StreamMeta& meta) {
  // Heap parts only; the struct itself is counted in sizeof(StreamEntry).
  auto heap = [](const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; };
  size_t bytes = heap(meta.path) + heap(meta.content_type) + heap(meta.last_stream_seq) +
                 heap(meta.fork_parent);
  if (meta.closed_by) bytes += heap(meta.closed_by->producer_id);
  return bytes;
}

size_t ProducerBytes(const ProducerMap& producers) {
  // A std::map node: three pointers and a colour, the key and the value.
  constexpr size_t kNode = 32 + sizeof(std::string) + sizeof(ProducerState);
  size_t bytes = 0;
  for (const auto& [id, state] : producers) bytes += kNode + (id.size() > 15 ? id.size() + 1 : 0);
  return bytes;
}

}  // namespace

size_t StreamEntry::estimate_charge() const {
  // The cache's own per-entry cost: a hash-map node with the path as key, a ring node, the
  // shared_ptr control block.
  constexpr size_t kCacheOverhead = 64 + 24 + 16;
  size_t bytes = sizeof(StreamEntry) + kCacheOverhead + 2 * (path.size() + 1);
  if (exists) bytes += MetaBytes(accepted.meta) + ProducerBytes(accepted.producers);
  if (durable_exists) bytes += MetaBytes(durable.meta) + ProducerBytes(durable.producers);
  bytes += waiters.size() * 96;
  if (recent) bytes += sizeof(RecentRecords) + recent->bytes + recent->records.size() * 48;
  return bytes;
}

}  // namespace streamkeeper
