#include "manager/append_rules.h"

#include "manager/content_type.h"

namespace streamkeeper {

namespace {

AppendDecision Refuse(AppendDecision decision, Status status) {
  decision.outcome = AppendDecision::Outcome::kRefuse;
  decision.status = std::move(status);
  return decision;
}

}  // namespace

AppendDecision DecideAppend(const StreamMeta& stream, const ProducerMap& producers,
                            const AppendRequest& request) {
  AppendDecision decision;
  const std::optional<Producer>* producer = request.producer;
  if (producer && *producer) {
    const Producer& p = **producer;
    decision.producer_epoch = p.epoch;
    auto it = producers.find(p.id);
    bool known = it != producers.end();
    // 1. Fencing and de-duplication come first: a retry must be answered as a retry.
    if (known) {
      const ProducerState& state = it->second;
      if (p.epoch < state.epoch) {
        decision.producer_epoch = state.epoch;
        return Refuse(decision, Status::Of(StatusCode::kStaleEpoch, "producer epoch is stale"));
      }
      if (p.epoch == state.epoch && p.seq <= state.last_seq) {
        decision.outcome = AppendDecision::Outcome::kDuplicate;
        decision.producer_seq = state.last_seq;
        return decision;
      }
    }
    // 2. Closed streams take nothing more.
    if (stream.closed) return Refuse(decision, Status::Of(StatusCode::kClosed, "stream is closed"));
    // 3. Sequencing: a new producer or epoch starts at 0, a known one continues by one.
    if (!known || p.epoch > it->second.epoch) {
      if (p.seq != 0) {
        if (known) return Refuse(decision, Status::BadRequest("a new producer epoch must start at seq 0"));
        decision.expected_seq = 0;
        decision.received_seq = p.seq;
        return Refuse(decision, Status::Of(StatusCode::kProducerSeqGap, "producer sequence gap"));
      }
    } else if (p.seq != it->second.last_seq + 1) {
      decision.expected_seq = it->second.last_seq + 1;
      decision.received_seq = p.seq;
      return Refuse(decision, Status::Of(StatusCode::kProducerSeqGap, "producer sequence gap"));
    }
    decision.next_producer = ProducerState{p.epoch, p.seq};
    decision.producer_seq = p.seq;
  } else if (stream.closed) {
    if (!request.has_data && request.close) {
      decision.outcome = AppendDecision::Outcome::kCloseAgain;
      return decision;
    }
    return Refuse(decision, Status::Of(StatusCode::kClosed, "stream is closed"));
  }

  // 4. Content type, then Stream-Seq, then the body: they only matter when there is data.
  if (request.has_data) {
    if (!SameMediaType(request.content_type, stream.content_type)) {
      return Refuse(decision, Status::Of(StatusCode::kContentTypeMismatch,
                                         "content type does not match the stream's"));
    }
    const std::optional<std::string>* seq = request.stream_seq;
    if (seq && *seq && !stream.last_stream_seq.empty() && **seq <= stream.last_stream_seq) {
      return Refuse(decision, Status::Of(StatusCode::kSeqConflict, "Stream-Seq is not increasing"));
    }
    if (!request.body.ok()) return Refuse(decision, request.body);
  }
  decision.outcome = AppendDecision::Outcome::kAccept;
  return decision;
}

}  // namespace streamkeeper
