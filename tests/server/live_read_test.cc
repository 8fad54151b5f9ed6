// The protocol layer's live reads (protocol/live_read.h) without sockets: park on the manager,
// be woken from its thread, answer from one read; cancel; the stream going away while parked.
// The transport (ConnectionSession's responders) adds only threads and timers around these.
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "protocol/live_read.h"
#include "protocol/protocol_handler.h"
#include "streamkeeper/memory_storage.h"
#include "streamkeeper/offset.h"
#include "streamkeeper/stream_manager.h"
#include "protocol_handler_fixture.h"
#include "sse_test_parser.h"

namespace streamkeeper {
namespace {

using streamkeeper::testing::ParseSse;

// Counts the wake-ups of one park and lets the test wait for the first. The callback shares
// the count, so a wake that comes after a failed test has returned touches nothing freed.
class Wakes {
 public:
  WakeCallback callback() {
    return [state = state_] {
      if (state->count.fetch_add(1) == 0) state->woken.set_value();
    };
  }
  bool woken_within(std::chrono::milliseconds limit) {
    return future_.wait_for(limit) == std::future_status::ready;
  }
  int count() const { return state_->count.load(); }

 private:
  struct State {
    std::atomic<int> count{0};
    std::promise<void> woken;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
  std::future<void> future_ = state_->woken.get_future();
};

class LiveReadTest : public testing::ProtocolHandlerFixture {
 protected:
  // A request with a text/plain body (a PUT creates a text stream).
  HttpResponse Call(std::string method, std::string target, std::string body = {}) {
    HeaderList headers;
    if (!body.empty() || method == "PUT") headers.emplace_back("Content-Type", "text/plain");
    return ProtocolHandlerFixture::Call(std::move(method), std::move(target), std::move(headers),
                                        std::move(body));
  }
  void Append(const std::string& name, std::string body) {
    ASSERT_EQ(Call("POST", "/v1/stream/" + name, std::move(body)).status, 204);
  }

  static std::string Header(const HttpResponse& response, std::string_view name) {
    auto value = response.header(name);
    return value ? std::string(*value) : std::string("<absent>");
  }

  LongPollRead ParkedLongPoll(const std::string& name) {
    HttpResponse response = Call("GET", "/v1/stream/" + name + "?offset=now&live=long-poll");
    EXPECT_TRUE(response.long_poll.has_value());
    return handler_->long_poll(std::move(*response.long_poll));
  }

};

constexpr auto kWakeLimit = std::chrono::seconds(5);
// How long a wake that must not come is given to come anyway.
constexpr auto kNoWake = std::chrono::milliseconds(100);

// ---------------------------------------------------------------------------------------------
// Long-poll

TEST_F(LiveReadTest, LongPollIsWokenByAnAppendAndAnswersWithWhatIsThereWhenAsked) {
  Call("PUT", "/v1/stream/lp", "abc");
  LongPollRead read = ParkedLongPoll("lp");
  Wakes wakes;
  ASSERT_TRUE(read.park(wakes.callback()));
  Append("lp", "def");
  ASSERT_TRUE(wakes.woken_within(kWakeLimit));
  // Data arriving between the wake and the answer is in it: the answer is one read, done when
  // asked, and its body and headers come from that same read.
  Append("lp", "ghi");
  HttpResponse answer = read.answer();
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, "defghi");
  EXPECT_EQ(Header(answer, "Stream-Next-Offset"), FormatOffset(9));
  EXPECT_EQ(Header(answer, "Stream-Up-To-Date"), "true");
  EXPECT_NE(Header(answer, "Stream-Cursor"), "<absent>");
  EXPECT_EQ(wakes.count(), 1);
}

TEST_F(LiveReadTest, LongPollWithDataAlreadyThereDoesNotParkAndNeverWakes) {
  Call("PUT", "/v1/stream/lp-ready", "abc");
  LongPollRead read = ParkedLongPoll("lp-ready");
  Append("lp-ready", "d");
  Wakes wakes;
  EXPECT_FALSE(read.park(wakes.callback()));
  EXPECT_EQ(read.answer().body, "d");
  EXPECT_FALSE(wakes.woken_within(kNoWake));
}

TEST_F(LiveReadTest, CancelledLongPollIsNeverWokenAndAnswers204) {
  Call("PUT", "/v1/stream/lp-cancel", "abc");
  LongPollRead read = ParkedLongPoll("lp-cancel");
  Wakes wakes;
  ASSERT_TRUE(read.park(wakes.callback()));
  EXPECT_TRUE(read.cancel());
  HttpResponse answer = read.answer();
  EXPECT_EQ(answer.status, 204);
  EXPECT_EQ(Header(answer, "Stream-Next-Offset"), FormatOffset(3));
  Append("lp-cancel", "d");
  EXPECT_FALSE(wakes.woken_within(kNoWake));
  // Taken back once: a second cancel finds nothing parked.
  EXPECT_FALSE(read.cancel());
}

TEST_F(LiveReadTest, CancelAfterTheWakeSaysTheWakeCame) {
  Call("PUT", "/v1/stream/lp-late", "abc");
  LongPollRead read = ParkedLongPoll("lp-late");
  Wakes wakes;
  ASSERT_TRUE(read.park(wakes.callback()));
  Append("lp-late", "d");
  ASSERT_TRUE(wakes.woken_within(kWakeLimit));
  EXPECT_FALSE(read.cancel());  // the transport then lets the wake answer
  EXPECT_EQ(read.answer().body, "d");
}

TEST_F(LiveReadTest, LongPollParkedOnADeletedStreamIsWokenAndAnswers404) {
  Call("PUT", "/v1/stream/lp-gone", "abc");
  LongPollRead read = ParkedLongPoll("lp-gone");
  Wakes wakes;
  ASSERT_TRUE(read.park(wakes.callback()));
  ASSERT_EQ(Call("DELETE", "/v1/stream/lp-gone").status, 204);
  ASSERT_TRUE(wakes.woken_within(kWakeLimit));
  HttpResponse answer = read.answer();
  EXPECT_EQ(answer.status, 404);
  EXPECT_NE(answer.body.find("NOT_FOUND"), std::string::npos) << answer.body;
}

// ---------------------------------------------------------------------------------------------
// SSE

TEST_F(LiveReadTest, SseFirstStepIsTheRequestsOwnReadThenEachStepReadsOnce) {
  Call("PUT", "/v1/stream/sse", "abc");
  HttpResponse head = Call("GET", "/v1/stream/sse?offset=-1&live=sse");
  ASSERT_TRUE(head.sse.has_value());
  SseRead read = handler_->sse(std::move(*head.sse));
  // Appended after the request was answered: not in the first step, which the request's read
  // made (no second read for it), but in the next.
  Append("sse", "def");
  SseStep first = read.next();
  auto events = ParseSse(first.events);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "data");
  EXPECT_EQ(events[0].data, "abc");
  EXPECT_EQ(events[1].type, "control");
  EXPECT_EQ(first.next_position, 3u);
  EXPECT_TRUE(first.wait);

