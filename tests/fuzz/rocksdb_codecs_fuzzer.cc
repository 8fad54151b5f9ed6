// Fuzz target: the RocksDB key and value codecs (storage_rocksdb/key_codec.h, meta_codec.h),
// which decode whatever the data directory holds, so a damaged or foreign value must be refused
// rather than misread or read out of bounds.
//
// Checks:
//   - arbitrary bytes as a data key, producer key, purge marker key, expiry key, fixed64,
//     StreamMeta or ProducerState value:
//     decoding does not crash, and whatever decodes re-encodes to a value that decodes to the
//     same thing (keys: to exactly the same bytes - their layout has one spelling);
//   - values built from the input (any path, any numbers, any options set): decode(encode(x))
//     == x, and keys keep their ordering promises.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "storage_rocksdb/key_codec.h"
#include "storage_rocksdb/meta_codec.h"
#include "streamkeeper/storage.h"

namespace {

using namespace streamkeeper;
namespace keys = streamkeeper::rocksdb_keys;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "rocksdb_codecs_fuzzer: %s\n", what);
  std::abort();
}

void DecodeArbitrary(std::string_view bytes) {
  if (auto parts = keys::ParseDataKey(bytes)) {
    if (keys::DataKey(parts->path, parts->generation, parts->position) != bytes) {
      Fail("a parsed data key re-encodes differently");
    }
  }
  if (auto parts = keys::ParseProducerKey(bytes)) {
    if (parts->path.empty() || parts->path.find('\0') != std::string_view::npos) {
      Fail("producer key parsed with an empty or NUL-holding path");
    }
    if (keys::ProducerKey(parts->path, parts->generation, parts->producer_id) != bytes) {
      Fail("a parsed producer key re-encodes differently");
    }
  }
  if (auto parts = keys::ParsePurgeMarkerKey(bytes)) {
    if (keys::PurgeMarkerKey(parts->path, parts->generation) != bytes) {
      Fail("a parsed purge marker key re-encodes differently");
    }
  }
  if (auto parts = keys::ParseExpiryKey(bytes)) {
    if (keys::ExpiryKey(parts->at_ms, parts->path, parts->generation) != bytes) {
      Fail("a parsed expiry key re-encodes differently");
    }
  }
  if (auto value = keys::DecodeFixed64(bytes)) {
    if (keys::EncodeFixed64(*value) != bytes) Fail("fixed64 re-encodes differently");
  }
  StreamMeta meta;
  if (DecodeStreamMeta(bytes, &meta)) {
    StreamMeta again;
    if (!DecodeStreamMeta(EncodeStreamMeta(meta), &again) || !(again == meta)) {
      Fail("a decoded StreamMeta does not survive encode+decode");
    }
  }
  ProducerState state;
  if (DecodeProducerState(bytes, &state)) {
    ProducerState again;
    if (!DecodeProducerState(EncodeProducerState(state), &again) || !(again == state)) {
      Fail("a decoded ProducerState does not survive encode+decode");
    }
  }
}

// A stream path as the protocol allows: non-empty, no NUL.
std::string TakePath(FuzzedDataProvider& in) {
  std::string path = in.ConsumeRandomLengthString(64);
  for (char& c : path) {
    if (c == '\0') c = '/';
  }
  if (path.empty()) path = "/";
  return path;
}

