// many-streams: --count streams, each created and appended to once, then loads on them. The
// phases (--phases, run in the order given):
//   create  PUT every stream over C connections, with Stream-TTL (--ttl) or Stream-Expires-At
//           (--expires-in) when asked
//   append  POST one --body-bytes body to every stream
//   cold    reads (GET offset=-1) and appends, alternating, each to a stream drawn uniformly at
//           random among the --count, at --rate requests/s over C connections for --warmup +
//           --duration seconds: with a bounded server-side cache almost every one is cold
//   probe   HEAD --sample streams drawn at random: how many exist and how many are gone (404)
// Streams are "<prefix>-many-<i>", so a later run given the same --prefix and --count works on
// the streams of an earlier one (e.g. across a server restart). Nothing is kept per stream here:
// paths are generated from the index, so 10,000,000 streams cost the client no more than 1,000.
#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <ctime>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "histogram.h"
#include "io_pool.h"
#include "parallel_requests.h"
#include "random_streams.h"
#include "scenario.h"
#include "stream_ops.h"

namespace dsbench {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

enum class Phase { kCreate, kAppend, kCold, kProbe };

std::vector<Phase> ParsePhases(const std::string& list) {
  std::vector<Phase> phases;
  std::stringstream items(list);
  std::string item;
  while (std::getline(items, item, ',')) {
    if (item == "create") {
      phases.push_back(Phase::kCreate);
    } else if (item == "append") {
      phases.push_back(Phase::kAppend);
    } else if (item == "cold") {
      phases.push_back(Phase::kCold);
    } else if (item == "probe") {
      phases.push_back(Phase::kProbe);
    } else {
      throw std::runtime_error("unknown many-streams phase '" + item +
                               "' (create, append, cold, probe)");
    }
  }
  if (phases.empty()) throw std::runtime_error("many-streams needs at least one --phases entry");
  return phases;
}

// "2026-11-27T05:15:32Z", `seconds` from now.
std::string Rfc3339FromNow(long seconds) {
  const std::time_t when = std::time(nullptr) + seconds;
  std::tm utc{};
  gmtime_r(&when, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string ManyPath(const RunContext& context, uint64_t i) {
  return context.StreamPath("many", static_cast<long>(i));
}

struct ManyStreamsState {
  // Outlives the scenario coroutine, like everything else the pool may still touch.
  std::atomic<bool> progress_stop{false};
  Histogram create_latency;
  Histogram append_latency;
  std::atomic<uint64_t> created{0};
  std::atomic<uint64_t> appended{0};
  std::atomic<uint64_t> probed{0};
  ColdLoadStats cold;
};

class ManyStreams {
 public:
  ManyStreams(IoPool& pool, const RunContext& context, ManyStreamsState& state, uint64_t seed)
      : pool_(pool),
        context_(context),
        options_(context.options),
        state_(state),
        seed_(seed),
        count_(static_cast<uint64_t>(options_.count)) {}

  asio::awaitable<ScenarioResult> Run(const std::vector<Phase>& phases) {
    asio::co_spawn(co_await asio::this_coro::executor,
                   ReportProgress(
                       "many-streams", [this] { return ProgressLine(); }, &state_.progress_stop),
                   asio::detached);
    result_ = context_.NewResult();
    result_.AddParam("phases", options_.phases);
    result_.AddParam("prefix", context_.prefix);
    result_.AddParam("count", options_.count);
    result_.AddParam("connections", options_.connections);
    result_.AddParam("body_bytes", options_.body_bytes);
    result_.AddParam("seed", std::to_string(seed_));
    for (const Phase phase : phases) {
      switch (phase) {
        case Phase::kCreate:
          co_await Create();
          break;
        case Phase::kAppend:
          co_await Append();
          break;
        case Phase::kCold:
          co_await Cold();
          break;
        case Phase::kProbe:
          co_await Probe();
          break;
      }
    }
    state_.progress_stop = true;
    if (create_append_errors_ >= 0) {
      result_.Add("errors", static_cast<double>(create_append_errors_), "", Better::kLower);
    }
    AddClientUsage();
    co_return std::move(result_);
  }

 private:
  std::string Path(uint64_t i) const { return ManyPath(context_, i); }

  std::string ProgressLine() const {
    std::string line = "created=" + std::to_string(state_.created.load()) +
                       " appended=" + std::to_string(state_.appended.load());
    if (state_.cold.sent.load() > 0) line += " cold=" + std::to_string(state_.cold.sent.load());
    if (state_.probed.load() > 0) line += " probed=" + std::to_string(state_.probed.load());
    return line;
  }

  // "<verb>s_per_s", "<verb>_latency_*" and "first_<verb>_error" of a create or append pass.
  void AddPass(const std::string& verb, const ParallelOutcome& outcome, const Histogram& latency) {
    result_.Add(verb + "s_per_s", static_cast<double>(outcome.ok) / outcome.seconds, "1/s",
                Better::kHigher);
    result_.AddLatency(verb + "_latency", latency);
    create_append_errors_ =
        std::max<int64_t>(create_append_errors_, 0) + static_cast<int64_t>(outcome.failed);
    if (!outcome.first_error.empty())
      result_.AddParam("first_" + verb + "_error", outcome.first_error);
  }

  asio::awaitable<void> Create() {
    std::vector<std::pair<std::string, std::string>> headers;
    if (options_.ttl_s > 0) {
      headers.emplace_back("Stream-TTL", std::to_string(options_.ttl_s));
      result_.AddParam("ttl_s", static_cast<double>(options_.ttl_s));
    } else if (options_.expires_in_s > 0) {
      headers.emplace_back("Stream-Expires-At", Rfc3339FromNow(options_.expires_in_s));
      result_.AddParam("expires_at", headers.back().second);
    }
    const auto create = co_await SendInParallel(
        pool_, context_.target, count_, options_.connections,
        [&](uint64_t i) {
          HttpRequest request = CreateRequest(Path(i), kOctetStream, options_.timeout);
          request.headers = headers;
          return request;
        },
        &state_.create_latency, &state_.created);
    AddPass("create", create, state_.create_latency);
  }

  asio::awaitable<void> Append() {
    const std::string body(static_cast<size_t>(options_.body_bytes), 'm');
    const auto append = co_await SendInParallel(
        pool_, context_.target, count_, options_.connections,
        [&](uint64_t i) { return AppendRequest(Path(i), kOctetStream, body, options_.timeout); },
        &state_.append_latency, &state_.appended);
    AddPass("append", append, state_.append_latency);
  }

  asio::awaitable<void> Cold() {
    const double rate = options_.rate > 0 ? options_.rate : 1000;
    ColdLoadStats& stats = state_.cold;
    const auto start = Clock::now() + std::chrono::milliseconds(10);  // all on the grid
    const auto measure_from = start + Seconds(options_.warmup_s);
    const ColdLoadSpec spec{
        .target = context_.target,
        .options = options_,
        .path_of = [&context = context_](uint64_t i) { return ManyPath(context, i); },
        .count = count_,
        .seed = seed_,
        .rate = rate,
        .connections = options_.connections,
        .start = start,
        .measure_from = measure_from,
        .until = measure_from + Seconds(options_.duration_s)};
    stats.active = options_.connections;
    for (int c = 0; c < options_.connections; ++c) {
      asio::co_spawn(pool_.NextExecutor(), RunColdConnection(spec, stats, c), asio::detached);
    }
    co_await WaitUntil([&] { return stats.active.load() == 0; },
                       spec.until - Clock::now() + options_.timeout * 2);
    result_.AddParam("cold_rate", rate);
    result_.AddParam("cold_duration_s", options_.duration_s);
    const uint64_t answered =
        stats.read_latency.Count() + stats.append_latency.Count() + stats.errors.load();
    result_.Add("cold_requests_per_s", static_cast<double>(answered) / options_.duration_s, "1/s",
                Better::kHigher);
    result_.AddLatency("cold_read_latency", stats.read_latency);
    result_.AddLatency("cold_append_latency", stats.append_latency);
    result_.Add("cold_missed_slots", static_cast<double>(stats.missed_slots.load()), "",
                Better::kLower);
    result_.Add("cold_errors", static_cast<double>(stats.errors.load()), "", Better::kLower);
    std::lock_guard lock(stats.error_mutex);
    if (!stats.first_error.empty()) result_.AddParam("first_cold_error", stats.first_error);
  }

  asio::awaitable<void> Probe() {
    // Draws far from the cold phase's, which start at 0 for its first connection.
    constexpr uint64_t kFirstDraw = uint64_t{1} << 62;
    const auto sample = static_cast<uint64_t>(options_.sample);
    const auto probe = co_await SendInParallel(
        pool_, context_.target, sample, std::min(options_.connections, options_.sample),
        [&](uint64_t i) {
          return HeadRequest(Path(StreamDraw(seed_, kFirstDraw + i, count_)), options_.timeout);
        },
        nullptr, &state_.probed);
    result_.AddParam("probe_sample", options_.sample);
    result_.Add("probe_found", static_cast<double>(probe.ok), "", Better::kNeither);
    result_.Add("probe_missing", static_cast<double>(probe.not_found), "", Better::kNeither);
    result_.Add("probe_errors", static_cast<double>(probe.failed - probe.not_found), "",
                Better::kLower);
    if (probe.failed > probe.not_found) result_.AddParam("first_probe_error", probe.first_error);
  }

  // What this client cost, to tell its share of the shared cores and that it keeps no memory per
  // stream.
  void AddClientUsage() {
    rusage usage{};
    if (getrusage(RUSAGE_SELF, &usage) != 0) return;
    const double cpu_s = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
                         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    result_.Add("client_cpu_s", cpu_s, "s", Better::kNeither);
    result_.Add("client_max_rss_mib", usage.ru_maxrss / 1024.0, "MiB", Better::kNeither);
  }

  IoPool& pool_;
  const RunContext& context_;
  const BenchOptions& options_;
  ManyStreamsState& state_;
  const uint64_t seed_;
  const uint64_t count_;
  ScenarioResult result_;
  int64_t create_append_errors_ = -1;  // -1: neither phase ran
};

}  // namespace

ScenarioResult RunManyStreamsScenario(const RunContext& context) {
  const auto& options = context.options;
  const std::vector<Phase> phases = ParsePhases(options.phases);
  if (options.count < 1) throw std::runtime_error("many-streams needs --count >= 1");
  if (options.connections < 1) throw std::runtime_error("many-streams needs --connections >= 1");
  if (options.ttl_s > 0 && options.expires_in_s > 0) {
    throw std::runtime_error("--ttl and --expires-in are exclusive");
  }
  const bool creates = std::find(phases.begin(), phases.end(), Phase::kCreate) != phases.end();
  if (!creates && options.prefix.empty()) {
    throw std::runtime_error(
        "without the create phase, --prefix must name the streams of an "
        "earlier run");
  }
  if (options.sample < 1) throw std::runtime_error("many-streams needs --sample >= 1");
  const uint64_t seed = options.seed != 0 ? options.seed : static_cast<uint64_t>(SteadyNanos()) | 1;
  ManyStreamsState state;
  IoPool pool(options.threads);
  ManyStreams scenario(pool, context, state, seed);
  return pool.Run(scenario.Run(phases));
}

}  // namespace dsbench
