#include "report.h"

#include <boost/json.hpp>
#include <cstdio>
#include <fstream>
#include <iomanip>

#include "histogram.h"

namespace dsbench {
namespace {

const char* BetterName(Better better) {
  switch (better) {
    case Better::kHigher:
      return "higher";
    case Better::kLower:
      return "lower";
    case Better::kNeither:
      break;
  }
  return "neither";
}

std::string FormatValue(double value) {
  char text[64];
  if (value != 0 && (value >= 1e9 || value < 0.01)) {
    std::snprintf(text, sizeof text, "%.3g", value);
  } else if (value >= 1000 || value == static_cast<long long>(value)) {
    std::snprintf(text, sizeof text, "%.0f", value);
  } else {
    std::snprintf(text, sizeof text, "%.2f", value);
  }
  return text;
}

}  // namespace

void ScenarioResult::AddParam(std::string name, double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%g", value);
  AddParam(std::move(name), std::string(text));
}

void ScenarioResult::AddLatency(const std::string& prefix, const Histogram& histogram) {
  Add(prefix + "_p50_us", static_cast<double>(histogram.ValueAtQuantile(0.50)), "us",
      Better::kLower);
  Add(prefix + "_p99_us", static_cast<double>(histogram.ValueAtQuantile(0.99)), "us",
      Better::kLower);
  Add(prefix + "_p999_us", static_cast<double>(histogram.ValueAtQuantile(0.999)), "us",
      Better::kLower);
  Add(prefix + "_max_us", static_cast<double>(histogram.Max()), "us", Better::kLower);
  Add(prefix + "_samples", static_cast<double>(histogram.Count()), "", Better::kNeither);
}

void PrintTable(const ScenarioResult& result, std::ostream& out) {
  out << "\n== ds-bench " << result.scenario;
  if (!result.label.empty()) out << " [" << result.label << "]";
  out << " against " << result.url << "\n";
  for (const auto& [name, value] : result.params) out << "   " << name << "=" << value << "\n";
  std::size_t width = 6;
  for (const auto& m : result.metrics) width = std::max(width, m.name.size());
  out << "   " << std::left << std::setw(static_cast<int>(width)) << "metric"
      << "  " << std::right << std::setw(14) << "value"
      << "  unit\n";
  for (const auto& m : result.metrics) {
    out << "   " << std::left << std::setw(static_cast<int>(width)) << m.name << "  " << std::right
        << std::setw(14) << FormatValue(m.value) << "  " << m.unit << "\n";
  }
  out.flush();
}

bool WriteJson(const ScenarioResult& result, const std::string& path, std::string* error) {
  boost::json::object params;
  for (const auto& [name, value] : result.params) params[name] = value;
  boost::json::array metrics;
  for (const auto& m : result.metrics) {
    metrics.push_back(boost::json::object{
        {"name", m.name}, {"value", m.value}, {"unit", m.unit}, {"better", BetterName(m.better)}});
  }
  const boost::json::object doc{{"label", result.label},
                                {"scenario", result.scenario},
                                {"url", result.url},
                                {"params", std::move(params)},
                                {"metrics", std::move(metrics)}};
  std::ofstream file(path, std::ios::trunc);
  file << boost::json::serialize(doc) << "\n";
  if (!file) {
    *error = "cannot write " + path;
    return false;
  }
  return true;
}

}  // namespace dsbench
