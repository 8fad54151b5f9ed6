// How many positions a stored record covers: one per byte for byte streams, one per record
// (a single message) for JSON streams. The one place that rule lives; the manager, tail
// recovery and ds-admin all use it.
#pragma once

#include <cstdint>

#include "streamkeeper/storage.h"

namespace streamkeeper {

inline uint64_t RecordUnits(bool is_json, const Record& record) {
  return is_json ? 1 : record.value.size();
}

// The position just after `record`.
inline uint64_t RecordEnd(bool is_json, const Record& record) {
  return record.position + RecordUnits(is_json, record);
}

}  // namespace streamkeeper
