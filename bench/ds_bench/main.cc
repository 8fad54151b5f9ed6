// ds-bench: a load generator for Durable Streams servers on this machine.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <cxxopts.hpp>
#include <exception>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>

#include "options.h"
#include "report.h"
#include "scenario.h"
#include "target.h"

namespace {

using dsbench::BenchOptions;

const std::map<std::string, std::function<dsbench::ScenarioResult(const dsbench::RunContext&)>>&
Scenarios() {
  static const std::map<std::string,
                        std::function<dsbench::ScenarioResult(const dsbench::RunContext&)>>
      scenarios = {{"append", dsbench::RunAppendScenario},
                   {"latency", dsbench::RunLatencyScenario},
                   {"fanout", dsbench::RunFanoutScenario},
                   {"catchup", dsbench::RunCatchupScenario},
                   {"many-streams", dsbench::RunManyStreamsScenario}};
  return scenarios;
}

// Thousands of SSE subscribers need as many descriptors as the hard limit allows.
void RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

cxxopts::Options MakeParser(BenchOptions& o) {
  cxxopts::Options parser(
      "ds-bench",
      "Load generator for Durable Streams servers. Only loopback targets are allowed.\n"
      "Scenarios:\n"
      "  append        C connections POST B-byte bodies round-robin to S streams for D s\n"
      "  latency       a writer appends at R/s; long-poll and SSE readers measure delivery\n"
      "  fanout        one writer at R/s, K subscribers (SSE, or long-poll with --reader)\n"
      "                on one stream; delivery latency, server RSS\n"
      "  catchup       write --size-mb MiB in 1 MiB appends, then time reading it back\n"
      "  many-streams  --count streams in phases (--phases, in the order given):\n"
      "                  create  PUT each stream (with --ttl or --expires-in if given)\n"
      "                  append  POST one --body-bytes body to each\n"
      "                  cold    GET offset=-1 and POST, alternating, to streams drawn uniformly\n"
      "                          at random, at --rate requests/s (default 1000) over C\n"
      "                          connections for --warmup + --duration s; latency p50/p99/p999\n"
      "                          of reads and appends apart. Slots a busy connection misses\n"
      "                          are skipped and counted (cold_missed_slots), not sent late\n"
      "                  probe   HEAD --sample random streams: found (200) / missing (404)\n"
      "                Streams are named <prefix>-many-<i>: give the same --prefix and --count\n"
      "                to work on an earlier run's streams (e.g. --phases cold after a\n"
      "                restart). Nothing is held per stream, so --count 10000000 is fine.\n");
  // clang-format off
  parser.add_options()
    ("scenario", "append | latency | fanout | catchup | many-streams",
     cxxopts::value(o.scenario))
    ("url", "server base URL, http:// or https:// (loopback only)",
     cxxopts::value(o.url)->default_value(o.url))
    ("ca", "https://: PEM file of the CAs to trust (default: the system's); the certificate "
           "must name the URL's host",
     cxxopts::value(o.ca_file)->default_value(""))
    ("token", "send every request with \"Authorization: Bearer TOKEN\" (a server with "
              "--auth-file or JWT)",
     cxxopts::value(o.token)->default_value(""))
    ("label", "name of the server under test, copied into the report",
     cxxopts::value(o.label)->default_value(""))
    ("json", "also write the result as JSON to FILE", cxxopts::value(o.json_path))
    ("prefix", "stream name prefix (default: dsb-<pid>-<unix time>)", cxxopts::value(o.prefix))
    ("threads", "io_context threads", cxxopts::value(o.threads)->default_value("2"))
    ("connections", "concurrent connections (append, many-streams; catchup writes use min(C,4))",
     cxxopts::value(o.connections)->default_value("16"))
    ("streams", "streams to spread appends over (append)",
     cxxopts::value(o.streams)->default_value("16"))
    ("body-bytes", "append body size in bytes (append, many-streams; latency/fanout pad to it)",
     cxxopts::value(o.body_bytes)->default_value("128"))
    ("duration", "measured seconds (append, latency, fanout, many-streams cold)",
     cxxopts::value(o.duration_s)->default_value("10"))
    ("warmup", "warm-up seconds before measuring (append, latency, many-streams cold)",
     cxxopts::value(o.warmup_s)->default_value("2"))
    ("rate", "writer appends per second (latency default 100, fanout default 10); requests "
     "per second (many-streams cold, default 1000)",
     cxxopts::value(o.rate)->default_value("0"))
    ("subscribers", "subscribers (fanout, default 1000); readers per mode (latency, default 1)",
     cxxopts::value(o.subscribers)->default_value("0"))
    ("reader", "how fanout subscribers follow the stream: sse, or long-poll (each echoes "
     "Stream-Cursor, so a cache in front can collapse them)",
     cxxopts::value(o.reader)->default_value(o.reader))
    ("size-mb", "MiB to write and read back (catchup)",
     cxxopts::value(o.size_mb)->default_value("1024"))
    ("count", "streams to create or draw from (many-streams)",
     cxxopts::value(o.count)->default_value("100000"))
    ("phases", "many-streams phases, comma list of create, append, cold, probe",
     cxxopts::value(o.phases)->default_value(o.phases))
    ("ttl", "create streams with Stream-TTL: SECONDS (many-streams; sliding: from last access)",
     cxxopts::value(o.ttl_s)->default_value("0"))
    ("expires-in", "create streams with Stream-Expires-At now + SECONDS, the same instant for "
     "all (many-streams)", cxxopts::value(o.expires_in_s)->default_value("0"))
    ("sample", "streams to HEAD (many-streams probe)",
     cxxopts::value(o.sample)->default_value("200"))
    ("seed", "seed of the random stream choice (many-streams cold, probe; 0: from the clock)",
     cxxopts::value(o.seed)->default_value("0"))
    ("timeline", "write '<unix ms> <appends ok> <errors>' to FILE once a second (append)",
     cxxopts::value(o.timeline_path))
    ("producer", "append with Producer-Id/Epoch/Seq headers; success means 200 (append)",
     cxxopts::value(o.producer)->default_value("false"))
    ("server-pid", "server process id; fanout reports its VmRSS per subscriber",
     cxxopts::value(o.server_pid)->default_value("0"))
    ("timeout-ms", "connect and per-request timeout",
     cxxopts::value<long>()->default_value("10000"))
    ("long-poll-timeout-ms", "the server's long-poll timeout; live reads wait this plus "
     "--timeout-ms before giving up", cxxopts::value<long>()->default_value("30000"))
    ("h,help", "show this help");
  // clang-format on
  return parser;
}

std::string DefaultPrefix() {
  return "dsb-" + std::to_string(getpid()) + "-" + std::to_string(std::time(nullptr));
}

}  // namespace

