// The process's descriptor limit (RLIMIT_NOFILE), and how the server divides it between client
// connections and everything else.
//
// Every client connection is a descriptor; so are RocksDB's files, the listening socket, each IO
// thread's epoll, eventfd and timerfd, and stdio. When they run out, accept() fails with EMFILE
// and RocksDB cannot open an SST file (a failed read or compaction). So the server counts
// connections against --max-connections, whose default is what the limit leaves after a reserve
// for the rest, and RocksDB's open files are bounded (max_open_files) to fit that reserve.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace streamkeeper {

struct DescriptorLimit {
  uint64_t soft_before = 0;  // the soft limit the process started with
  uint64_t soft = 0;         // the soft limit in force now
  uint64_t hard = 0;         // RLIM_INFINITY as UINT64_MAX
  int error = 0;             // errno of a failed getrlimit/setrlimit; 0 if none
};

// Raises the soft RLIMIT_NOFILE to the hard limit (to fs.nr_open when the hard limit is
// unlimited: the kernel refuses more). Never lowers it. On failure the limit stays as it was
// and `error` says why.
DescriptorLimit RaiseDescriptorLimit();

struct DescriptorPlan {
  uint64_t limit = 0;              // the soft limit divided
  uint64_t process = 0;            // stdio, listening socket, 3 per IO thread, spare
  uint64_t refusals = 0;           // over-limit connections being answered 503
  uint64_t storage = 0;            // RocksDB: max_open_files and the files it is writing
  int storage_max_open_files = 0;  // for RocksDbOptions::max_open_files (0: no RocksDB)
  size_t max_connections = 0;      // what is left, but never below kMinConnections
  bool too_small = false;          // the reserve left less than kMinConnections
};

inline constexpr size_t kMinConnections = 16;

// Divides `limit` for a server with `io_threads` IO threads (0: one per core), up to `refusals`
// connections being refused at once, and RocksDB storage or not (memory storage opens no files).
DescriptorPlan PlanDescriptors(uint64_t limit, size_t io_threads, size_t refusals, bool rocksdb);

// The start-up log line: the limit before and after raising, and the division.
// `max_connections` is the limit in force (the plan's, or --max-connections if given).
std::string DescribeDescriptors(const DescriptorLimit& limit, const DescriptorPlan& plan,
                                size_t max_connections);

}  // namespace streamkeeper
