// The persisted state of one stream and of its idempotent producers.
//
// These plain structs are what a Storage backend stores and returns; the StreamManager owns all
// rules about how they change. Times are milliseconds since the Unix epoch.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>

namespace streamkeeper {

// The (id, epoch, seq) of the producer append that closed a stream, kept so a retry of exactly
// that request is acknowledged as a duplicate instead of rejected as "closed".
struct ProducerTuple {
  std::string producer_id;
  uint64_t epoch = 0;
  uint64_t seq = 0;
  bool operator==(const ProducerTuple&) const = default;
};

struct ProducerState {
  uint64_t epoch = 0;
  uint64_t last_seq = 0;
  bool operator==(const ProducerState&) const = default;
};

struct StreamMeta {
  std::string path;         // the stream's name (URL path); unique among live streams
  uint64_t generation = 0;  // unique per incarnation: delete-then-recreate never sees old data
  std::string content_type;  // as given at creation (normalised for comparisons elsewhere)
  int64_t created_at_ms = 0;
  std::optional<uint64_t> ttl_seconds;    // sliding: expires at last_access + ttl
  std::optional<int64_t> expires_at_ms;   // absolute; never moves
  int64_t last_access_ms = 0;
  bool closed = false;
  uint64_t tail = 0;              // position after the last stored unit
  std::string last_stream_seq;    // last accepted Stream-Seq; empty when none
  std::optional<ProducerTuple> closed_by;

  // Fork: the stream sees its parent's units below fork_position, then its own.
  std::string fork_parent;              // empty when not a fork
  uint64_t fork_parent_generation = 0;
  uint64_t fork_position = 0;           // anchor + sub-offset
  uint64_t fork_anchor = 0;             // the Stream-Fork-Offset position as requested
  uint64_t fork_sub_offset = 0;
  uint64_t fork_refcount = 0;           // forks that read through this stream
  bool soft_deleted = false;            // deleted while forks still reference it

  // The expiry index entry this incarnation is filed under (Storage: ExpiryEntry), if any. It
  // lies at or before the stream's true expiry: a sliding TTL moves on with every access, and
  // the entry is moved after it only lazily (the StreamManager's sweeper finishes the job).
  std::optional<int64_t> indexed_expiry_ms;

  bool operator==(const StreamMeta&) const = default;
};

// `from_ms` plus a TTL, saturating at the largest time: a Stream-TTL may be any 64-bit count of
// seconds, and one past 292 million years means "not in this era", never an overflow.
inline int64_t TtlDeadlineMs(int64_t from_ms, uint64_t ttl_seconds) {
  constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
  if (ttl_seconds > static_cast<uint64_t>(kNever / 1000)) return kNever;
  int64_t ttl_ms = static_cast<int64_t>(ttl_seconds) * 1000;
  return from_ms > kNever - ttl_ms ? kNever : from_ms + ttl_ms;
}

// When `meta` expires if it was last accessed at `last_access_ms`: Expires-At, or the last
// access plus the TTL (a stream has at most one of them). nullopt when it never expires.
inline std::optional<int64_t> ExpiryOf(const StreamMeta& meta, int64_t last_access_ms) {
  if (meta.expires_at_ms) return meta.expires_at_ms;
  if (meta.ttl_seconds) return TtlDeadlineMs(last_access_ms, *meta.ttl_seconds);
  return std::nullopt;
}

// When `meta` expires by what it says itself. (The StreamManager also knows of accesses not
// yet persisted.)
inline std::optional<int64_t> ExpiryOf(const StreamMeta& meta) {
  return ExpiryOf(meta, meta.last_access_ms);
}

using ProducerMap = std::map<std::string, ProducerState>;

}  // namespace streamkeeper
