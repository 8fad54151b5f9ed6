// Process metrics: this process's CPU time, memory, descriptors and start time, read from /proc
// at scrape time, under the names every Prometheus client library uses:
//
//   process_cpu_seconds_total      counter  user + system CPU time
//   process_resident_memory_bytes  gauge    resident set size
//   process_virtual_memory_bytes   gauge    virtual memory size
//   process_open_fds               gauge    open file descriptors
//   process_max_fds                gauge    the descriptor limit (RLIMIT_NOFILE, soft)
//   process_start_time_seconds     gauge    start time, seconds since the Unix epoch
//
// A value that cannot be read (no /proc) is left out rather than reported as 0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "metrics/exposition.h"

namespace streamkeeper {

struct ProcessStats {
  std::optional<double> cpu_seconds;
  std::optional<uint64_t> resident_bytes;
  std::optional<uint64_t> virtual_bytes;
  std::optional<uint64_t> open_fds;
  std::optional<uint64_t> max_fds;
  std::optional<double> start_time_seconds;
};

// The fields of a /proc/<pid>/stat line (proc(5)): utime, stime, starttime (clock ticks), vsize
// (bytes) and rss (pages). `boot_time_seconds` is the btime line of /proc/stat. Leaves *out
// unchanged when the line does not parse (the command name, in parentheses, may hold spaces
// and parentheses: fields are counted after the last ')').
void ParseProcStat(std::string_view stat, long ticks_per_second, long page_size,
                   uint64_t boot_time_seconds, ProcessStats* out);

// The btime line of a /proc/stat text; nullopt if absent.
std::optional<uint64_t> ParseBootTime(std::string_view proc_stat);

// Reads this process's stats from /proc/self and getrlimit(). Reads four small files and lists
// /proc/self/fd: for a scrape, not a request path.
ProcessStats ReadProcessStats();

// Appends the families above for the values that are set.
void WriteProcessMetrics(const ProcessStats& stats, Exposition* out);

}  // namespace streamkeeper
