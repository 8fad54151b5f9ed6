// StoreCheck: every check of `ds-admin verify`, for verify and for `restore`, which runs them on
// the directory it has just unpacked.
//
// Damage first (storage_rocksdb/README.md, "Damaged data directories"): the directory is opened
// as an Inspection (a stopped one read-only, so nothing is repaired behind the operator's back:
// a torn WAL tail the server's next start would drop is reported, not dropped). RocksDB's
// corruption warnings while opening, and any table block whose checksum does not match (every
// block of every table is read: O(data), which the server never does) are each a problem, and
// so is a stream whose records cannot be read. Then the invariants of stream_checks.h over the
// streams that loaded (every stream's meta in memory at once: the fork graph spans them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "streamkeeper/status.h"

namespace ds_admin {

struct StoreCheckResult {
  std::vector<std::string> problems;
  size_t streams = 0;   // streams checked
  uint64_t records = 0;  // their records
};

// Runs the checks on `dir`, adding what it finds to *result. Non-OK, with nothing checked,
// when the directory cannot be opened or its streams loaded (Inspection::Open's errors: a
// damaged one says " is damaged: ").
streamkeeper::Status CheckStore(const std::string& dir, StoreCheckResult* result);

}  // namespace ds_admin
