// The rules of an append, as one pure function from (accepted stream state, request) to a
// decision. The StreamManager calls it under the stream's lock and carries the decision out;
// the rules themselves touch no lock, no storage and no clock, so they are tested on their own
// (tests/manager/append_rules_test.cc).
//
// Order (PROTOCOL.md, and the conformance suite): producer epoch fencing, producer
// de-duplication (a retry is acknowledged as a duplicate even after a close), closed, producer
// sequencing; then, only when there is data: content type, Stream-Seq, and last the body itself.
// A close with no data on a closed stream is acknowledged again.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "streamkeeper/status.h"
#include "streamkeeper/stream_manager.h"
#include "streamkeeper/stream_state.h"

namespace streamkeeper {

struct AppendRequest {
  bool has_data = false;
  std::string_view content_type;
  const std::optional<std::string>* stream_seq = nullptr;  // may point to nullopt
  const std::optional<Producer>* producer = nullptr;       // may point to nullopt
  bool close = false;
  // What parsing the body gave (JSON streams): decided on only after every other rule.
  Status body;
};

struct AppendDecision {
  enum class Outcome {
    kRefuse,      // `status` says why; nothing is written
    kDuplicate,   // a producer retry: acknowledged once what it repeats is durable
    kCloseAgain,  // close-only on a closed stream: acknowledged once the close is durable
    kAccept,      // write it
  };
  Outcome outcome = Outcome::kRefuse;
  Status status;
  // Producer echo (AppendResult): epoch is the server's on kStaleEpoch; seq the highest
  // accepted one; expected/received on kProducerSeqGap.
  uint64_t producer_epoch = 0;
  uint64_t producer_seq = 0;
  uint64_t expected_seq = 0;
  uint64_t received_seq = 0;
  // kAccept with a producer: its state after this append.
  std::optional<ProducerState> next_producer;
};

// Pure; see the header comment for the order of the rules. Content types are compared by
// media type (content_type.h).
AppendDecision DecideAppend(const StreamMeta& stream, const ProducerMap& producers,
                            const AppendRequest& request);

}  // namespace streamkeeper
