// Scenario results: a human-readable table and a JSON document.
#ifndef DS_BENCH_REPORT_H_
#define DS_BENCH_REPORT_H_

#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace dsbench {

class Histogram;

enum class Better { kHigher, kLower, kNeither };

struct Metric {
  std::string name;  // snake_case, stable: scripts key on it
  double value = 0;
  std::string unit;
  Better better = Better::kNeither;
};

struct ScenarioResult {
  std::string scenario;
  std::string label;
  std::string url;
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<Metric> metrics;

  void Add(std::string name, double value, std::string unit, Better better) {
    metrics.push_back({std::move(name), value, std::move(unit), better});
  }
  void AddParam(std::string name, std::string value) {
    params.emplace_back(std::move(name), std::move(value));
  }
  void AddParam(std::string name, double value);  // printed without trailing zeros
  // Adds <prefix>_p50_us, _p99_us, _p999_us, _max_us and _samples.
  void AddLatency(const std::string& prefix, const Histogram& histogram);
};

void PrintTable(const ScenarioResult& result, std::ostream& out);

// Writes {"label","scenario","url","params":{..},"metrics":[{name,value,unit,
// better}]}. Returns false and sets *error when the file cannot be written.
bool WriteJson(const ScenarioResult& result, const std::string& path, std::string* error);

}  // namespace dsbench

#endif  // DS_BENCH_REPORT_H_
