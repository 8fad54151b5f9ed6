// fanout: K subscribers on one stream (SSE, or long-poll with --reader long-poll) and one
// writer at a modest rate. Reports delivery latency across all subscribers and, given
// --server-pid, how much the server's resident memory grew per idle subscriber.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <stdexcept>

#include "http_connection.h"
#include "io_pool.h"
#include "live_readers.h"
#include "scenario.h"
#include "stream_ops.h"
#include "timed_writer.h"

namespace dsbench {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// Connect attempts in flight at once, so that thousands of subscribers arrive
// gradually instead of overflowing the server's accept backlog.
constexpr int kMaxPendingConnects = 64;

struct FanoutState {
  // Outlives the scenario coroutine, like everything else the pool may still touch.
  std::atomic<bool> progress_stop{false};
  LiveReadStats readers;
  TimedWriterStats writer;
  std::atomic<bool> stop{false};
};

asio::awaitable<void> OpenSubscribers(IoPool& pool, const LiveReaderSpec& spec, FanoutState& state,
                                      int subscribers, Clock::duration limit) {
  const auto deadline = Clock::now() + limit;
  for (int i = 0; i < subscribers && Clock::now() < deadline; ++i) {
    co_await WaitUntil(
        [&] {
          const int opened =
              state.readers.connected.load() + static_cast<int>(state.readers.errors.load());
          return i - opened < kMaxPendingConnects;
        },
        deadline - Clock::now());
    state.readers.active++;
    asio::co_spawn(pool.NextExecutor(),
                   spec.options.reader == "long-poll" ? FollowByLongPoll(spec, state.readers)
                                                      : FollowBySse(spec, state.readers),
                   asio::detached);
  }
  co_await WaitUntil([&] { return state.readers.connected.load() >= subscribers; },
                     deadline - Clock::now());
}

asio::awaitable<ScenarioResult> Orchestrate(IoPool& pool, const RunContext& context, FanoutState& state,
                                            double rate, int subscribers) {
  const auto& options = context.options;
  const std::string path = context.StreamPath("fanout", 0);
  HttpConnection setup(co_await asio::this_coro::executor, context.target);
  const auto created = co_await setup.Send(CreateRequest(path, kTextPlain, options.timeout));
  if (!created.Ok()) {
    throw std::runtime_error(
        "cannot create " + path + ": " +
        (created.status ? "HTTP " + std::to_string(created.status) : created.error));
  }
  const std::string start_offset = created.next_offset.empty() ? "-1" : created.next_offset;
  auto executor = co_await asio::this_coro::executor;

  asio::co_spawn(executor,
                 ReportProgress(
                     "fanout",
                     [&] {
                       return "subscribers=" + std::to_string(state.readers.connected.load()) +
                              " appends=" + std::to_string(state.writer.ok.load()) +
                              " delivered=" + std::to_string(state.readers.delivered()) +
                              " errors=" +
                              std::to_string(state.readers.errors + state.writer.errors);
                     },
                     &state.progress_stop),
                 asio::detached);

  const long rss_before = options.server_pid ? ReadRssKib(options.server_pid) : -1;
  const auto connect_start = Clock::now();
  const LiveReaderSpec spec{context.target, options, path, start_offset, &state.stop};
  // Allow ~1 ms per subscriber on top of a fixed margin before giving up.
  co_await OpenSubscribers(pool, spec, state, subscribers,
                           options.timeout * 2 + std::chrono::milliseconds(subscribers));
  const double connect_seconds =
      std::chrono::duration<double>(Clock::now() - connect_start).count();
  const int connected = state.readers.connected.load();
  co_await SleepFor(std::chrono::seconds(2));  // let the server settle with idle subscribers
  const long rss_after = options.server_pid ? ReadRssKib(options.server_pid) : -1;

  const auto measured = Seconds(options.duration_s);
  const int64_t window_start = SteadyNanos();
  state.readers.window_start_ns = window_start;
  state.readers.window_end_ns = window_start + std::chrono::nanoseconds(measured).count();
  state.writer.window_start_ns = window_start;
  state.writer.window_end_ns = state.readers.window_end_ns.load();
  asio::co_spawn(
      executor,
      WriteAtFixedRate(context.target, options, path, rate, Clock::now() + measured, state.writer),
      asio::detached);
  co_await WaitUntil([&] { return state.writer.done.load(); }, measured + options.timeout * 2);
  const uint64_t expected = state.writer.ok_in_window.load() * static_cast<uint64_t>(connected);
  co_await WaitUntil([&] { return state.readers.delivered() >= expected; },
                     std::chrono::seconds(5));
  state.stop = true;
  state.progress_stop = true;

  ScenarioResult result = context.NewResult();
  result.AddParam("subscribers", subscribers);
  result.AddParam("reader", options.reader);
  result.AddParam("rate", rate);
  result.AddParam("duration_s", options.duration_s);
  result.Add("subscribers_connected", connected, "", Better::kHigher);
  result.Add("connect_seconds", connect_seconds, "s", Better::kLower);
  result.Add("appends", static_cast<double>(state.writer.ok_in_window.load()), "",
             Better::kNeither);
  result.Add("achieved_rate", state.writer.ok_in_window.load() / options.duration_s, "1/s",
             Better::kHigher);
  result.Add("delivered_fraction",
             expected == 0 ? 0.0 : static_cast<double>(state.readers.delivered()) / expected, "",
             Better::kHigher);
  result.AddLatency("delivery_latency", state.readers.latency);
  if (rss_before >= 0 && rss_after >= 0) {
    result.Add("server_rss_before_kib", rss_before, "KiB", Better::kLower);
    result.Add("server_rss_after_kib", rss_after, "KiB", Better::kLower);
    result.Add("server_rss_per_subscriber_kib",
               connected == 0 ? 0.0 : static_cast<double>(rss_after - rss_before) / connected,
               "KiB", Better::kLower);
  }
  result.Add("errors", static_cast<double>(state.readers.errors + state.writer.errors), "",
             Better::kLower);
  co_return result;
}

}  // namespace

ScenarioResult RunFanoutScenario(const RunContext& context) {
  if (context.options.reader != "sse" && context.options.reader != "long-poll") {
    throw std::invalid_argument("--reader must be sse or long-poll");
  }
  const double rate = context.options.rate > 0 ? context.options.rate : 10;
  const int subscribers = context.options.subscribers > 0 ? context.options.subscribers : 1000;
  FanoutState state;
  IoPool pool(context.options.threads);
  return pool.Run(Orchestrate(pool, context, state, rate, subscribers));
}

}  // namespace dsbench
