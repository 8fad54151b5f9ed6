#include "metrics/exposition.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace streamkeeper {
namespace {

std::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
  }
  return "untyped";
}

void AppendEscaped(std::string_view text, bool escape_quote, std::string* out) {
  for (char c : text) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '"' && escape_quote) {
      out->append("\\\"");
    } else {
      out->push_back(c);
    }
  }
}

void AppendUnsigned(uint64_t value, std::string* out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out->append(buf, end);
}

void AppendLabel(const MetricLabel& label, bool first, std::string* out) {
  if (!first) out->push_back(',');
  out->append(label.first).append("=\"");
  AppendEscaped(label.second, /*escape_quote=*/true, out);
  out->push_back('"');
}

}  // namespace

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  // Plain decimals where they stay short (bucket bounds like 0.0001, seconds since 1970), the
  // shortest round-trip form otherwise (1e-09, 1e+20); Prometheus parses both.
  double magnitude = std::fabs(value);
  bool fixed = magnitude == 0 || (magnitude >= 1e-6 && magnitude < 1e15);
  auto [end, ec] = fixed ? std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed)
                         : std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, end);
}

void Exposition::family(std::string_view name, MetricType type, std::string_view help) {
  text_.append("# HELP ").append(name).push_back(' ');
  AppendEscaped(help, /*escape_quote=*/false, &text_);
  text_.append("\n# TYPE ").append(name).push_back(' ');
  text_.append(TypeName(type)).push_back('\n');
}

void Exposition::begin_sample(std::string_view name, std::string_view suffix, MetricLabels labels,
                              const MetricLabel* extra) {
  text_.append(name).append(suffix);
  if (labels.size() == 0 && extra == nullptr) {
    text_.push_back(' ');
    return;
  }
  text_.push_back('{');
  bool first = true;
  for (const MetricLabel& label : labels) {
    AppendLabel(label, first, &text_);
    first = false;
  }
  if (extra != nullptr) AppendLabel(*extra, first, &text_);
  text_.append("} ");
}

void Exposition::sample(std::string_view name, MetricLabels labels, uint64_t value) {
  begin_sample(name, {}, labels);
  AppendUnsigned(value, &text_);
  text_.push_back('\n');
}

void Exposition::sample(std::string_view name, MetricLabels labels, double value) {
  begin_sample(name, {}, labels);
  text_.append(FormatMetricValue(value)).push_back('\n');
}

void Exposition::histogram(std::string_view name, MetricLabels labels,
                           const HistogramSnapshot& snapshot) {
  uint64_t cumulative = 0;
  // An empty snapshot (no buckets at all) still gets its +Inf bucket.
  const size_t buckets = std::max<size_t>(snapshot.counts.size(), 1);
  for (size_t i = 0; i < buckets; ++i) {
    if (i < snapshot.counts.size()) cumulative += snapshot.counts[i];
    std::string bound = i < snapshot.upper_bounds.size()
                            ? FormatMetricValue(snapshot.upper_bounds[i])
                            : std::string("+Inf");
    MetricLabel le{"le", bound};
    begin_sample(name, "_bucket", labels, &le);
    AppendUnsigned(cumulative, &text_);
    text_.push_back('\n');
  }
  begin_sample(name, "_sum", labels);
  text_.append(FormatMetricValue(snapshot.sum)).push_back('\n');
  begin_sample(name, "_count", labels);
  AppendUnsigned(cumulative, &text_);
  text_.push_back('\n');
}

void Exposition::single(std::string_view name, MetricType type, std::string_view help,
                        uint64_t value) {
  family(name, type, help);
  sample(name, {}, value);
}

void Exposition::single(std::string_view name, MetricType type, std::string_view help,
                        double value) {
  family(name, type, help);
  sample(name, {}, value);
}

}  // namespace streamkeeper
