// Tail recovery for loaded streams.
//
// Plain appends are written without rewriting the stream's meta (StreamChange::write_meta), so
// a loaded meta's tail may trail its records. The true tail is the end of the last record: its
// position plus its units (bytes, or one JSON message). Everything that loads a Storage directly
// (the StreamManager, ds-admin) must apply this before trusting meta.tail.
#pragma once

#include "streamkeeper/storage.h"

namespace streamkeeper {

// Moves stream->meta.tail up to the end of stream->last_record, if that lies beyond it.
void RecoverTail(LoadedStream* stream);

}  // namespace streamkeeper
