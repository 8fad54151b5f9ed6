// RecordScan: walking the records a stream stores itself (not its fork parent's), straight from
// the Storage, a page at a time, with the unit rules of the StreamManager.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "streamkeeper/status.h"
#include "streamkeeper/storage.h"
#include "streamkeeper/stream_state.h"

namespace ds_admin {

// True when the stream stores one record per JSON message (media type application/json).
bool IsJsonStream(const streamkeeper::StreamMeta& meta);

// The payload of a record: the message of a JSON record (nullopt when the value is corrupt), the
// value itself otherwise. The view aliases record.value.
std::optional<std::string_view> RecordPayload(bool is_json, const streamkeeper::Record& record);

// Calls `visit` for every record of (meta.path, meta.generation) in position order, whatever
// their positions (gaps and overlaps included), so that verify can judge them.
// Returns the first storage error.
streamkeeper::Status ScanRecords(streamkeeper::Storage& storage,
                                 const streamkeeper::StreamMeta& meta,
                                 const std::function<void(const streamkeeper::Record&)>& visit);

}  // namespace ds_admin