void RoundTrip(FuzzedDataProvider& in) {
  std::string path = TakePath(in);
  uint64_t generation = in.ConsumeIntegralInRange<uint64_t>(0, keys::kMaxKeyNumber);
  uint64_t position = in.ConsumeIntegralInRange<uint64_t>(0, keys::kMaxKeyNumber);
  std::string key = keys::DataKey(path, generation, position);
  auto parts = keys::ParseDataKey(key);
  if (!parts || parts->path != path || parts->generation != generation ||
      parts->position != position) {
    Fail("data key round trip");
  }
  if (!(keys::DataGenerationBegin(path, generation) <= key) ||
      !(key < keys::DataGenerationEnd(path, generation))) {
    Fail("data key outside its generation's range");
  }
  if (generation < keys::kMaxKeyNumber && !(keys::DataGenerationEnd(path, generation) <=
                                            keys::DataGenerationBegin(path, generation + 1))) {
    Fail("generation ranges overlap");
  }

  uint64_t producer_generation = in.ConsumeIntegral<uint64_t>();
  std::string producer_id = in.ConsumeRandomLengthString(32);
  std::string pkey = keys::ProducerKey(path, producer_generation, producer_id);
  auto pparts = keys::ParseProducerKey(pkey);
  if (!pparts || pparts->path != path || pparts->generation != producer_generation ||
      pparts->producer_id != producer_id) {
    Fail("producer key round trip");
  }
  if (!(keys::ProducerGenerationBegin(path, producer_generation) <= pkey) ||
      !(pkey < keys::ProducerGenerationEnd(path, producer_generation))) {
    Fail("producer key outside its generation's range");
  }

  std::string marker = keys::PurgeMarkerKey(path, producer_generation);
  auto mparts = keys::ParsePurgeMarkerKey(marker);
  if (!mparts || mparts->path != path || mparts->generation != producer_generation) {
    Fail("purge marker key round trip");
  }
  if (!marker.starts_with(keys::kPurgeMarkerPrefix) || !(marker < keys::kPurgeMarkerPrefixEnd)) {
    Fail("purge marker key outside the markers' range");
  }

  // Expiry keys: round trip, and ordered exactly as ExpiryEntry against a second entry.
  ExpiryEntry a{in.ConsumeIntegral<int64_t>(), path, in.ConsumeIntegral<uint64_t>()};
  ExpiryEntry b{in.ConsumeBool() ? a.at_ms : in.ConsumeIntegral<int64_t>(),
                in.ConsumeBool() ? path : TakePath(in), in.ConsumeIntegral<uint64_t>()};
  std::string ekey = keys::ExpiryKey(a.at_ms, a.path, a.generation);
  auto eparts = keys::ParseExpiryKey(ekey);
  if (!eparts || eparts->at_ms != a.at_ms || eparts->path != a.path ||
      eparts->generation != a.generation) {
    Fail("expiry key round trip");
  }
  if ((ekey < keys::ExpiryKey(b.at_ms, b.path, b.generation)) != (a < b)) {
    Fail("expiry keys and entries order differently");
  }
  if (!(keys::ExpiryTimeKey(a.at_ms) < ekey) ||
      (a.at_ms < INT64_MAX && !(ekey < keys::ExpiryTimeKey(a.at_ms + 1)))) {
    Fail("expiry key outside its time's range");
  }

  StreamMeta meta;
  meta.path = path;
  meta.generation = in.ConsumeIntegral<uint64_t>();
  meta.content_type = in.ConsumeRandomLengthString(32);
  meta.created_at_ms = in.ConsumeIntegral<int64_t>();
  if (in.ConsumeBool()) meta.ttl_seconds = in.ConsumeIntegral<uint64_t>();
  if (in.ConsumeBool()) meta.expires_at_ms = in.ConsumeIntegral<int64_t>();
  meta.last_access_ms = in.ConsumeIntegral<int64_t>();
  meta.closed = in.ConsumeBool();
  meta.tail = in.ConsumeIntegral<uint64_t>();
  meta.last_stream_seq = in.ConsumeRandomLengthString(32);
  if (in.ConsumeBool()) {
    meta.closed_by = ProducerTuple{in.ConsumeRandomLengthString(32), in.ConsumeIntegral<uint64_t>(),
                                   in.ConsumeIntegral<uint64_t>()};
  }
  meta.fork_parent = in.ConsumeRandomLengthString(32);
  meta.fork_parent_generation = in.ConsumeIntegral<uint64_t>();
  meta.fork_position = in.ConsumeIntegral<uint64_t>();
  meta.fork_anchor = in.ConsumeIntegral<uint64_t>();
  meta.fork_sub_offset = in.ConsumeIntegral<uint64_t>();
  meta.fork_refcount = in.ConsumeIntegral<uint64_t>();
  meta.soft_deleted = in.ConsumeBool();
  if (in.ConsumeBool()) meta.indexed_expiry_ms = in.ConsumeIntegral<int64_t>();
  std::string encoded = EncodeStreamMeta(meta);
  StreamMeta decoded;
  if (!DecodeStreamMeta(encoded, &decoded) || !(decoded == meta)) Fail("StreamMeta round trip");
  // A truncated or extended value is refused, not misread.
  if (DecodeStreamMeta(std::string_view(encoded).substr(0, encoded.size() - 1), &decoded)) {
    Fail("truncated StreamMeta accepted");
  }
  if (DecodeStreamMeta(encoded + '\0', &decoded)) Fail("StreamMeta with trailing bytes accepted");

  ProducerState state{in.ConsumeIntegral<uint64_t>(), in.ConsumeIntegral<uint64_t>()};
  ProducerState state_decoded;
  if (!DecodeProducerState(EncodeProducerState(state), &state_decoded) ||
      !(state_decoded == state)) {
    Fail("ProducerState round trip");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the mode, so one corpus serves both.
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    FuzzedDataProvider in(data + 1, size - 1);
    RoundTrip(in);
  } else {
    DecodeArbitrary(rest);
  }
  return 0;
}
