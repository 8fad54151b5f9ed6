// FlatStream: a stream's records as its readers see them, fork ancestors included, straight from
// the Storage, for `ds-admin export`.
//
// A fork shares its source's offset space: below its fork position it shows its source's units
// (the source itself perhaps a fork), above it its own records. Walking the chain from the
// oldest ancestor down gives one plain stream holding the same units at the same offsets: the
// fork flattened. A byte record that straddles a fork position is cut there; a JSON record's
// batch run is cut there too (no batch crosses into data the fork does not show), as
// RecordReader bounds fork sub-offsets.
#pragma once

#include <cstdint>
#include <functional>

#include "export_format.h"
#include "streamkeeper/status.h"
#include "streamkeeper/storage.h"
#include "streamkeeper/stream_state.h"

namespace ds_admin {

// Calls `visit` for every unit-carrying record of `meta` (a stream as load_stream() returned
// it, tail recovered) in offset order, from offset 0 to meta.tail, payloads decoded (a JSON
// record's message and its batch_remaining). Stops at, and returns, the first non-OK status of
// `visit`. kIoError naming the stream when a fork ancestor is missing (or of another
// generation), a JSON record is corrupt, or the records leave a gap or overlap (the store is
// damaged: `ds-admin verify` says more). Memory: one page of records (a few MiB).
streamkeeper::Status ScanFlatStream(
    streamkeeper::Storage& storage, const streamkeeper::StreamMeta& meta,
    const std::function<streamkeeper::Status(const ExportedRecord&)>& visit);

}  // namespace ds_admin
