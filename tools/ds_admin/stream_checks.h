// StreamChecks: the invariants `verify` checks, as pure functions over loaded state and records.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "streamkeeper/storage.h"
#include "streamkeeper/stream_state.h"

namespace ds_admin {

// True when the stream's TTL or Expires-At has passed at now_ms (the StreamManager's rule).
bool IsExpired(const streamkeeper::StreamMeta& meta, int64_t now_ms);

// Checks one stream's own records, fed in position order: the first starts at 0 (a fork's at
// its fork position), each starts where the previous ended (byte streams) or one after it (JSON),
// none is empty or undecodable, and the last ends at the tail.
class RecordContinuityCheck {
 public:
  explicit RecordContinuityCheck(const streamkeeper::StreamMeta& meta);

  void Add(const streamkeeper::Record& record);
  // Runs the end-of-stream check; returns every problem, each prefixed with the stream's path.
  std::vector<std::string> Finish();

  uint64_t records() const { return records_; }

 private:
  void Problem(std::string message);

  const streamkeeper::StreamMeta& meta_;
  bool is_json_;
  uint64_t expected_;  // where the next record must start
  uint64_t records_ = 0;
  size_t suppressed_ = 0;
  std::vector<std::string> problems_;
};

// Checks fork links across all streams: each fork's parent is stored with the recorded
// generation and the fork position is within the parent's tail; each stream's refcount equals
// the stored forks referencing it; a soft-deleted stream is still referenced.
std::vector<std::string> CheckForkGraph(const std::vector<streamkeeper::LoadedStream>& streams);

}  // namespace ds_admin
