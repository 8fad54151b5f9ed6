// catchup: write about --size-mb MiB to one stream in 1 MiB appends, then time
// one reader fetching it all from offset -1, following Stream-Next-Offset
// until Stream-Up-To-Date.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <stdexcept>

#include "http_connection.h"
#include "io_pool.h"
#include "parallel_requests.h"
#include "scenario.h"
#include "stream_ops.h"

namespace dsbench {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

constexpr size_t kAppendBytes = 1 << 20;
constexpr int kMaxWriters = 4;
constexpr double kMiB = 1024.0 * 1024.0;

struct CatchupState {
  // Outlives the scenario coroutine, like everything else the pool may still touch.
  std::atomic<bool> progress_stop{false};
  std::atomic<uint64_t> appended{0};  // MiB
  std::atomic<uint64_t> read_bytes{0};
};

struct ReadOutcome {
  uint64_t bytes = 0;
  uint64_t requests = 0;
  double seconds = 0;
  std::string error;
};

asio::awaitable<ReadOutcome> ReadAll(const RunContext& context, const std::string& path,
                                     std::atomic<uint64_t>& progress) {
  HttpConnection connection(co_await asio::this_coro::executor, context.target);
  ReadOutcome outcome;
  std::string offset = "-1";
  const auto start = Clock::now();
  // A server may return the whole stream in one response: allow a slow one.
  const auto timeout =
      std::max<std::chrono::milliseconds>(context.options.timeout, std::chrono::minutes(5));
  while (true) {
    HttpRequest request = ReadRequest(ReadTarget(path, offset), timeout);
    request.discard_body = true;
    const HttpResponse response = co_await connection.Send(request);
    outcome.requests++;
    if (response.status != 200) {
      outcome.error = response.status ? "HTTP " + std::to_string(response.status) : response.error;
      break;
    }
    outcome.bytes += response.body_bytes;
    progress += response.body_bytes;
    if (response.up_to_date) break;
    if (response.next_offset.empty() ||
        (response.next_offset == offset && response.body_bytes == 0)) {
      outcome.error = "read made no progress at offset " + offset;
      break;
    }
    offset = response.next_offset;
  }
  outcome.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  co_return outcome;
}

asio::awaitable<ScenarioResult> Orchestrate(IoPool& pool, const RunContext& context,
                                            CatchupState& state) {
  const auto& options = context.options;
  const std::string path = context.StreamPath("catchup", 0);
  HttpConnection setup(co_await asio::this_coro::executor, context.target);
  const auto created = co_await setup.Send(CreateRequest(path, kOctetStream, options.timeout));
  if (!created.Ok()) {
    throw std::runtime_error(
        "cannot create " + path + ": " +
        (created.status ? "HTTP " + std::to_string(created.status) : created.error));
  }

  asio::co_spawn(co_await asio::this_coro::executor,
                 ReportProgress(
                     "catchup",
                     [&] {
                       return "written_mib=" + std::to_string(state.appended.load()) +
                              " read_mib=" + std::to_string(state.read_bytes.load() >> 20);
                     },
                     &state.progress_stop),
                 asio::detached);

  std::string body(kAppendBytes, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 131 + 7);
  const auto write = co_await SendInParallel(
      pool, context.target, static_cast<uint64_t>(options.size_mb),
      std::min(options.connections, kMaxWriters),
      [&](uint64_t) { return AppendRequest(path, kOctetStream, body, options.timeout * 6); },
      nullptr, &state.appended);
  if (write.failed > 0) {
    state.progress_stop = true;
    throw std::runtime_error("writing failed: " + write.first_error);
  }
  const ReadOutcome read = co_await ReadAll(context, path, state.read_bytes);
  state.progress_stop = true;
  if (!read.error.empty()) throw std::runtime_error("reading failed: " + read.error);
  const double written_bytes = static_cast<double>(write.ok) * kAppendBytes;
  if (read.bytes != write.ok * kAppendBytes) {
    throw std::runtime_error("read " + std::to_string(read.bytes) + " bytes but wrote " +
                             std::to_string(write.ok * kAppendBytes));
  }

  ScenarioResult result = context.NewResult();
  result.AddParam("size_mib", options.size_mb);
  result.AddParam("append_bytes", std::to_string(kAppendBytes));
  result.AddParam("writers", std::min(options.connections, kMaxWriters));
  result.Add("write_mb_per_s", written_bytes / 1e6 / write.seconds, "MB/s", Better::kHigher);
  result.Add("read_mb_per_s", static_cast<double>(read.bytes) / 1e6 / read.seconds, "MB/s",
             Better::kHigher);
  result.Add("read_seconds", read.seconds, "s", Better::kLower);
  result.Add("read_requests", static_cast<double>(read.requests), "", Better::kNeither);
  result.Add("read_mib", static_cast<double>(read.bytes) / kMiB, "MiB", Better::kNeither);
  co_return result;
}

}  // namespace

ScenarioResult RunCatchupScenario(const RunContext& context) {
  if (context.options.size_mb < 1) throw std::runtime_error("catchup needs --size-mb >= 1");
  CatchupState state;
  IoPool pool(context.options.threads);
  return pool.Run(Orchestrate(pool, context, state));
}

}  // namespace dsbench
