#include "protocol/live_read.h"

#include "protocol/protocol_handler.h"

namespace streamkeeper {

HttpResponse LongPollRead::answer() { return handler_->finish_long_poll(directive_); }

SseStep SseRead::next() {
  SseStep step;
  if (!first_taken_) {
    first_taken_ = true;
    step = std::move(directive_.first);
  } else {
    step = handler_->sse_step(directive_, position_, false);
  }
  position_ = step.next_position;
  return step;
}

}  // namespace streamkeeper
