// StreamModel: what the StreamManager's accepted state should be after a sequence of operations,
// computed from the protocol rules alone (no storage, no threads), for the fault tests.
//
// Apply() takes one operation, changes the model as the manager must, and returns the result the
// manager must give. The fault tests snapshot the model after every operation: after a power cut
// the recovered state has to equal one of those snapshots (a prefix of the history), at or after
// the last acknowledged operation.
//
// Rules modelled (src/manager/ is the reference): create (new, fork with inherited content type,
// soft-deleted paths answer kGone), append (producer fencing and de-duplication before closed,
// producer sequencing, content type and Stream-Seq only for data, close), delete (soft while forks
// reference the stream; the last fork of a soft-deleted source removes it), expiry by TTL (slid
// by every write that reaches an open stream, and by reads) and by Expires-At.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "streamkeeper/status.h"
#include "streamkeeper/stream_manager.h"

namespace streamkeeper::faults {

struct ModelStream {
  bool json = false;
  std::string bytes;                  // byte streams: every byte from position 0 (forks included)
  std::vector<std::string> messages;  // JSON streams: every message from position 0
  bool closed = false;
  std::string last_seq;
  std::map<std::string, std::pair<uint64_t, uint64_t>> producers;  // id -> (epoch, last seq)
  std::optional<uint64_t> ttl_seconds;
  std::optional<int64_t> expires_at_ms;
  int64_t created_ms = 0;
  int64_t last_access_ms = 0;
  std::string parent;  // fork source path, or empty
  int forks = 0;       // live forks referencing this stream
  bool soft_deleted = false;

  uint64_t tail() const { return json ? messages.size() : bytes.size(); }
  bool expired_at(int64_t now) const {
    if (expires_at_ms && *expires_at_ms <= now) return true;
    return ttl_seconds && last_access_ms + static_cast<int64_t>(*ttl_seconds) * 1000 <= now;
  }
  bool has_expiry() const { return ttl_seconds || expires_at_ms; }
};

struct ModelOp {
  enum Kind { kCreate, kFork, kAppend, kDelete, kSweep } kind = kAppend;
  std::string path;
  CreateOptions create;               // kCreate, kFork
  std::string data;                   // kAppend
  AppendOptions append;               // kAppend
  std::vector<std::string> messages;  // kAppend/kCreate on JSON: what `data` flattens to
  int64_t now_ms = 0;                 // the clock when the op runs

  std::string describe() const;
};

struct ModelResult {
  StatusCode code = StatusCode::kOk;
  uint64_t tail = 0;  // when code is kOk and not duplicate (appends)
  bool duplicate = false;
  bool created = false;  // creates
  size_t swept = 0;      // sweeps
};

inline const char* CodeName(StatusCode code) {
  static const char* const kNames[] = {"kOk",          "kNotFound",        "kGone",
                                       "kBadRequest",  "kConfigMismatch",  "kContentTypeMismatch",
                                       "kSeqConflict", "kClosed",          "kProducerSeqGap",
                                       "kStaleEpoch",  "kPayloadTooLarge", "kIoError",
                                       "kNoSpace",     "kUnavailable"};
  auto i = static_cast<size_t>(code);
  return i < std::size(kNames) ? kNames[i] : "?";
}

class StreamModel {
 public:
  std::map<std::string, ModelStream> streams;  // absent: not found

  // Whether `path` can be appended to (exists, not soft-deleted, not expired) at `now`.
  bool live(const std::string& path, int64_t now) const {
    auto it = streams.find(path);
    return it != streams.end() && !it->second.soft_deleted && !it->second.expired_at(now);
  }

  // Expires `path` if its time is up (what any access does). True if it went away.
  bool expire_if_due(const std::string& path, int64_t now) {
    auto it = streams.find(path);
    if (it == streams.end() || it->second.soft_deleted || !it->second.expired_at(now)) {
      return false;
    }
    remove(path);
    return true;
  }

