#include "record_scan.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "manager/content_type.h"
#include "manager/json_messages.h"
#include "manager/record_units.h"

namespace ds_admin {

using streamkeeper::Record;
using streamkeeper::Status;
using streamkeeper::StreamMeta;

namespace {
constexpr size_t kPageBytes = 4 << 20;
}  // namespace

bool IsJsonStream(const StreamMeta& meta) {
  return streamkeeper::IsJsonContentType(meta.content_type);
}

std::optional<std::string_view> RecordPayload(bool is_json, const Record& record) {
  if (!is_json) return std::string_view(record.value);
  std::string_view message;
  uint64_t remaining = 0;
  if (!streamkeeper::DecodeJsonRecord(record.value, &message, &remaining)) return std::nullopt;
  return message;
}

Status ScanRecords(streamkeeper::Storage& storage, const StreamMeta& meta,
                   const std::function<void(const Record&)>& visit) {
  const bool is_json = IsJsonStream(meta);
  const uint64_t end = std::numeric_limits<uint64_t>::max();  // past the tail too
  uint64_t from = 0;
  std::optional<uint64_t> last_seen;
  std::vector<Record> page;
  for (;;) {
    page.clear();
    Status s = storage.read_records(meta.path, meta.generation, from, end, kPageBytes, &page);
    if (!s.ok()) return s;
    // A page starts with the record containing `from`, which the previous page may have ended
    // with: skip what was already visited.
    const Record* last = nullptr;
    for (const Record& record : page) {
      if (last_seen && record.position <= *last_seen) continue;
      visit(record);
      last_seen = record.position;
      last = &record;
    }
    if (!last) return Status::Ok();
    from = last->position + std::max<uint64_t>(streamkeeper::RecordUnits(is_json, *last), 1);
    if (from < last->position) return Status::Ok();  // wrapped: nothing can lie beyond
  }
}

}  // namespace ds_admin
