// Engine benchmarks (Google Benchmark): StreamManager appends and reads over both backends.
//
// Appends are synchronous calls from N benchmark threads (each thread is one producer with one
// append in flight), so the GroupCommitter's batching is what lets durable throughput scale with
// producers. Run Release builds only:
//   build/bench/engine/engine_bench --benchmark_filter=Append
#include <benchmark/benchmark.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <unistd.h>

#include "streamkeeper/memory_storage.h"
#include "streamkeeper/rocksdb_storage.h"
#include "streamkeeper/stream_manager.h"

namespace {

using namespace streamkeeper;

enum class Backend { kMemory, kRocksDb };

// One manager per benchmark run, shared by its threads; streams are spread over the threads.
class Fixture {
 public:
  Fixture(Backend backend, bool sync, int streams) {
    std::unique_ptr<Storage> storage;
    if (backend == Backend::kMemory) {
      storage = std::make_unique<MemoryStorage>();
    } else {
      dir_ = std::filesystem::temp_directory_path() /
             ("streamkeeper-bench-" + std::to_string(getpid()) + "-" + std::to_string(counter_++));
      RocksDbOptions options;
      options.path = dir_.string();
      Status s = RocksDbStorage::Open(options, &storage);
      if (!s.ok()) throw std::runtime_error(s.message());
    }
    ManagerOptions options;
    options.sync = sync;
    options.sweep_interval = std::chrono::milliseconds(0);
    Status s;
    manager_ = StreamManager::Open(std::move(storage), options, &s);
    if (!manager_) throw std::runtime_error(s.message());
    for (int i = 0; i < streams; ++i) {
      CreateOptions create;
      create.content_type = "application/octet-stream";
      manager_->create(path(i), create, nullptr);
    }
  }
  ~Fixture() {
    manager_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  static std::string path(int i) { return "/v1/stream/bench-" + std::to_string(i); }
  StreamManager& manager() { return *manager_; }

 private:
  static inline std::atomic<int> counter_{0};
  std::filesystem::path dir_;
  std::unique_ptr<StreamManager> manager_;
};

std::mutex g_fixture_mu;
std::unique_ptr<Fixture> g_fixture;

// Args: backend, sync, body bytes, streams.
void BM_Append(benchmark::State& state) {
  auto backend = static_cast<Backend>(state.range(0));
  bool sync = state.range(1) != 0;
  size_t body_bytes = static_cast<size_t>(state.range(2));
  int streams = static_cast<int>(state.range(3));
  if (state.thread_index() == 0) {
    std::lock_guard lock(g_fixture_mu);
    g_fixture = std::make_unique<Fixture>(backend, sync, streams);
  }
  // Google Benchmark starts every thread's timing loop together, after setup above.
  std::string body(body_bytes, 'x');
  AppendOptions options;
  options.content_type = "application/octet-stream";
  int stream = state.thread_index() % streams;
  int64_t errors = 0;
  for (auto _ : state) {
    AppendResult r = g_fixture->manager().append(Fixture::path(stream), body, options);
    if (!r.status.ok()) ++errors;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body_bytes));
  state.counters["errors"] = static_cast<double>(errors);
  if (state.thread_index() == 0) {
    // Thread 0 tears down only after every thread left the loop (the library joins them).
  }
}

void AppendArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"rocksdb", "sync", "bytes", "streams"});
  for (int backend : {0, 1}) {
    for (int sync : {0, 1}) {
      if (backend == 0 && sync == 1) continue;  // memory has nothing to sync
      for (int bytes : {100, 4096}) b->Args({backend, sync, bytes, 64});
    }
  }
}
BENCHMARK(BM_Append)->Apply(AppendArgs)->Threads(1)->Threads(64)->UseRealTime()->MinTime(1.0);

// Reads a 64 MiB stream from the start in 1 MiB pages. Args: backend.
void BM_CatchUpRead(benchmark::State& state) {
  auto backend = static_cast<Backend>(state.range(0));
  Fixture fixture(backend, false, 1);
  std::string body(64 << 10, 'r');
  AppendOptions options;
  options.content_type = "application/octet-stream";
  for (int i = 0; i < 1024; ++i) fixture.manager().append(Fixture::path(0), body, options);
  int64_t bytes = 0;
  for (auto _ : state) {
    uint64_t position = 0;
    for (;;) {
      ReadResult r = fixture.manager().read(Fixture::path(0), position, ReadOptions{1 << 20});
      bytes += static_cast<int64_t>(r.data.size());
      position = r.next;
      if (r.up_to_date) break;
    }
  }
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_CatchUpRead)->ArgName("rocksdb")->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);

// Reads the newest 100-byte record at the tail (a live reader's wake-up read). Args: backend.
void BM_TailRead(benchmark::State& state) {
  auto backend = static_cast<Backend>(state.range(0));
  Fixture fixture(backend, false, 1);
  std::string body(100, 't');
  AppendOptions options;
  options.content_type = "application/octet-stream";
  for (int i = 0; i < 10000; ++i) fixture.manager().append(Fixture::path(0), body, options);
  uint64_t tail_minus_one = 100 * 9999;
  for (auto _ : state) {
    ReadResult r = fixture.manager().read(Fixture::path(0), tail_minus_one);
    benchmark::DoNotOptimize(r.data.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TailRead)->ArgName("rocksdb")->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