  size_t expire_all(int64_t now) {
    std::vector<std::string> due;
    for (auto& [path, s] : streams) {
      if (!s.soft_deleted && s.expired_at(now)) due.push_back(path);
    }
    for (auto& path : due) {
      if (streams.count(path)) remove(path);
    }
    return due.size();
  }

  // Delete (or expiry) of a stream found usable: soft while forks reference it.
  void remove(const std::string& path) {
    ModelStream& s = streams.at(path);
    if (s.forks > 0) {
      s.soft_deleted = true;
      return;
    }
    std::string parent = s.parent;
    streams.erase(path);
    while (!parent.empty()) {
      auto it = streams.find(parent);
      if (it == streams.end()) break;
      ModelStream& p = it->second;
      if (p.forks > 0) --p.forks;
      if (!p.soft_deleted || p.forks > 0) break;
      std::string next = p.parent;
      streams.erase(it);
      parent = next;
    }
  }

  ModelResult apply(const ModelOp& op) {
    switch (op.kind) {
      case ModelOp::kCreate:
        return create(op);
      case ModelOp::kFork:
        return fork(op);
      case ModelOp::kAppend:
        return append(op);
      case ModelOp::kDelete:
        return del(op);
      case ModelOp::kSweep: {
        ModelResult r;
        r.swept = expire_all(op.now_ms);
        return r;
      }
    }
    return {};
  }

 private:
  static ModelResult Code(StatusCode code) {
    ModelResult r;
    r.code = code;
    return r;
  }

  // The common part of create and fork: an existing entry at `path`. Returns true and sets *out
  // when that decides the result.
  bool existing(const ModelOp& op, ModelResult* out) {
    auto it = streams.find(op.path);
    if (it == streams.end()) return false;
    if (it->second.soft_deleted) {
      *out = Code(StatusCode::kGone);
      return true;
    }
    if (!it->second.expired_at(op.now_ms)) {
      // The generator creates only on free paths; an existing live one is a model bug.
      *out = Code(StatusCode::kConfigMismatch);
      return true;
    }
    bool soft = it->second.forks > 0;
    remove(op.path);
    if (soft) {
      *out = Code(StatusCode::kGone);
      return true;
    }
    return false;
  }

  ModelResult create(const ModelOp& op) {
    ModelResult r;
    if (existing(op, &r)) return r;
    ModelStream s;
    s.json = op.create.content_type == "application/json";
    if (s.json) {
      s.messages = op.messages;
    } else {
      s.bytes = op.create.initial_data;
    }
    s.closed = op.create.closed;
    s.ttl_seconds = op.create.ttl_seconds;
    s.expires_at_ms = op.create.expires_at_ms;
    s.created_ms = s.last_access_ms = op.now_ms;
    streams[op.path] = std::move(s);
    r.created = true;
    return r;
  }

  ModelResult fork(const ModelOp& op) {
    ModelResult r;
    if (existing(op, &r)) return r;
    const std::string& from = op.create.fork_from;
    auto it = streams.find(from);
    if (it == streams.end()) return Code(StatusCode::kNotFound);
    if (it->second.soft_deleted) return Code(StatusCode::kGone);
    if (it->second.expired_at(op.now_ms)) {
      bool soft = it->second.forks > 0;
      remove(from);
      return Code(soft ? StatusCode::kGone : StatusCode::kNotFound);
    }
    ModelStream& src = it->second;
    uint64_t anchor = op.create.fork_offset.value_or(src.tail());
    if (anchor > src.tail()) return Code(StatusCode::kBadRequest);
    ModelStream s;
    s.json = src.json;
    if (s.json) {
      s.messages.assign(src.messages.begin(), src.messages.begin() + anchor);
    } else {
      s.bytes = src.bytes.substr(0, anchor);
    }
    s.ttl_seconds = src.ttl_seconds;
    s.expires_at_ms = src.expires_at_ms;
    s.created_ms = s.last_access_ms = op.now_ms;
    s.parent = from;
    ++src.forks;
    streams[op.path] = std::move(s);
    r.created = true;
    return r;
  }

