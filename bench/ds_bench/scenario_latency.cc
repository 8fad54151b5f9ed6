// latency: a writer appends timestamped bodies at a fixed rate to one text
// stream; long-poll readers and SSE readers follow it, and each measures the
// time from an append being sent to its bytes arriving.
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

struct LatencyState {
  // Outlives the scenario coroutine, like everything else the pool may still touch.
  std::atomic<bool> progress_stop{false};
  LiveReadStats long_poll;
  LiveReadStats sse;
  TimedWriterStats writer;
  std::atomic<bool> stop{false};
};

asio::awaitable<ScenarioResult> Orchestrate(IoPool& pool, const RunContext& context, LatencyState& state,
                                            double rate, int readers) {
  const auto& options = context.options;
  const std::string path = context.StreamPath("latency", 0);
  HttpConnection setup(co_await asio::this_coro::executor, context.target);
  const auto created = co_await setup.Send(CreateRequest(path, kTextPlain, options.timeout));
  if (!created.Ok()) {
    throw std::runtime_error(
        "cannot create " + path + ": " +
        (created.status ? "HTTP " + std::to_string(created.status) : created.error));
  }
  const std::string start_offset = created.next_offset.empty() ? "-1" : created.next_offset;

  auto executor = co_await asio::this_coro::executor;
  const LiveReaderSpec spec{context.target, options, path, start_offset, &state.stop};
  state.long_poll.active = readers;
  state.sse.active = readers;
  for (int r = 0; r < readers; ++r) {
    asio::co_spawn(pool.NextExecutor(), FollowByLongPoll(spec, state.long_poll), asio::detached);
    asio::co_spawn(pool.NextExecutor(), FollowBySse(spec, state.sse), asio::detached);
  }
  const bool ready = co_await WaitUntil(
      [&] { return state.sse.connected.load() == readers && state.long_poll.connected == readers; },
      options.timeout);
  if (!ready) throw std::runtime_error("readers could not connect");
  co_await SleepFor(std::chrono::milliseconds(200));  // let the first long-polls park

  const auto warmup = Seconds(options.warmup_s);
  const auto measured = Seconds(options.duration_s);
  const auto start = Clock::now();
  const int64_t window_start = SteadyNanos() + std::chrono::nanoseconds(warmup).count();
  const int64_t window_end = window_start + std::chrono::nanoseconds(measured).count();
  for (LiveReadStats* stats : {&state.long_poll, &state.sse}) {
    stats->window_start_ns = window_start;
    stats->window_end_ns = window_end;
  }
  state.writer.window_start_ns = window_start;
  state.writer.window_end_ns = window_end;
  asio::co_spawn(
      executor,
      ReportProgress(
          "latency",
          [&] {
            return "appends=" + std::to_string(state.writer.ok.load()) +
                   " long-poll=" + std::to_string(state.long_poll.delivered()) +
                   " sse=" + std::to_string(state.sse.delivered()) + " errors=" +
                   std::to_string(state.writer.errors + state.long_poll.errors + state.sse.errors);
          },
          &state.progress_stop),
      asio::detached);
  asio::co_spawn(executor,
                 WriteAtFixedRate(context.target, options, path, rate, start + warmup + measured,
                                  state.writer),
                 asio::detached);
  co_await WaitUntil([&] { return state.writer.done.load(); },
                     warmup + measured + options.timeout * 2);
  // Give the last appends time to arrive, then stop the readers.
  const uint64_t expected_per_reader = state.writer.ok_in_window.load();
  co_await WaitUntil(
      [&] {
        return state.long_poll.delivered() >= expected_per_reader * readers &&
               state.sse.delivered() >= expected_per_reader * readers;
      },
      std::chrono::seconds(2));
  state.stop = true;
  state.progress_stop = true;
  co_await WaitUntil([&] { return state.sse.active.load() == 0; }, std::chrono::milliseconds(200));

  ScenarioResult result = context.NewResult();
  result.AddParam("rate", rate);
  result.AddParam("readers_per_mode", readers);
  result.AddParam("duration_s", options.duration_s);
  result.AddParam("body_bytes", options.body_bytes);
  result.Add("appends", static_cast<double>(state.writer.ok_in_window.load()), "",
             Better::kNeither);
  result.Add("achieved_rate", state.writer.ok_in_window.load() / options.duration_s, "1/s",
             Better::kHigher);
  result.AddLatency("long_poll_latency", state.long_poll.latency);
  result.AddLatency("sse_latency", state.sse.latency);
  result.Add("errors",
             static_cast<double>(state.writer.errors + state.long_poll.errors + state.sse.errors),
             "", Better::kLower);
  co_return result;
}

}  // namespace

ScenarioResult RunLatencyScenario(const RunContext& context) {
  const double rate = context.options.rate > 0 ? context.options.rate : 100;
  const int readers = context.options.subscribers > 0 ? context.options.subscribers : 1;
  LatencyState state;
  IoPool pool(context.options.threads);
  return pool.Run(Orchestrate(pool, context, state, rate, readers));
}

}  // namespace dsbench
