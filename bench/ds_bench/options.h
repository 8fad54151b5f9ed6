// Command-line settings shared by every scenario.
#ifndef DS_BENCH_OPTIONS_H_
#define DS_BENCH_OPTIONS_H_

#include <chrono>
#include <string>

namespace dsbench {

struct BenchOptions {
  std::string scenario;
  std::string url = "http://127.0.0.1:4437";
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
  int size_mb = 1024;
  int count = 100000;
  bool producer = false;
  long server_pid = 0;                                 // 0: no RSS measurement
  std::chrono::milliseconds timeout{10000};            // connect / plain request
  std::chrono::milliseconds long_poll_timeout{30000};  // the server's, for read deadlines
};

}  // namespace dsbench

#endif  // DS_BENCH_OPTIONS_H_
