// Observe(): what the manager shows of one stream (status, type, tail, closed, every unit from 0);
// Differs(): how that differs from what a StreamModel state says it must be.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "stream_model.h"
#include "streamkeeper/stream_manager.h"

namespace streamkeeper::faults {

struct Observed {
  StatusCode code = StatusCode::kNotFound;
  bool json = false;
  uint64_t tail = 0;
  bool closed = false;
  std::string bytes;
  std::vector<std::string> messages;
};

inline Observed Observe(StreamManager& manager, const std::string& path) {
  Observed o;
  StreamInfo info;
  Status s = manager.get_metadata(path, &info);
  o.code = s.code();
  if (!s.ok()) return o;
  o.json = info.is_json;
  o.tail = info.tail;
  o.closed = info.closed;
  uint64_t from = 0;
  for (int page = 0; page < 10'000; ++page) {
    ReadResult r = o.json ? manager.read_messages(path, from) : manager.read(path, from);
    if (!r.status.ok()) {
      o.code = r.status.code();
      break;
    }
    if (o.json) {
      o.messages.insert(o.messages.end(), r.messages.begin(), r.messages.end());
    } else {
      o.bytes += r.data;
    }
    if (r.up_to_date || r.next <= from) break;
    from = r.next;
  }
  return o;
}

// Empty if `observed` is what `state` says `path` must look like at `now`.
inline std::string Differs(const std::string& path, const Observed& o, const StreamModel& state,
                           int64_t now, bool* expired_early) {
  *expired_early = false;
  auto it = state.streams.find(path);
  StatusCode want = StatusCode::kOk;
  if (it == state.streams.end()) {
    want = StatusCode::kNotFound;
  } else if (it->second.soft_deleted) {
    want = StatusCode::kGone;
  } else if (it->second.expired_at(now)) {
    want = StatusCode::kNotFound;
  }
  std::ostringstream out;
  if (want != o.code) {
    // A sliding TTL is persisted lazily: a recovered stream may have an older last access.
    const ModelStream* s = it == state.streams.end() ? nullptr : &it->second;
    if (want == StatusCode::kOk && o.code == StatusCode::kNotFound && s && s->ttl_seconds &&
        now >= s->created_ms + static_cast<int64_t>(*s->ttl_seconds) * 1000) {
      *expired_early = true;
      return "";
    }
    out << path << ": expected " << CodeName(want) << ", found " << CodeName(o.code);
    return out.str();
  }
  if (want != StatusCode::kOk) return "";
  const ModelStream& s = it->second;
  if (s.json != o.json)
    out << path << ": json " << o.json << " instead of " << s.json;
  else if (s.tail() != o.tail)
    out << path << ": tail " << o.tail << " instead of " << s.tail();
  else if (s.closed != o.closed)
    out << path << ": closed " << o.closed;
  else if (s.json && s.messages != o.messages)
    out << path << ": messages differ";
  else if (!s.json && s.bytes != o.bytes) {
    out << path << ": bytes differ (" << o.bytes.size() << " vs " << s.bytes.size() << ")";
  }
  return out.str();
}

}  // namespace streamkeeper::faults
