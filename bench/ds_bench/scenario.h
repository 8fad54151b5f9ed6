// What every scenario receives, and the scenario entry points.
#ifndef DS_BENCH_SCENARIO_H_
#define DS_BENCH_SCENARIO_H_

#include <string>

#include "options.h"
#include "report.h"
#include "target.h"

namespace dsbench {

struct RunContext {
  const BenchOptions& options;
  const Target& target;
  std::string prefix;  // unique per run, e.g. "dsb-<pid>-<unix time>"

  // "<prefix>-<tag>-<n>" under /v1/stream/.
  std::string StreamPath(const std::string& tag, long n) const {
    return target.StreamPath(prefix + "-" + tag + "-" + std::to_string(n));
  }
  ScenarioResult NewResult() const {
    ScenarioResult result;
    result.scenario = options.scenario;
    result.label = options.label;
    result.url = options.url;
    return result;
  }
};

// Each blocks until its scenario finishes (bounded by duration / count and
// request timeouts). They throw std::runtime_error when the setup phase fails,
// e.g. streams cannot be created.
ScenarioResult RunAppendScenario(const RunContext& context);
ScenarioResult RunLatencyScenario(const RunContext& context);
ScenarioResult RunFanoutScenario(const RunContext& context);
ScenarioResult RunCatchupScenario(const RunContext& context);
ScenarioResult RunManyStreamsScenario(const RunContext& context);

}  // namespace dsbench

#endif  // DS_BENCH_SCENARIO_H_
