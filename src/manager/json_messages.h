// JsonMessages: validation and one-level flattening of JSON append bodies, and the record value
// layout of JSON streams.
//
// A JSON stream stores one record per message. Each record value starts with a varint: the number
// of messages from this one to the end of its append batch. Fork sub-offsets are bounded by that
// batch, so the boundary must survive in storage.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "streamkeeper/status.h"

namespace streamkeeper {

// Validates `body` as one JSON text and splits it into messages, keeping each message's original
// text: a top-level array yields its elements (exactly one level), anything else yields itself.
// kBadRequest on invalid JSON; an empty array yields no messages and OK (callers decide).
Status SplitJsonMessages(std::string_view body, std::vector<std::string>* messages);

// Record value for a message with `remaining_in_batch` messages left in its batch (>= 1).
std::string EncodeJsonRecord(std::string_view message, uint64_t remaining_in_batch);

// Splits a stored JSON record value. Returns false when the value is corrupt.
bool DecodeJsonRecord(std::string_view value, std::string_view* message,
                      uint64_t* remaining_in_batch);

}  // namespace streamkeeper
