// Exposition: renders metrics in the Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/), the answer to GET /metrics.
//
// A metric family is a # HELP and a # TYPE line followed by its samples, one per line:
//   name{label="value",...} value
// Label values escape backslash, double quote and line feed (\\, \", \n); help text escapes
// backslash and line feed. Values print as integers when they are counts, otherwise as the
// shortest decimal that reads back as the same double; infinities as +Inf / -Inf, NaN as NaN.
// A histogram is its cumulative name_bucket{le="..."} samples ending with le="+Inf", then
// name_sum and name_count.
//
// This class formats and nothing else: it takes names, labels and numbers as given and does not
// check that names are valid or that a family's samples follow their header (the callers' lists
// of metrics are fixed in code, and the exact text is what the tests pin). Not thread-safe: one
// scrape builds one Exposition.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "streamkeeper/histogram.h"

namespace streamkeeper {

enum class MetricType { kCounter, kGauge, kHistogram };

// One label: name and (unescaped) value.
using MetricLabel = std::pair<std::string_view, std::string_view>;
using MetricLabels = std::initializer_list<MetricLabel>;

class Exposition {
 public:
  // The Content-Type of the text: "text/plain; version=0.0.4; charset=utf-8".
  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

  // Starts a family: "# HELP name help" and "# TYPE name type". Its samples follow.
  void family(std::string_view name, MetricType type, std::string_view help);

  // One sample line. The integer overload prints the count exactly (a double would round
  // counts above 2^53).
  void sample(std::string_view name, MetricLabels labels, uint64_t value);
  void sample(std::string_view name, MetricLabels labels, double value);

  // The samples of one histogram series: name_bucket for every bound and +Inf (cumulative),
  // name_sum, name_count; `labels` go before `le`. name_count is the +Inf bucket, so the two
  // always agree even if the snapshot was taken while observations arrived.
  void histogram(std::string_view name, MetricLabels labels, const HistogramSnapshot& snapshot);

  // A family with one sample and no labels (most process and engine gauges).
  void single(std::string_view name, MetricType type, std::string_view help, uint64_t value);
  void single(std::string_view name, MetricType type, std::string_view help, double value);

  const std::string& text() const { return text_; }
  std::string take() { return std::move(text_); }

 private:
  void begin_sample(std::string_view name, std::string_view suffix, MetricLabels labels,
                    const MetricLabel* extra = nullptr);

  std::string text_;
};

// The value as the format writes it (see the header comment): "3", "0.25", "+Inf", "NaN".
std::string FormatMetricValue(double value);

}  // namespace streamkeeper
