#include "stream_model.h"

#include <cstdio>

namespace streamkeeper::crash {
namespace {

std::string Shorten(const std::string& text, size_t limit = 160) {
  if (text.size() <= limit) return text;
  return text.substr(0, limit / 2) + "..." + text.substr(text.size() - limit / 2);
}

// Where two renderings first differ, for messages that must say precisely what is wrong.
std::string FirstDifference(const std::string& want, const std::string& got) {
  size_t i = 0;
  while (i < want.size() && i < got.size() && want[i] == got[i]) ++i;
  auto around = [&](const std::string& s) {
    size_t from = i < 40 ? 0 : i - 40;
    return s.substr(from, 100);
  };
  return "first difference at byte " + std::to_string(i) + " (expected " +
         std::to_string(want.size()) + " bytes, got " + std::to_string(got.size()) +
         "): expected ..." + around(want) + "... got ..." + around(got) + "...";
}

}  // namespace

std::string StreamModel::rendered() const {
  if (!json) return bytes;
  std::string out = "[";
  for (size_t i = 0; i < messages.size(); ++i) {
    if (i > 0) out += ',';
    out += messages[i];
  }
  out += ']';
  return out;
}

std::string Operation::describe() const {
  static const char* kNames[] = {"create", "fork", "append", "close", "delete", "append-to-closed"};
  std::string out = std::string(kNames[static_cast<int>(kind)]) + " " + stream->path;
  if (kind == Kind::kFork) {
    out += " from " + stream->fork_source->path + " at " + std::to_string(fork_offset);
  }
  if (stream_seq) out += " Stream-Seq=" + *stream_seq;
  if (producer) {
    out += " producer=" + producer_id + " epoch=" + std::to_string(producer_epoch) +
           " seq=" + std::to_string(producer_seq);
  }
  if (close) out += " +close";
  if (stream->json && !units.empty()) out += " messages=" + std::to_string(units.size());
  if (!body.empty()) out += " body=" + Shorten(body, 60);
  return out;
}

StreamModel After(const Operation& op, const StreamModel& before) {
  StreamModel after = before;
  auto add_units = [&] {
    for (const std::string& unit : op.units) {
      if (after.json) {
        after.messages.push_back(unit);
      } else {
        after.bytes += unit;
      }
    }
  };
  switch (op.kind) {
    case Operation::Kind::kCreate:
      after.exists = true;
      after.soft_deleted = false;
      after.closed = false;
      after.bytes.clear();
      after.messages.clear();
      after.last_stream_seq.clear();
      after.producer_last_seq.reset();
      after.boundaries.clear();
      add_units();
      after.boundaries.push_back(after.tail());
      break;
    case Operation::Kind::kFork: {
      const StreamModel& source = *before.fork_source;
      after.exists = true;
      after.closed = false;
      after.bytes = source.bytes.substr(0, op.fork_offset);
      after.messages.assign(source.messages.begin(),
                            source.messages.begin() + (source.json ? op.fork_offset : 0));
      after.boundaries = {op.fork_offset};
      break;
    }
    case Operation::Kind::kAppend:
      add_units();
      if (op.close) after.closed = true;
      if (op.stream_seq) after.last_stream_seq = *op.stream_seq;
      if (op.producer) {
        after.producer_epoch = op.producer_epoch;
        after.producer_last_seq = op.producer_seq;
        after.producer_last_body = op.body;
      }
      after.boundaries.push_back(after.tail());
      break;
    case Operation::Kind::kClose:
      after.closed = true;
      break;
    case Operation::Kind::kDelete:
      if (before.live_forks > 0) {
        after.soft_deleted = true;  // its forks still read it
        break;
      }
      after.exists = false;
      after.closed = false;
      after.bytes.clear();
      after.messages.clear();
      after.last_stream_seq.clear();
      after.producer_last_seq.reset();
      after.boundaries.clear();
      break;
    case Operation::Kind::kAppendToClosed:
      break;  // refused: no effect
  }
  return after;
}

void Commit(const Operation& op) {
  StreamModel* stream = op.stream;
  bool existed = stream->exists;
  *stream = After(op, *stream);
  ++stream->unverified_ops;
  StreamModel* source = stream->fork_source;
  if (!source) return;
  if (!existed && stream->exists) ++source->live_forks;
  if (existed && !stream->exists && --source->live_forks == 0 && source->soft_deleted) {
    Operation erase;
    erase.kind = Operation::Kind::kDelete;
    erase.stream = source;
    *source = After(erase, *source);
    source->soft_deleted = false;
    ++source->unverified_ops;
  }
}

bool Matches(const StreamModel& model, const Observed& observed, std::string* why) {
  if (!observed.error.empty()) {
    *why = observed.error;
    return false;
  }
  if (model.exists != observed.exists) {
    *why = model.exists ? "acknowledged stream is missing (404)" : "stream should not exist";
    return false;
  }
  if (!model.exists) return true;
  if (model.soft_deleted != observed.gone) {
    *why = model.soft_deleted ? "soft-deleted stream is not 410" : "stream is gone (410)";
    return false;
  }
  if (model.soft_deleted) return true;  // unreadable; its forks' content checks its data
  if (model.tail() != observed.tail) {
    *why = "tail " + std::to_string(observed.tail) + ", expected " + std::to_string(model.tail());
    return false;
  }
  if (model.closed != observed.closed) {
    *why = model.closed ? "closed stream is open" : "open stream is closed";
    return false;
  }
  std::string want = model.rendered();
  if (want != observed.rendered) {
    *why = "content differs: " + FirstDifference(want, observed.rendered);
    return false;
  }
  return true;
}

std::string FormatOffset(uint64_t position) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llu_%016llu", 0ULL,
                static_cast<unsigned long long>(position));
  return buf;
}

std::optional<uint64_t> ParseOffsetPosition(const std::string& offset) {
  size_t underscore = offset.find('_');
  if (underscore == std::string::npos || underscore + 1 >= offset.size()) return std::nullopt;
  uint64_t value = 0;
  for (size_t i = underscore + 1; i < offset.size(); ++i) {
    if (offset[i] < '0' || offset[i] > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(offset[i] - '0');
  }
  return value;
}

}  // namespace streamkeeper::crash