  SseStep second = read.next();
  events = ParseSse(second.events);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].data, "def");
  EXPECT_EQ(second.next_position, 6u);

  SseStep idle = read.next();
  EXPECT_TRUE(idle.events.empty());
  EXPECT_TRUE(idle.wait);
}

TEST_F(LiveReadTest, SseParksWhereTheLastStepEndedAndIsWokenByAnAppend) {
  Call("PUT", "/v1/stream/sse-park", "abc");
  HttpResponse head = Call("GET", "/v1/stream/sse-park?offset=-1&live=sse");
  ASSERT_TRUE(head.sse.has_value());
  SseRead read = handler_->sse(std::move(*head.sse));
  ASSERT_TRUE(read.next().wait);
  Wakes wakes;
  ASSERT_TRUE(read.park(wakes.callback()));  // at 3: nothing past it yet
  Append("sse-park", "d");
  ASSERT_TRUE(wakes.woken_within(kWakeLimit));
  auto events = ParseSse(read.next().events);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].data, "d");
}

TEST_F(LiveReadTest, CancelledSseParkIsNeverWoken) {
  Call("PUT", "/v1/stream/sse-cancel", "abc");
  HttpResponse head = Call("GET", "/v1/stream/sse-cancel?offset=-1&live=sse");
  ASSERT_TRUE(head.sse.has_value());
  SseRead read = handler_->sse(std::move(*head.sse));
  read.next();
  Wakes wakes;
  ASSERT_TRUE(read.park(wakes.callback()));
  EXPECT_TRUE(read.cancel());
  Append("sse-cancel", "d");
  EXPECT_FALSE(wakes.woken_within(kNoWake));
}

TEST_F(LiveReadTest, SseParkedOnADeletedStreamIsWokenAndFinishes) {
  Call("PUT", "/v1/stream/sse-gone", "abc");
  HttpResponse head = Call("GET", "/v1/stream/sse-gone?offset=-1&live=sse");
  ASSERT_TRUE(head.sse.has_value());
  SseRead read = handler_->sse(std::move(*head.sse));
  read.next();
  Wakes wakes;
  ASSERT_TRUE(read.park(wakes.callback()));
  ASSERT_EQ(Call("DELETE", "/v1/stream/sse-gone").status, 204);
  ASSERT_TRUE(wakes.woken_within(kWakeLimit));
  SseStep step = read.next();
  EXPECT_TRUE(step.finished);
  EXPECT_TRUE(step.events.empty());
}

TEST_F(LiveReadTest, ParkedReadsAreWokenByTheManagersShutdown) {
  Call("PUT", "/v1/stream/lp-stop", "abc");
  LongPollRead read = ParkedLongPoll("lp-stop");
  Wakes wakes;
  ASSERT_TRUE(read.park(wakes.callback()));
  manager_->shutdown();
  EXPECT_TRUE(wakes.woken_within(kWakeLimit));
}

}  // namespace
}  // namespace streamkeeper
