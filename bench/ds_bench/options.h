// Command-line settings shared by every scenario.
#ifndef DS_BENCH_OPTIONS_H_
#define DS_BENCH_OPTIONS_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace dsbench {

struct BenchOptions {
  std::string scenario;
  std::string url = "http://127.0.0.1:4437";
  std::string token;      // sent as "Authorization: Bearer <token>" when not empty
  std::string ca_file;    // https://: the CAs trusted; empty: the system's
  std::string label;      // names the server under test in the report
  std::string json_path;  // empty: no JSON output
  std::string prefix;     // stream name prefix, unique per run
  int threads = 2;        // io_context threads
  int connections = 16;
  int streams = 16;
  int body_bytes = 128;
  double duration_s = 10;
  double warmup_s = 2;
  double rate = 100;    // appends/s for latency and fanout
  int subscribers = 0;  // 0: the scenario's default
  std::string reader = "sse";  // fanout: how subscribers follow the stream, sse or long-poll
  int size_mb = 1024;
  int count = 100000;
  std::string phases = "create,append";  // many-streams: comma list of its phases
  long ttl_s = 0;                        // many-streams create: Stream-TTL; 0: none
  long expires_in_s = 0;      // many-streams create: Stream-Expires-At this far ahead; 0: none
  int sample = 200;           // many-streams probe: streams to HEAD
  uint64_t seed = 0;          // stream choice of cold and probe; 0: from the clock
  std::string timeline_path;  // append: one line per second of counts; empty: none
  bool producer = false;
  long server_pid = 0;                                 // 0: no RSS measurement
  std::chrono::milliseconds timeout{10000};            // connect / plain request
  std::chrono::milliseconds long_poll_timeout{30000};  // the server's, for read deadlines
};

}  // namespace dsbench

#endif  // DS_BENCH_OPTIONS_H_
