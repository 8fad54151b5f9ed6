#include "manager/record_reader.h"

#include <algorithm>

#include "manager/json_messages.h"

namespace streamkeeper {

Status RecordReader::read(const ReadView& view, uint64_t from, size_t max_bytes, ReadUnits* out) {
  out->next = from;
  return read_level(view, from, view.end, max_bytes, out);
}

Status RecordReader::read_level(const ReadView& view, uint64_t from, uint64_t end,
                                size_t max_bytes, ReadUnits* out) {
  if (view.parent && from < view.fork_position) {
    // Storage may stop before max_bytes of payload (it counts whole stored values), so the
    // parent's range is done only when the read reached its end.
    uint64_t parent_end = std::min(end, view.fork_position);
    Status s = read_level(*view.parent, from, parent_end, max_bytes, out);
    if (!s.ok() || out->payload_bytes >= max_bytes || out->next < parent_end) return s;
    from = parent_end;
  }
  if (from >= end) return Status::Ok();
  std::vector<Record> records;
  Status s = storage_->read_records(view.path, view.generation, from, end,
                                    max_bytes - out->payload_bytes, &records);
  if (!s.ok()) return s;
  return take(records, from, end, out);
}

Status RecordReader::take(std::vector<Record>& records, uint64_t from, uint64_t end,
                          ReadUnits* out) {
  for (Record& record : records) {
    if (is_json_) {
      std::string_view message;
      uint64_t remaining = 0;
      if (record.position < from || record.position >= end) continue;
      if (!DecodeJsonRecord(record.value, &message, &remaining)) {
        return Status::IoError("corrupt JSON record");
      }
      if (out->messages.empty()) {
        out->first_batch_remaining = remaining;
        out->first_level_end = end;
      }
      out->messages.emplace_back(message);
      out->payload_bytes += message.size();
      out->next = record.position + 1;
      continue;
    }
    uint64_t record_end = record.position + record.value.size();
    uint64_t cut_start = std::max(record.position, from);
    uint64_t cut_end = std::min(record_end, end);
    if (cut_start >= cut_end) continue;
    if (out->bytes.empty() && cut_start == record.position && cut_end == record_end) {
      out->bytes = std::move(record.value);  // a whole large record: no second copy
    } else {
      out->bytes.append(record.value, cut_start - record.position, cut_end - cut_start);
    }
    out->payload_bytes += cut_end - cut_start;
    out->next = cut_end;
  }
  return Status::Ok();
}

}  // namespace streamkeeper
