// streamkeeper: the Durable Streams server.
//
// Wires the pieces together: a Storage backend (RocksDB in --data-dir, or memory), the
// StreamManager over it, the ProtocolHandler over that, and the HttpServer in front. SIGINT and
// SIGTERM stop accepting, end live readers, drain the commit queue and exit 0.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include <cxxopts.hpp>

#include "http/http_server.h"
#include "metrics/server_metrics.h"
#include "protocol/protocol_handler.h"
#include "service/service_endpoints.h"
#include "streamkeeper/memory_storage.h"
#include "streamkeeper/rocksdb_storage.h"
#include "streamkeeper/stream_manager.h"
#include "util/descriptor_limit.h"
#include "util/log.h"

namespace {

using namespace streamkeeper;

struct Config {
  ServerOptions server;
  std::string data_dir;
  std::string storage;
  bool sync = true;
  size_t max_read_bytes = 0;
  uint64_t min_free_disk_mb = 256;
  uint64_t stream_cache_mb = 256;
  uint64_t expiry_max_per_second = 50'000;
  int rocksdb_max_open_files = -1;  // from the descriptor plan (util/descriptor_limit.h)
};

int ParseArgs(int argc, char** argv, Config* config) {
  cxxopts::Options options("streamkeeper", "Durable Streams server (HTTP/1.1, RocksDB or memory)");
  options.add_options()
      ("host", "address to listen on", cxxopts::value<std::string>()->default_value("127.0.0.1"))
      ("port", "TCP port to listen on (0 = any free port)",
       cxxopts::value<uint16_t>()->default_value("4437"))
      ("data-dir", "RocksDB data directory (rocksdb storage)",
       cxxopts::value<std::string>()->default_value("./data"))
      ("storage", "storage backend: rocksdb or memory",
       cxxopts::value<std::string>()->default_value("rocksdb"))
      ("sync", "always: acknowledge appends after the WAL is fsynced (survives power loss); "
               "none: after the OS has the write (survives a process crash only)",
       cxxopts::value<std::string>()->default_value("always"))
      ("long-poll-timeout-ms", "how long a long-poll waits before answering 204",
       cxxopts::value<int64_t>()->default_value("30000"))
      ("max-body-bytes", "largest request body accepted (larger: 413)",
       cxxopts::value<size_t>()->default_value(std::to_string(64ull << 20)))
      ("max-header-bytes", "largest request head accepted (larger: 431)",
       cxxopts::value<size_t>()->default_value(std::to_string(16 << 10)))
      ("max-read-bytes", "payload bytes per catch-up response; clients page with "
                         "Stream-Next-Offset",
       cxxopts::value<size_t>()->default_value(std::to_string(1 << 20)))
      ("max-connections", "client connections served at once; one more gets 503 and is closed "
                          "(0 = derived from the descriptor limit)",
       cxxopts::value<size_t>()->default_value("0"))
      ("threads", "IO threads (0 = one per core)", cxxopts::value<size_t>()->default_value("0"))
      ("request-timeout-ms", "time allowed to receive one whole request",
       cxxopts::value<int64_t>()->default_value("30000"))
      ("idle-timeout-ms", "keep-alive connections idle longer than this are closed",
       cxxopts::value<int64_t>()->default_value("120000"))
      ("sse-reconnect-ms", "SSE responses end after this long so caches can collapse readers",
       cxxopts::value<int64_t>()->default_value("60000"))
      ("min-free-disk-mb", "free-space reserve of the data directory's disk: below it creates "
                           "and appends get 507 (reads go on); 0 = none (rocksdb storage)",
       cxxopts::value<uint64_t>()->default_value("256"))
      ("stream-cache-mb", "memory for streams in use: streams are read from storage on first "
       "use and the least recently used are evicted beyond this (those with live readers or "
       "writes in flight stay); 0 keeps only those",
       cxxopts::value<uint64_t>()->default_value("256"))
      ("expiry-max-per-second", "most expired streams the expiry sweeper removes per second",
       cxxopts::value<uint64_t>()->default_value("50000"))
      ("h,help", "print this help");
  cxxopts::ParseResult result;
  try {
    result = options.parse(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "streamkeeper: " << e.what() << "\n" << options.help() << std::endl;
    return 2;
  }
  if (result.count("help")) {
    std::cout << options.help() << std::endl;
    return 0;
  }
  try {
    config->server.host = result["host"].as<std::string>();
    config->server.port = result["port"].as<uint16_t>();
    config->data_dir = result["data-dir"].as<std::string>();
    config->storage = result["storage"].as<std::string>();
    std::string sync = result["sync"].as<std::string>();
    if (sync != "always" && sync != "none") throw std::runtime_error("--sync must be always or none");
    if (config->storage != "rocksdb" && config->storage != "memory") {
      throw std::runtime_error("--storage must be rocksdb or memory");
    }
    config->sync = sync == "always";
    auto positive_ms = [&](const char* name) {
      int64_t v = result[name].as<int64_t>();
      if (v <= 0) throw std::runtime_error(std::string("--") + name + " must be positive");
      return std::chrono::milliseconds(v);
    };
    config->server.long_poll_timeout = positive_ms("long-poll-timeout-ms");
    config->server.request_timeout = positive_ms("request-timeout-ms");
    config->server.idle_timeout = positive_ms("idle-timeout-ms");
    config->server.sse_reconnect = positive_ms("sse-reconnect-ms");
    config->server.max_body_bytes = result["max-body-bytes"].as<size_t>();
    config->server.max_header_bytes = result["max-header-bytes"].as<size_t>();
    config->server.threads = result["threads"].as<size_t>();
    config->server.max_connections = result["max-connections"].as<size_t>();
    config->max_read_bytes = result["max-read-bytes"].as<size_t>();
    config->min_free_disk_mb = result["min-free-disk-mb"].as<uint64_t>();
    config->stream_cache_mb = result["stream-cache-mb"].as<uint64_t>();
    config->expiry_max_per_second = result["expiry-max-per-second"].as<uint64_t>();
    if (config->expiry_max_per_second == 0) {
      throw std::runtime_error("--expiry-max-per-second must be positive");
    }
    if (config->max_read_bytes == 0) throw std::runtime_error("--max-read-bytes must be positive");
  } catch (const std::exception& e) {
    std::cerr << "streamkeeper: " << e.what() << std::endl;
    return 2;
  }
  return -1;
}

Status OpenStorage(const Config& config, std::unique_ptr<Storage>* storage) {
  if (config.storage == "memory") {
    *storage = std::make_unique<MemoryStorage>();
    return Status::Ok();
  }
  RocksDbOptions options;
  options.path = config.data_dir;
  options.log = log::Sink();
  options.max_open_files = config.rocksdb_max_open_files;
  return RocksDbStorage::Open(options, storage);
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  if (int code = ParseArgs(argc, argv, &config); code >= 0) return code;

  // Signals are taken by a dedicated thread; every other thread blocks them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  DescriptorLimit descriptors = RaiseDescriptorLimit();
  DescriptorPlan plan = PlanDescriptors(descriptors.soft, config.server.threads,
                                        config.server.max_refusing_connections,
                                        config.storage == "rocksdb");
  config.rocksdb_max_open_files = plan.storage_max_open_files;
  if (config.server.max_connections == 0) config.server.max_connections = plan.max_connections;
  log::Info(DescribeDescriptors(descriptors, plan, config.server.max_connections));

  std::unique_ptr<Storage> storage;
  Status status = OpenStorage(config, &storage);
  if (!status.ok()) {
    std::cerr << "streamkeeper: cannot open storage: " << status.message() << std::endl;
    return 1;
  }
  ManagerOptions manager_options;
  manager_options.sync = config.sync;
  manager_options.min_free_disk_bytes = config.min_free_disk_mb << 20;
  manager_options.log = log::Sink();
  manager_options.stream_cache_bytes = config.stream_cache_mb << 20;
  manager_options.expiry_max_per_second = config.expiry_max_per_second;
  auto manager = StreamManager::Open(std::move(storage), manager_options, &status);
  if (!manager) {
    std::cerr << "streamkeeper: cannot recover storage: " << status.message() << std::endl;
    return 1;
  }
  ProtocolOptions protocol_options;
  protocol_options.max_read_bytes = config.max_read_bytes;
  ProtocolHandler handler(manager.get(), protocol_options);
  // --- Observability (issue 11): request metrics through the transport's observer hook, and
  // the service routes /metrics, /healthz, /readyz (src/metrics/, src/service/).
  ServerMetrics metrics(manager.get());
  ServiceEndpoints endpoints(manager.get(), [&metrics] { return metrics.render(); });
  HttpServer server(&handler, manager.get(), config.server, metrics.observer(), &endpoints);
  metrics.set_transport(&server);
  // --- end of observability
  status = server.listen();
  if (!status.ok()) {
    std::cerr << "streamkeeper: " << status.message() << std::endl;
    return 1;
  }
  std::cout << "streamkeeper listening on http://" << config.server.host << ":" << server.port()
            << " (storage=" << config.storage
            << (config.storage == "rocksdb" ? " data-dir=" + config.data_dir : std::string())
            << " sync=" << (config.sync ? "always" : "none") << ")" << std::endl;

  std::thread signal_thread([&] {
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    std::cout << "streamkeeper: signal " << signal_number << ", shutting down" << std::endl;
    server.stop();
    manager->shutdown();  // drains the commit queue and wakes every live reader
  });
  server.run();
  // run() returns only after stop(); if it ever returned otherwise, unblock the signal thread.
  if (signal_thread.joinable()) {
    pthread_kill(signal_thread.native_handle(), SIGTERM);
    signal_thread.join();
  }
  manager->shutdown();
  ManagerStats stats = manager->stats();
  std::cout << "streamkeeper: stopped (" << stats.cached_streams << " streams in memory, "
            << stats.cache_misses << " loaded from storage, " << stats.expired << " expired; "
            << stats.write_batches
            << " write batches, " << stats.syncs << " syncs this run)" << std::endl;
  // The manager goes first: its destructor joins the last completions, which may still post to
  // the server's IO contexts; the server (and those contexts) go after.
  manager.reset();
  return 0;
}
