#include "flat_stream.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "manager/content_type.h"
#include "manager/json_messages.h"
#include "manager/record_units.h"
#include "streamkeeper/offset.h"

namespace ds_admin {

using streamkeeper::Record;
using streamkeeper::Status;
using streamkeeper::StreamMeta;

namespace {

constexpr size_t kPageBytes = 4 << 20;
// A chain longer than this is a loop in damaged metadata, not a real fork history.
constexpr size_t kMaxForkDepth = 10'000;

// One stream of the chain and the offsets [from, end) it shows.
struct Level {
  std::string path;
  uint64_t generation = 0;
  uint64_t from = 0;
  uint64_t end = 0;
};

Status ForkChain(streamkeeper::Storage& storage, const StreamMeta& meta, std::vector<Level>* out) {
  out->push_back({meta.path, meta.generation, meta.fork_position, meta.tail});
  StreamMeta child = meta;
  // What the stream shows of an ancestor ends at the lowest fork position below it: a fork of
  // a fork taken below the latter's own fork position sees nothing of the middle stream.
  uint64_t bound = meta.fork_position;
  while (!child.fork_parent.empty()) {
    if (out->size() > kMaxForkDepth) {
      return Status::IoError("stream " + meta.path + ": its fork chain loops");
    }
    std::optional<StreamMeta> parent;
    Status s = storage.load_meta(child.fork_parent, &parent);
    if (!s.ok()) return s;
    if (!parent || parent->generation != child.fork_parent_generation) {
      return Status::IoError("stream " + meta.path + ": fork source " + child.fork_parent +
                             " (generation " + std::to_string(child.fork_parent_generation) +
                             ") is missing; run ds-admin verify");
    }
    out->push_back({parent->path, parent->generation, parent->fork_position, bound});
    bound = std::min(bound, parent->fork_position);
    child = std::move(*parent);
  }
  std::reverse(out->begin(), out->end());  // oldest ancestor first
  return Status::Ok();
}

// Visits the units of one level, cut to [level.from, level.end); *next is where the next unit
// must start, checked and advanced.
Status ScanLevel(streamkeeper::Storage& storage, const Level& level, bool is_json,
                 const std::string& stream_path, uint64_t* next,
                 const std::function<Status(const ExportedRecord&)>& visit) {
  uint64_t from = level.from;
  std::vector<Record> page;
  while (from < level.end) {
    page.clear();
    Status s =
        storage.read_records(level.path, level.generation, from, level.end, kPageBytes, &page);
    if (!s.ok()) return s;
    if (page.empty()) break;
    for (Record& record : page) {
      uint64_t record_end = streamkeeper::RecordEnd(is_json, record);
      if (record_end <= from) continue;  // visited with the previous page
      ExportedRecord unit;
      uint64_t start = std::max(record.position, from);
      uint64_t stop = std::min(record_end, level.end);
      if (is_json) {
        std::string_view message;
        uint64_t remaining = 0;
        if (!streamkeeper::DecodeJsonRecord(record.value, &message, &remaining)) {
          return Status::IoError("stream " + level.path + ": corrupt JSON record at offset " +
                                 streamkeeper::FormatOffset(record.position));
        }
        unit.payload = std::string(message);
        unit.batch_remaining = std::min(remaining, level.end - record.position);
      } else {
        unit.payload = record.value.substr(start - record.position, stop - start);
      }
      unit.position = start;
      if (unit.position != *next) {
        return Status::IoError("stream " + stream_path + ": records " +
                               (unit.position > *next ? "leave a gap" : "overlap") + " at offset " +
                               streamkeeper::FormatOffset(*next) + " (in " + level.path +
                               "); run ds-admin verify");
      }
      *next = stop;
      if (Status v = visit(unit); !v.ok()) return v;
      from = stop;
    }
  }
  return Status::Ok();
}

}  // namespace

Status ScanFlatStream(streamkeeper::Storage& storage, const StreamMeta& meta,
                      const std::function<Status(const ExportedRecord&)>& visit) {
  std::vector<Level> chain;
  Status s = ForkChain(storage, meta, &chain);
  if (!s.ok()) return s;
  const bool is_json = streamkeeper::IsJsonContentType(meta.content_type);
  uint64_t next = 0;
  for (const Level& level : chain) {
    s = ScanLevel(storage, level, is_json, meta.path, &next, visit);
    if (!s.ok()) return s;
  }
  if (next != meta.tail) {
    return Status::IoError("stream " + meta.path + ": its records end at offset " +
                           streamkeeper::FormatOffset(next) + ", short of its tail " +
                           streamkeeper::FormatOffset(meta.tail) + "; run ds-admin verify");
  }
  return Status::Ok();
}

}  // namespace ds_admin
