// MetaCodec: the versioned binary encoding of StreamMeta and ProducerState values.
//
// Each value starts with a version byte (kMetaCodecVersion), followed by its fields in a fixed
// order: unsigned integers as LEB128 varints, signed times as fixed64 little-endian (two's
// complement), strings as a varint length then bytes, and the booleans and optional-presence bits
// of a StreamMeta packed into one varint of flags. The layout is spelled out in README.md.
// A decoder accepts only versions it knows and exactly-consumed input, so a corrupt or newer
// value is reported instead of silently misread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "streamkeeper/stream_state.h"

namespace streamkeeper {

inline constexpr uint8_t kMetaCodecVersion = 1;

std::string EncodeStreamMeta(const StreamMeta& meta);
// Returns false (leaving *out unspecified) when `bytes` is not a valid encoding.
bool DecodeStreamMeta(std::string_view bytes, StreamMeta* out);

std::string EncodeProducerState(const ProducerState& state);
// Returns false (leaving *out unspecified) when `bytes` is not a valid encoding.
bool DecodeProducerState(std::string_view bytes, ProducerState* out);

}  // namespace streamkeeper
