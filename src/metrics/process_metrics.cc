#include "metrics/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <vector>

namespace streamkeeper {
namespace {

std::string ReadFile(const char* path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<uint64_t> ParseUnsigned(std::string_view text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<uint64_t> CountOpenDescriptors() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return std::nullopt;
  uint64_t count = 0;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count - 1;  // the descriptor of the listing itself
}

}  // namespace

void ParseProcStat(std::string_view stat, long ticks_per_second, long page_size,
                   uint64_t boot_time_seconds, ProcessStats* out) {
  size_t paren = stat.rfind(')');
  if (paren == std::string_view::npos || ticks_per_second <= 0) return;
  // Fields after the command, numbered as in proc(5): the state is field 3.
  std::vector<std::string_view> fields;
  std::string_view rest = stat.substr(paren + 1);
  while (!rest.empty()) {
    size_t start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    size_t end = rest.find_first_of(" \n");
    fields.push_back(rest.substr(0, end));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end);
  }
  auto field = [&](size_t number) -> std::optional<uint64_t> {
    if (number < 3 || number - 3 >= fields.size()) return std::nullopt;
    return ParseUnsigned(fields[number - 3]);
  };
  auto utime = field(14), stime = field(15), starttime = field(22), vsize = field(23),
       rss = field(24);
  if (!utime || !stime || !starttime || !vsize || !rss) return;
  const double ticks = static_cast<double>(ticks_per_second);
  out->cpu_seconds = static_cast<double>(*utime + *stime) / ticks;
  out->start_time_seconds = static_cast<double>(boot_time_seconds) +
                            static_cast<double>(*starttime) / ticks;
  out->virtual_bytes = *vsize;
  out->resident_bytes = *rss * static_cast<uint64_t>(page_size);
}

std::optional<uint64_t> ParseBootTime(std::string_view proc_stat) {
  size_t at = 0;
  while (at < proc_stat.size()) {
    size_t end = proc_stat.find('\n', at);
    std::string_view line = proc_stat.substr(at, end == std::string_view::npos ? end : end - at);
    if (line.starts_with("btime ")) return ParseUnsigned(line.substr(6));
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  return std::nullopt;
}

ProcessStats ReadProcessStats() {
  ProcessStats stats;
  if (std::optional<uint64_t> boot = ParseBootTime(ReadFile("/proc/stat"))) {
    ParseProcStat(ReadFile("/proc/self/stat"), ::sysconf(_SC_CLK_TCK), ::sysconf(_SC_PAGESIZE),
                  *boot, &stats);
  }
  stats.open_fds = CountOpenDescriptors();
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    stats.max_fds = limit.rlim_cur;
  }
  return stats;
}

void WriteProcessMetrics(const ProcessStats& stats, Exposition* out) {
  if (stats.cpu_seconds) {
    out->single("process_cpu_seconds_total", MetricType::kCounter,
                "CPU time this process has used, user and system, in seconds.", *stats.cpu_seconds);
  }
  if (stats.resident_bytes) {
    out->single("process_resident_memory_bytes", MetricType::kGauge,
                "Memory of this process resident in RAM, in bytes.", *stats.resident_bytes);
  }
  if (stats.virtual_bytes) {
    out->single("process_virtual_memory_bytes", MetricType::kGauge,
                "Virtual address space of this process, in bytes.", *stats.virtual_bytes);
  }
  if (stats.open_fds) {
    out->single("process_open_fds", MetricType::kGauge, "File descriptors this process has open.",
                *stats.open_fds);
  }
  if (stats.max_fds) {
    out->single("process_max_fds", MetricType::kGauge,
                "The most file descriptors this process may open (its soft RLIMIT_NOFILE).", *stats.max_fds);
  }
  if (stats.start_time_seconds) {
    out->single("process_start_time_seconds", MetricType::kGauge,
                "When this process started, in seconds since the Unix epoch.",
                *stats.start_time_seconds);
  }
}

}  // namespace streamkeeper
