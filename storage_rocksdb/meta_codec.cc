#include "storage_rocksdb/meta_codec.h"

namespace streamkeeper {
namespace {

// StreamMeta flag bits.
constexpr uint64_t kClosed = 1 << 0;
constexpr uint64_t kSoftDeleted = 1 << 1;
constexpr uint64_t kHasTtl = 1 << 2;
constexpr uint64_t kHasExpiresAt = 1 << 3;
constexpr uint64_t kHasClosedBy = 1 << 4;
constexpr uint64_t kHasIndexedExpiry = 1 << 5;  // format version 2
constexpr uint64_t kKnownFlags = (1 << 6) - 1;

class Writer {
 public:
  void Byte(uint8_t value) { out_.push_back(static_cast<char>(value)); }
  void Varint(uint64_t value) {
    while (value >= 0x80) {
      out_.push_back(static_cast<char>((value & 0x7f) | 0x80));
      value >>= 7;
    }
    out_.push_back(static_cast<char>(value));
  }
  void Signed(int64_t value) {
    uint64_t bits = static_cast<uint64_t>(value);
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  }
  void String(std::string_view value) {
    Varint(value.size());
    out_.append(value);
  }
  std::string Finish() { return std::move(out_); }

 private:
  std::string out_;
};

// Every read returns false once the input is exhausted or malformed.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  bool Byte(uint8_t* value) {
    if (in_.empty()) return false;
    *value = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }
  bool Varint(uint64_t* value) {
    uint64_t result = 0;
    for (int shift = 0; shift <= 63; shift += 7) {
      uint8_t byte;
      if (!Byte(&byte)) return false;
      result |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *value = result;
        return true;
      }
    }
    return false;  // longer than 10 bytes
  }
  bool Signed(int64_t* value) {
    if (in_.size() < 8) return false;
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) {
      bits |= static_cast<uint64_t>(static_cast<unsigned char>(in_[i])) << (8 * i);
    }
    in_.remove_prefix(8);
    *value = static_cast<int64_t>(bits);
    return true;
  }
  bool String(std::string* value) {
    uint64_t size;
    if (!Varint(&size) || size > in_.size()) return false;
    value->assign(in_.substr(0, size));
    in_.remove_prefix(size);
    return true;
  }
  bool Version() {
    uint8_t version;
    return Byte(&version) && version == kMetaCodecVersion;
  }
  bool Done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

}  // namespace

std::string EncodeStreamMeta(const StreamMeta& meta) {
  uint64_t flags = 0;
  if (meta.closed) flags |= kClosed;
  if (meta.soft_deleted) flags |= kSoftDeleted;
  if (meta.ttl_seconds) flags |= kHasTtl;
  if (meta.expires_at_ms) flags |= kHasExpiresAt;
  if (meta.closed_by) flags |= kHasClosedBy;
  if (meta.indexed_expiry_ms) flags |= kHasIndexedExpiry;

  Writer w;
  w.Byte(kMetaCodecVersion);
  w.Varint(flags);
  w.String(meta.path);
  w.Varint(meta.generation);
  w.String(meta.content_type);
  w.Signed(meta.created_at_ms);
  if (meta.ttl_seconds) w.Varint(*meta.ttl_seconds);
  if (meta.expires_at_ms) w.Signed(*meta.expires_at_ms);
  w.Signed(meta.last_access_ms);
  w.Varint(meta.tail);
  w.String(meta.last_stream_seq);
  if (meta.closed_by) {
    w.String(meta.closed_by->producer_id);
    w.Varint(meta.closed_by->epoch);
    w.Varint(meta.closed_by->seq);
  }
  w.String(meta.fork_parent);
  w.Varint(meta.fork_parent_generation);
  w.Varint(meta.fork_position);
  w.Varint(meta.fork_anchor);
  w.Varint(meta.fork_sub_offset);
  w.Varint(meta.fork_refcount);
  // Last, so that a meta without it is encoded exactly as format version 1 encoded it.
  if (meta.indexed_expiry_ms) w.Signed(*meta.indexed_expiry_ms);
  return w.Finish();
}

bool DecodeStreamMeta(std::string_view bytes, StreamMeta* out) {
  Reader r(bytes);
  uint64_t flags;
  if (!r.Version() || !r.Varint(&flags) || (flags & ~kKnownFlags) != 0) return false;
  StreamMeta meta;
  meta.closed = (flags & kClosed) != 0;
  meta.soft_deleted = (flags & kSoftDeleted) != 0;
  if (!r.String(&meta.path) || !r.Varint(&meta.generation) || !r.String(&meta.content_type) ||
      !r.Signed(&meta.created_at_ms)) {
    return false;
  }
  if (flags & kHasTtl) {
    uint64_t ttl;
    if (!r.Varint(&ttl)) return false;
    meta.ttl_seconds = ttl;
  }
  if (flags & kHasExpiresAt) {
    int64_t expires_at;
    if (!r.Signed(&expires_at)) return false;
    meta.expires_at_ms = expires_at;
  }
  if (!r.Signed(&meta.last_access_ms) || !r.Varint(&meta.tail) ||
      !r.String(&meta.last_stream_seq)) {
    return false;
  }
  if (flags & kHasClosedBy) {
    ProducerTuple tuple;
    if (!r.String(&tuple.producer_id) || !r.Varint(&tuple.epoch) || !r.Varint(&tuple.seq)) {
      return false;
    }
    meta.closed_by = std::move(tuple);
  }
  if (!r.String(&meta.fork_parent) || !r.Varint(&meta.fork_parent_generation) ||
      !r.Varint(&meta.fork_position) || !r.Varint(&meta.fork_anchor) ||
      !r.Varint(&meta.fork_sub_offset) || !r.Varint(&meta.fork_refcount)) {
    return false;
  }
  if (flags & kHasIndexedExpiry) {
    int64_t indexed_expiry;
    if (!r.Signed(&indexed_expiry)) return false;
    meta.indexed_expiry_ms = indexed_expiry;
  }
  if (!r.Done()) return false;
  *out = std::move(meta);
  return true;
}

std::string EncodeProducerState(const ProducerState& state) {
  Writer w;
  w.Byte(kMetaCodecVersion);
  w.Varint(state.epoch);
  w.Varint(state.last_seq);
  return w.Finish();
}

bool DecodeProducerState(std::string_view bytes, ProducerState* out) {
  Reader r(bytes);
  ProducerState state;
  if (!r.Version() || !r.Varint(&state.epoch) || !r.Varint(&state.last_seq) || !r.Done()) {
    return false;
  }
  *out = state;
  return true;
}

}  // namespace streamkeeper
