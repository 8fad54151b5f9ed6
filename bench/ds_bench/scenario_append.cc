// append: C keep-alive connections POST B-byte bodies round-robin over S
// streams for D seconds after a warm-up; optionally as idempotent producers.
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <mutex>
#include <stdexcept>

#include "histogram.h"
#include "http_connection.h"
#include "io_pool.h"
#include "parallel_requests.h"
#include "scenario.h"
#include "stream_ops.h"

namespace dsbench {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

struct AppendState {
  // Outlives the scenario coroutine, like everything else the pool may still touch.
  std::atomic<bool> progress_stop{false};
  std::vector<std::string> paths;
  std::string body;
  Histogram latency;
  std::atomic<bool> measuring{false};
  std::atomic<bool> stop{false};
  std::atomic<int> active{0};
  std::atomic<uint64_t> total_ok{0};
  std::atomic<uint64_t> ok{0};  // within the measured window
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> total_errors{0};
  std::mutex error_mutex;
  std::string first_error;

  void NoteError(const HttpResponse& response) {
    total_errors.fetch_add(1);
    if (measuring.load()) errors.fetch_add(1);
    std::lock_guard lock(error_mutex);
    if (first_error.empty()) {
      first_error =
          response.status == 0 ? response.error : "HTTP " + std::to_string(response.status);
    }
  }
};

asio::awaitable<void> AppendLoop(const RunContext& context, AppendState& state, int index) {
  HttpConnection connection(co_await asio::this_coro::executor, context.target);
  const auto stream_count = state.paths.size();
  std::vector<uint64_t> producer_seq(context.options.producer ? stream_count : 0, 0);
  const std::string producer_base = context.prefix + "-c" + std::to_string(index) + "-s";
  for (uint64_t k = 0; !state.stop.load(); ++k) {
    const size_t s = (index + k) % stream_count;
    HttpRequest request =
        AppendRequest(state.paths[s], kOctetStream, state.body, context.options.timeout);
    if (context.options.producer) {
      request.headers = {{"Producer-Id", producer_base + std::to_string(s)},
                         {"Producer-Epoch", "0"},
                         {"Producer-Seq", std::to_string(producer_seq[s])}};
    }
    const auto sent = Clock::now();
    const HttpResponse response = co_await connection.Send(request);
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent).count();
    const bool ok = context.options.producer ? response.status == 200 : response.Ok();
    if (!ok) {
      state.NoteError(response);
      // A failed exchange may not have reached the server: retry the same seq.
      if (response.status == 0) co_await SleepFor(std::chrono::milliseconds(10));
      if (response.status != 0 && context.options.producer) producer_seq[s]++;
      continue;
    }
    if (context.options.producer) producer_seq[s]++;
    state.total_ok++;
    if (state.measuring.load()) {
      state.ok++;
      state.latency.Record(static_cast<uint64_t>(micros));
    }
  }
  state.active--;
}

asio::awaitable<ScenarioResult> Orchestrate(IoPool& pool, const RunContext& context,
                                            AppendState& state) {
  const auto& options = context.options;
  const auto created = co_await SendInParallel(
      pool, context.target, state.paths.size(), options.connections,
      [&](uint64_t i) { return CreateRequest(state.paths[i], kOctetStream, options.timeout); },
      nullptr, nullptr);
  if (created.failed > 0)
    throw std::runtime_error("creating streams failed: " + created.first_error);

  auto executor = co_await asio::this_coro::executor;
  asio::co_spawn(executor,
                 ReportProgress(
                     "append",
                     [&] {
                       return "appends=" + std::to_string(state.total_ok.load()) +
                              " errors=" + std::to_string(state.total_errors.load()) +
                              (state.measuring.load() ? "" : " (warm-up)");
                     },
                     &state.progress_stop),
                 asio::detached);
  if (!options.timeline_path.empty()) {
    asio::co_spawn(executor,
                   RecordTimeline(
                       options.timeline_path,
                       [&] {
                         return std::to_string(state.total_ok.load()) + " " +
                                std::to_string(state.total_errors.load());
                       },
                       &state.progress_stop),
                   asio::detached);
  }
  state.active = options.connections;
  for (int c = 0; c < options.connections; ++c) {
    asio::co_spawn(pool.NextExecutor(), AppendLoop(context, state, c), asio::detached);
  }
  co_await SleepFor(Seconds(options.warmup_s));
  state.measuring = true;
  const auto start = Clock::now();
  co_await SleepFor(Seconds(options.duration_s));
  state.measuring = false;
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  state.stop = true;
  state.progress_stop = true;
  co_await WaitUntil([&] { return state.active.load() == 0; },
                     options.timeout + std::chrono::seconds(1));

  ScenarioResult result = context.NewResult();
  result.AddParam("connections", options.connections);
  result.AddParam("streams", options.streams);
  result.AddParam("body_bytes", options.body_bytes);
  result.AddParam("duration_s", options.duration_s);
  result.AddParam("producer", options.producer ? "true" : "false");
  const double ok = static_cast<double>(state.ok.load());
  result.Add("appends_per_s", ok / seconds, "1/s", Better::kHigher);
  result.Add("mb_per_s", ok * options.body_bytes / seconds / 1e6, "MB/s", Better::kHigher);
  result.AddLatency("append_latency", state.latency);
  result.Add("errors", static_cast<double>(state.errors.load()), "", Better::kLower);
  if (!state.first_error.empty()) result.AddParam("first_error", state.first_error);
  co_return result;
}

}  // namespace

ScenarioResult RunAppendScenario(const RunContext& context) {
  const auto& options = context.options;
  if (options.connections < 1 || options.streams < 1 || options.body_bytes < 0) {
    throw std::runtime_error("append needs --connections >= 1, --streams >= 1, --body-bytes >= 0");
  }
  AppendState state;
  for (int s = 0; s < options.streams; ++s) state.paths.push_back(context.StreamPath("append", s));
  state.body.resize(options.body_bytes);
  for (int i = 0; i < options.body_bytes; ++i) state.body[i] = static_cast<char>('a' + i % 26);
  IoPool pool(options.threads);
  return pool.Run(Orchestrate(pool, context, state));
}

}  // namespace dsbench
