#include "util/descriptor_limit.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

namespace streamkeeper {
namespace {

// stdio, the listening socket, the odd short-lived file (/proc, /dev/urandom), and headroom for
// libraries that open one without asking; plus epoll, eventfd and timerfd for each IO thread.
constexpr uint64_t kProcessSpare = 32;
constexpr uint64_t kPerIoThread = 3;
// RocksDB's table cache holds max_open_files minus about 10 (its WAL, MANIFEST, LOCK and
// directories). A quarter of the limit: connections are what the limit is for, and past the
// bound RocksDB reopens an SST when it needs one (an open and an index read), which for a log
// read mostly at its tail is rare. 8192 SSTs of 64 MiB hold 512 GiB open; 64 is a floor below
// which RocksDB would thrash.
constexpr uint64_t kRocksDbShare = 4;
constexpr uint64_t kRocksDbMinFiles = 64;
constexpr uint64_t kRocksDbMaxFiles = 8192;
// Files RocksDB has open beyond max_open_files: SSTs being written by flushes and compactions,
// a new WAL or MANIFEST while the old one is still open.
constexpr uint64_t kRocksDbWriting = 32;

uint64_t NrOpen() {
  std::ifstream in("/proc/sys/fs/nr_open");
  uint64_t value = 0;
  if (in >> value && value > 0) return value;
  return 1 << 20;  // the kernel's default
}

uint64_t FromRlim(rlim_t value) { return value == RLIM_INFINITY ? UINT64_MAX : value; }

}  // namespace

DescriptorLimit RaiseDescriptorLimit() {
  DescriptorLimit out;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    out.error = errno;
    return out;
  }
  out.soft_before = FromRlim(limit.rlim_cur);
  out.hard = FromRlim(limit.rlim_max);
  out.soft = out.soft_before;
  rlim_t target = limit.rlim_max == RLIM_INFINITY ? NrOpen() : limit.rlim_max;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < target) {
    rlimit raised = limit;
    raised.rlim_cur = target;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      out.soft = target;
    } else {
      out.error = errno;
    }
  }
  return out;
}

DescriptorPlan PlanDescriptors(uint64_t limit, size_t io_threads, size_t refusals, bool rocksdb) {
  if (io_threads == 0) io_threads = std::max(1u, std::thread::hardware_concurrency());
  DescriptorPlan plan;
  plan.limit = limit;
  plan.process = kProcessSpare + kPerIoThread * io_threads;
  plan.refusals = refusals;
  if (rocksdb) {
    uint64_t files = std::clamp(limit / kRocksDbShare, kRocksDbMinFiles, kRocksDbMaxFiles);
    plan.storage_max_open_files = static_cast<int>(files);
    plan.storage = files + kRocksDbWriting;
  }
  uint64_t reserve = plan.process + plan.refusals + plan.storage;
  uint64_t left = limit > reserve ? limit - reserve : 0;
  plan.too_small = left < kMinConnections;
  plan.max_connections = static_cast<size_t>(std::max<uint64_t>(left, kMinConnections));
  return plan;
}

std::string DescribeDescriptors(const DescriptorLimit& limit, const DescriptorPlan& plan,
                                size_t max_connections) {
  auto number = [](uint64_t v) {
    return v == UINT64_MAX ? std::string("unlimited") : std::to_string(v);
  };
  std::string line = "descriptor limit " + number(limit.soft) + " (hard " + number(limit.hard);
  if (limit.soft != limit.soft_before) {
    line += ", raised from " + number(limit.soft_before);
  } else if (limit.error != 0) {
    line += std::string(", could not raise: ") + std::strerror(limit.error);
  }
  line += "); max connections " + std::to_string(max_connections) +
          " (derived: " + std::to_string(plan.max_connections) + " = limit - " +
          std::to_string(plan.process) + " process - " + std::to_string(plan.refusals) +
          " refusals";
  if (plan.storage_max_open_files > 0) {
    line += " - " + std::to_string(plan.storage) + " RocksDB (max_open_files " +
            std::to_string(plan.storage_max_open_files) + ")";
  }
  line += ")";
  if (plan.too_small) line += "; the limit is too low for the reserve, raise it";
  if (max_connections > plan.max_connections) {
    line +=
        "; --max-connections is over the derived figure: accepts may fail for lack of "
        "descriptors (they pause and retry)";
  }
  return line;
}

}  // namespace streamkeeper
