// many-streams: create --count streams with PUT over C connections, then
// append once to each.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <stdexcept>

#include "histogram.h"
#include "io_pool.h"
#include "parallel_requests.h"
#include "scenario.h"
#include "stream_ops.h"

namespace dsbench {
namespace {

namespace asio = boost::asio;

struct ManyStreamsState {
  // Outlives the scenario coroutine, like everything else the pool may still touch.
  std::atomic<bool> progress_stop{false};
  Histogram create_latency;
  Histogram append_latency;
  std::atomic<uint64_t> created{0};
  std::atomic<uint64_t> appended{0};
};

asio::awaitable<ScenarioResult> Orchestrate(IoPool& pool, const RunContext& context,
                                            ManyStreamsState& state) {
  const auto& options = context.options;
  const auto count = static_cast<uint64_t>(options.count);
  std::string body(static_cast<size_t>(options.body_bytes), 'm');
  asio::co_spawn(co_await asio::this_coro::executor,
                 ReportProgress(
                     "many-streams",
                     [&] {
                       return "created=" + std::to_string(state.created.load()) +
                              " appended=" + std::to_string(state.appended.load());
                     },
                     &state.progress_stop),
                 asio::detached);
  const auto create = co_await SendInParallel(
      pool, context.target, count, options.connections,
      [&](uint64_t i) {
        return CreateRequest(context.StreamPath("many", static_cast<long>(i)), kOctetStream,
                             options.timeout);
      },
      &state.create_latency, &state.created);
  const auto append = co_await SendInParallel(
      pool, context.target, count, options.connections,
      [&](uint64_t i) {
        return AppendRequest(context.StreamPath("many", static_cast<long>(i)), kOctetStream, body,
                             options.timeout);
      },
      &state.append_latency, &state.appended);
  state.progress_stop = true;

  ScenarioResult result = context.NewResult();
  result.AddParam("count", options.count);
  result.AddParam("connections", options.connections);
  result.AddParam("body_bytes", options.body_bytes);
  result.Add("creates_per_s", static_cast<double>(create.ok) / create.seconds, "1/s",
             Better::kHigher);
  result.AddLatency("create_latency", state.create_latency);
  result.Add("appends_per_s", static_cast<double>(append.ok) / append.seconds, "1/s",
             Better::kHigher);
  result.AddLatency("append_latency", state.append_latency);
  result.Add("errors", static_cast<double>(create.failed + append.failed), "", Better::kLower);
  if (!create.first_error.empty()) result.AddParam("first_create_error", create.first_error);
  if (!append.first_error.empty()) result.AddParam("first_append_error", append.first_error);
  co_return result;
}

}  // namespace

ScenarioResult RunManyStreamsScenario(const RunContext& context) {
  if (context.options.count < 1) throw std::runtime_error("many-streams needs --count >= 1");
  ManyStreamsState state;
  IoPool pool(context.options.threads);
  return pool.Run(Orchestrate(pool, context, state));
}

}  // namespace dsbench