int main(int argc, char** argv) {
  BenchOptions options;
  cxxopts::Options parser = MakeParser(options);
  try {
    const auto parsed = parser.parse(argc, argv);
    if (parsed.count("help") || argc == 1) {
      std::cout << parser.help() << std::endl;
      return 0;
    }
    options.timeout = std::chrono::milliseconds(parsed["timeout-ms"].as<long>());
    options.long_poll_timeout =
        std::chrono::milliseconds(parsed["long-poll-timeout-ms"].as<long>());
  } catch (const std::exception& e) {
    std::cerr << "ds-bench: " << e.what() << "\n";
    return 2;
  }
  const auto scenario = Scenarios().find(options.scenario);
  if (scenario == Scenarios().end()) {
    std::cerr << "ds-bench: unknown --scenario '" << options.scenario << "'\n";
    return 2;
  }
  if (options.threads < 1) options.threads = 1;

  std::string error;
  auto target = dsbench::ResolveLoopbackTarget(options.url, &error, options.ca_file);
  if (!target) {
    std::cerr << "ds-bench: " << error << "\n";
    return 2;
  }
  if (!options.token.empty()) target->authorization = "Bearer " + options.token;
  if (!options.timeline_path.empty() && !std::ofstream(options.timeline_path)) {
    std::cerr << "ds-bench: cannot write " << options.timeline_path << "\n";
    return 2;
  }
  RaiseFileLimit();

  const dsbench::RunContext context{options, *target,
                                    options.prefix.empty() ? DefaultPrefix() : options.prefix};
  dsbench::ScenarioResult result;
  try {
    result = scenario->second(context);
  } catch (const std::exception& e) {
    std::cerr << "ds-bench: " << options.scenario << " failed: " << e.what() << "\n";
    return 1;
  }
  dsbench::PrintTable(result, std::cout);
  if (!options.json_path.empty() && !dsbench::WriteJson(result, options.json_path, &error)) {
    std::cerr << "ds-bench: " << error << "\n";
    return 1;
  }
  return 0;
}