  ModelResult append(const ModelOp& op) {
    auto it = streams.find(op.path);
    if (it == streams.end()) return Code(StatusCode::kNotFound);
    if (op.data.empty() && !op.append.close) return Code(StatusCode::kBadRequest);
    ModelStream& s = it->second;
    if (s.soft_deleted) return Code(StatusCode::kGone);
    if (s.expired_at(op.now_ms)) {
      remove(op.path);
      return Code(StatusCode::kNotFound);
    }
    s.last_access_ms = op.now_ms;
    const AppendOptions& a = op.append;
    if (a.producer) {
      auto p = s.producers.find(a.producer->id);
      bool known = p != s.producers.end();
      if (known) {
        auto [epoch, last] = p->second;
        if (a.producer->epoch < epoch) return Code(StatusCode::kStaleEpoch);
        if (a.producer->epoch == epoch && a.producer->seq <= last) {
          ModelResult r;
          r.duplicate = true;
          return r;
        }
      }
      if (s.closed) return Code(StatusCode::kClosed);
      if (!known || a.producer->epoch > p->second.first) {
        if (a.producer->seq != 0) {
          return Code(known ? StatusCode::kBadRequest : StatusCode::kProducerSeqGap);
        }
      } else if (a.producer->seq != p->second.second + 1) {
        return Code(StatusCode::kProducerSeqGap);
      }
    } else if (s.closed) {
      if (op.data.empty()) {
        ModelResult r;
        r.tail = s.tail();
        return r;
      }
      return Code(StatusCode::kClosed);
    }
    if (!op.data.empty()) {
      bool json_type = a.content_type == "application/json";
      if (json_type != s.json) return Code(StatusCode::kContentTypeMismatch);
      if (a.stream_seq) {
        if (!s.last_seq.empty() && *a.stream_seq <= s.last_seq) {
          return Code(StatusCode::kSeqConflict);
        }
        s.last_seq = *a.stream_seq;
      }
    }
    if (s.json) {
      s.messages.insert(s.messages.end(), op.messages.begin(), op.messages.end());
    } else {
      s.bytes += op.data;
    }
    if (a.close) s.closed = true;
    if (a.producer) s.producers[a.producer->id] = {a.producer->epoch, a.producer->seq};
    ModelResult r;
    r.tail = s.tail();
    return r;
  }

  ModelResult del(const ModelOp& op) {
    auto it = streams.find(op.path);
    if (it == streams.end()) return Code(StatusCode::kNotFound);
    if (it->second.soft_deleted) return Code(StatusCode::kGone);
    if (it->second.expired_at(op.now_ms)) {
      remove(op.path);
      return Code(StatusCode::kNotFound);
    }
    remove(op.path);
    return {};
  }
};

inline std::string ModelOp::describe() const {
  std::ostringstream out;
  out << "t=" << now_ms << " ";
  switch (kind) {
    case kCreate:
      out << "create " << path << " type=" << create.content_type
          << " initial=" << create.initial_data.size() << "B" << (create.closed ? " closed" : "");
      if (create.ttl_seconds) out << " ttl=" << *create.ttl_seconds;
      if (create.expires_at_ms) out << " expires_at=" << *create.expires_at_ms;
      break;
    case kFork:
      out << "fork " << path << " from " << create.fork_from << " at "
          << (create.fork_offset ? std::to_string(*create.fork_offset) : "tail");
      break;
    case kAppend:
      out << "append " << path << " " << data.size() << "B type=" << append.content_type;
      if (append.producer) {
        out << " producer=" << append.producer->id << "/" << append.producer->epoch << "/"
            << append.producer->seq;
      }
      if (append.stream_seq) out << " seq=" << *append.stream_seq;
      if (append.close) out << " close";
      break;
    case kDelete:
      out << "delete " << path;
      break;
    case kSweep:
      out << "sweep";
      break;
  }
  return out.str();
}

}  // namespace streamkeeper::faults
