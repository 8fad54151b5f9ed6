// The crash harness's model of a stream: what acknowledged responses say it holds, and the
// operations that change it. Nothing here talks to a server; the client sends operations and
// applies the acknowledged ones, the verifier compares what a restarted server shows against it.
//
// Content is kept in the units the server counts positions in (bytes, or one entry per JSON
// message), so a stream's tail is always the size of its content, and a fork's content is its
// source's prefix followed by its own appends.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace streamkeeper::crash {

struct StreamModel {
  std::string path;
  bool json = false;
  bool exists = false;
  bool soft_deleted = false;  // deleted while forks exist: 410 until the last fork goes
  bool closed = false;
  std::string bytes;                  // byte streams
  std::vector<std::string> messages;  // JSON streams
  std::string last_stream_seq;        // of this incarnation; "" when none was acknowledged
  // Idempotent producer state (the producer stream only).
  uint64_t producer_epoch = 0;
  std::optional<uint64_t> producer_last_seq;  // of producer_epoch
  std::string producer_last_body;
  // Forks.
  StreamModel* fork_source = nullptr;  // set on forks
  int live_forks = 0;                  // on sources: forks that exist
  std::vector<uint64_t> boundaries;    // tails acknowledged in this incarnation (fork points)
  // Operations acknowledged since this stream was last checked after a restart.
  uint64_t unverified_ops = 0;
  // Checks after restarts that found it absent, as it should be (deleted forks retire after a
  // few, so that each restart's check does not grow with every fork ever made).
  int absent_checks = 0;

  uint64_t tail() const { return json ? messages.size() : bytes.size(); }
  // The whole content as a read from offset -1 renders it (JSON: one array of the messages).
  std::string rendered() const;
};

// One operation as the client generates and sends it.
struct Operation {
  enum class Kind {
    kCreate,          // PUT, optionally with initial data
    kFork,            // PUT with Stream-Forked-From and Stream-Fork-Offset
    kAppend,          // POST with data: plain, Stream-Seq, producer, and/or with Stream-Closed
    kClose,           // POST Stream-Closed: true without data
    kDelete,          // DELETE
    kAppendToClosed,  // POST data to a closed stream: must be refused with 409 Stream-Closed
  };
  Kind kind = Kind::kAppend;
  StreamModel* stream = nullptr;
  std::string content_type;
  std::string body;                // the request body
  std::vector<std::string> units;  // what the body adds: one string of bytes, or messages
  bool close = false;              // kAppend: with Stream-Closed: true
  std::optional<std::string> stream_seq;
  bool producer = false;
  std::string producer_id;
  uint64_t producer_epoch = 0;
  uint64_t producer_seq = 0;
  uint64_t fork_offset = 0;  // kFork: position in the source

  // Human-readable, for violation messages.
  std::string describe() const;
};

// The state of op.stream after `op` took effect once, given its state `before`. Pure.
StreamModel After(const Operation& op, const StreamModel& before);

// Records that `op` took effect: op.stream becomes After(op, *op.stream), and fork bookkeeping
// on the source follows (a soft-deleted source goes with its last fork).
void Commit(const Operation& op);

// What a server showed for one stream.
struct Observed {
  bool exists = false;
  bool gone = false;  // 410: soft-deleted
  bool closed = false;
  uint64_t tail = 0;
  std::string rendered;  // whole content, as StreamModel::rendered()
  std::string error;     // non-empty: the server could not be read (a violation by itself)
};

// Whether the server shows exactly `model`; *why says how it differs when not.
bool Matches(const StreamModel& model, const Observed& observed, std::string* why);

// "%016llu_%016llu" with segment 0, as the server renders offsets.
std::string FormatOffset(uint64_t position);
// The position of an offset the server rendered, or nullopt.
std::optional<uint64_t> ParseOffsetPosition(const std::string& offset);

}  // namespace streamkeeper::crash
