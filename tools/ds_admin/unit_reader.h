// ReadUnits: a stream's units (JSON messages, or append records of other streams) read through
// a StreamManager, so that a fork includes its parent's data exactly as clients see it, and
// handed one by one to a RecordOutput. Shared by `read` and by `tail` on a data directory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "record_output.h"
#include "streamkeeper/status.h"
#include "streamkeeper/stream_manager.h"

namespace ds_admin {

struct UnitLimits {
  size_t units = SIZE_MAX;          // stop after this many units (--limit)
  size_t payload_bytes = SIZE_MAX;  // stop after the unit that reaches this many (--max-bytes)
};

struct UnitReadEnd {
  streamkeeper::Status status;  // the manager's: kNotFound, kGone, kBadRequest (past the tail)
  uint64_t next = 0;            // the position after the last unit given
  bool up_to_date = false;      // everything up to the tail was given
  bool closed = false;          // ... and the stream is closed
  size_t units = 0;
};

// Reads `path` (described by `info`, from get_metadata) from position `from` until its tail or
// a limit. `records`: a byte stream's append records must reach `output` one by one (every
// format but raw); each is then read on its own (a read stops after the record that reaches
// max_bytes, so max_bytes 1 returns exactly one, cut at `from` and at a fork's end). Otherwise
// a byte stream is read in 1 MiB chunks, each given as one unit.
UnitReadEnd ReadUnits(streamkeeper::StreamManager& manager, const std::string& path,
                      const streamkeeper::StreamInfo& info, uint64_t from, bool records,
                      UnitLimits limits, RecordOutput& output);

}  // namespace ds_admin
