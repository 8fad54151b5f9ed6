// RecordReader: reads a stream's units through its chain of fork ancestors.
//
// A fork shares its source's offset space: positions below its fork position are the source's
// (itself perhaps a fork), the rest are its own. The reader walks a ReadView chain, asks the
// storage for each level's records, and cuts byte records at the view's bounds (a sub-offset can
// end a fork inside a source record; `from` can start inside one).
#pragma once

#include <string>
#include <vector>

#include "manager/stream_entry.h"
#include "streamkeeper/storage.h"

namespace streamkeeper {

struct ReadUnits {
  std::string bytes;                  // byte streams
  std::vector<std::string> messages;  // JSON streams
  uint64_t next = 0;                  // position after the last unit returned
  size_t payload_bytes = 0;
  // JSON only: messages left in the append batch of the first message read (fork sub-offsets).
  uint64_t first_batch_remaining = 0;
  uint64_t first_level_end = 0;  // the view bound that applied to the first unit read
};

class RecordReader {
 public:
  RecordReader(Storage* storage, bool is_json) : storage_(storage), is_json_(is_json) {}

  // Reads units at positions [from, view.end), stopping once max_bytes of payload are read
  // (always at least one unit when there is one).
  Status read(const ReadView& view, uint64_t from, size_t max_bytes, ReadUnits* out);

  // Adds to *out the units of `records` (in position order) within [from, end), cutting byte
  // records at those bounds; may move values out of `records`. Also used for records that come
  // from somewhere other than the storage.
  Status take(std::vector<Record>& records, uint64_t from, uint64_t end, ReadUnits* out);

 private:
  Status read_level(const ReadView& view, uint64_t from, uint64_t end, size_t max_bytes,
                    ReadUnits* out);
  Storage* storage_;
  bool is_json_;
};

}  // namespace streamkeeper
