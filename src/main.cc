// streamkeeper: the Durable Streams server.
//
// Wiring only: the settings (config/), the logs (util/log.h, http/access_log.h), a Storage
// backend (RocksDB in --data-dir, or memory), the StreamManager over it, the ProtocolHandler
// over that, and the HttpServer in front. Signals are taken by one thread:
//   SIGHUP           reopens the log files (after logrotate moved them), re-reads the
//                    --auth-file (a bad file keeps the tokens in use, and says why) and, with
//                    TLS, the certificate, key and client CA (new connections get them; files
//                    that do not load keep the old ones serving);
//   SIGINT, SIGTERM  stop: no new connection, requests in flight answered (bounded by
//                    --shutdown-timeout-ms), live readers ended, storage synced and closed,
//                    exit 0.
#include <csignal>
#include <iostream>
#include <thread>

#include "access/access_gate.h"
#include "config/command_line.h"
#include "http/access_log.h"
#include "http/http_server.h"
#include "http/tls_context.h"
#include "metrics/server_metrics.h"
#include "protocol/protocol_handler.h"
#include "service/admin_endpoints.h"
#include "service/service_endpoints.h"
#include "streamkeeper/memory_storage.h"
#include "streamkeeper/rocksdb_storage.h"
#include "streamkeeper/stream_manager.h"
#include "util/descriptor_limit.h"
#include "util/log.h"

namespace {

using namespace streamkeeper;

// Exit codes: 2 for a bad command line or configuration, 1 for a failure to start.
constexpr int kBadConfiguration = 2;
constexpr int kCannotStart = 1;

Status OpenStorage(const ServerConfig& config, int max_open_files,
                   std::unique_ptr<Storage>* storage) {
  if (config.storage == "memory") {
    *storage = std::make_unique<MemoryStorage>();
    return Status::Ok();
  }
  RocksDbOptions options;
  options.path = config.data_dir;
  options.log = log::Sink();
  options.max_open_files = max_open_files;
  return RocksDbStorage::Open(options, storage);
}

// A start-up failure: to the log, and also to stderr when the log is a file, so that whoever
// started the server sees why it did not.
int CannotStart(const ServerConfig& config, const std::string& message) {
  log::Error(message);
  if (!config.log.file.empty()) std::cerr << "streamkeeper: " << message << std::endl;
  return kCannotStart;
}

std::string ListenUrl(const std::string& host, uint16_t port, bool tls) {
  bool ipv6 = host.find(':') != std::string::npos;
  return (tls ? "https://" : "http://") + (ipv6 ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

void ReopenLogs(AccessLog* access_log) {
  std::string error;
  if (!log::Reopen(&error)) log::Error("SIGHUP: cannot reopen the log file", {{"error", error}});
  if (access_log != nullptr && !access_log->reopen(&error)) {
    log::Error("SIGHUP: cannot reopen the access log", {{"error", error}});
  }
  log::Info("SIGHUP: log files reopened");
}

void ReloadAuthFile(AccessGate* gate, const std::string& path) {
  if (gate == nullptr || path.empty()) return;
  std::string error;
  if (!gate->reload(&error)) {
    log::Error("SIGHUP: the auth file is not valid; the tokens in use are kept",
               {{"error", error}});
    return;
  }
  log::Info("SIGHUP: auth file re-read",
            {{"auth-file", path}, {"tokens", static_cast<uint64_t>(gate->token_count())}});
}

// The RequestGate for the access options, or null when none is set (the transport then asks
// no gate at all). False when an option is wrong.
bool MakeAccessGate(const AccessOptions& options, std::unique_ptr<AccessGate>* gate,
                    std::string* error) {
  if (!options.authenticates()) {
    log::Warn("no --auth-file and no JWT key: the server is open, anyone who reaches it may "
              "read, write and delete every stream");
  }
  if (!options.needs_gate()) return true;
  *gate = AccessGate::Create(options, error);
  if (!*gate) return false;
  if (!options.auth_file.empty()) {
    log::Info("auth file read", {{"auth-file", options.auth_file},
                                 {"tokens", static_cast<uint64_t>((*gate)->token_count())}});
  }
  return true;
}

void ReloadTls(TlsContextProvider* tls) {
  if (tls == nullptr) return;
  std::string error;
  if (!tls->reload(&error)) {
    log::Error("SIGHUP: TLS files not reloaded; new connections keep the previous certificate",
               {{"error", error}});
    return;
  }
  log::Info("SIGHUP: TLS certificate and key reloaded; new connections use them",
            {{"tls-cert", tls->settings().cert_file}});
}

}  // namespace

int main(int argc, char** argv) {
  // Signals are taken by a dedicated thread (below); every other thread, the log writers
  // started before it included, blocks them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  CommandLine command = ParseCommandLine(argc, argv, EnvironmentPairs());
  switch (command.action) {
    case CommandLine::Action::kPrintHelp:
    case CommandLine::Action::kPrintConfig:
      std::cout << command.output << std::flush;
      return 0;
    case CommandLine::Action::kFail:
      std::cerr << "streamkeeper: " << command.error << std::endl;
      return kBadConfiguration;
    case CommandLine::Action::kRun:
      break;
  }
  ServerConfig& config = command.config;
  std::string error;
  if (!log::Configure(config.log, &error)) {
    std::cerr << "streamkeeper: --log-file: " << error << std::endl;
    return kCannotStart;
  }
  for (const std::string& warning : command.settings.warnings) log::Warn(warning);
  std::unique_ptr<AccessLog> access_log;
  if (!config.access_log.empty()) {
    access_log = AccessLog::Open(config.access_log, config.log.format, &error);
    if (!access_log) return CannotStart(config, "--access-log: " + error);
  }
  // Before the storage is opened: a certificate that does not load stops the start at once.
  std::unique_ptr<TlsContextProvider> tls;
  if (config.tls.enabled()) {
    tls = TlsContextProvider::Load(config.tls, &error);
    if (!tls) return CannotStart(config, "cannot load TLS: " + error);
    log::Info(config.tls.client_ca_file.empty()
                  ? "TLS on: HTTPS only"
                  : "TLS on: HTTPS only, with client certificates (mutual TLS)",
              {{"tls-cert", config.tls.cert_file},
               {"tls-client-ca", std::string_view(config.tls.client_ca_file)}});
  } else {
    log::Info("TLS off: plain HTTP");
  }

  std::vector<log::Field> settings = SettingsAsLogFields(command.settings);
  settings.emplace_back("config", command.config_file.empty()
                                      ? std::string_view("none")
                                      : std::string_view(command.config_file));
  log::Write(LogLevel::kInfo, "configuration", settings);

  std::unique_ptr<AccessGate> gate;
  if (!MakeAccessGate(config.access, &gate, &error)) {
    log::Error(error);
    if (!config.log.file.empty()) std::cerr << "streamkeeper: " << error << std::endl;
    return kBadConfiguration;
  }

  DescriptorLimit descriptors = RaiseDescriptorLimit();
  DescriptorPlan plan = PlanDescriptors(descriptors.soft, config.server.threads,
                                        config.server.max_refusing_connections,
                                        config.storage == "rocksdb");
  if (config.server.max_connections == 0) config.server.max_connections = plan.max_connections;
  log::Info(DescribeDescriptors(descriptors, plan, config.server.max_connections));

  std::unique_ptr<Storage> storage;
  Status status = OpenStorage(config, plan.storage_max_open_files, &storage);
  if (!status.ok()) return CannotStart(config, "cannot open storage: " + status.message());
  // Kept for the admin routes (snapshot, compaction), which only RocksDB serves.
  RocksDbStorage* rocksdb_storage =
      config.storage == "rocksdb" ? static_cast<RocksDbStorage*>(storage.get()) : nullptr;
  ManagerOptions manager_options;
  manager_options.sync = config.sync;
  manager_options.min_free_disk_bytes = config.min_free_disk_mb << 20;
  manager_options.log = log::Sink();
  manager_options.stream_cache_bytes = config.stream_cache_mb << 20;
  manager_options.expiry_max_per_second = config.expiry_max_per_second;
  auto manager = StreamManager::Open(std::move(storage), manager_options, &status);
  if (!manager) return CannotStart(config, "cannot recover storage: " + status.message());
  ProtocolOptions protocol_options;
  protocol_options.max_read_bytes = config.max_read_bytes;
  ProtocolHandler handler(manager.get(), protocol_options);
  // Observability: the request metrics and the access log both watch every answered request;
  // the service routes /metrics, /healthz, /readyz (src/metrics/, src/service/).
  ServerMetrics metrics(manager.get());
  ServiceEndpoints endpoints(manager.get(), [&metrics] { return metrics.render(); });
  // /_admin/snapshot, /_admin/compact, /_admin/expire, on worker threads (src/service/).
  AdminEndpoints admin(manager.get(), rocksdb_storage, config.data_dir);
  RequestObserverList observers;
  observers.add(metrics.observer());
  if (access_log) observers.add(access_log.get());
  // `tls` (nullptr: plain HTTP) outlives the server: it is declared before it in this scope.
  HttpServer server(&handler, manager.get(), config.server, &observers, &endpoints, gate.get(),
                    tls.get());
  metrics.set_transport(&server);
  server.set_deferred_routes(admin.routes());
  status = server.listen();
  if (!status.ok()) return CannotStart(config, status.message());
  // Tests and scripts find the port in this line ("listening on http[s]://HOST:PORT").
  log::Info("listening on " + ListenUrl(config.server.host, server.port(), tls != nullptr),
            {{"storage", config.storage},
             {"data-dir", config.storage == "rocksdb" ? std::string_view(config.data_dir) : ""},
             {"sync", config.sync ? "always" : "none"}});

  std::thread signal_thread([&] {
    for (;;) {
      int signal_number = 0;
      sigwait(&signals, &signal_number);
      if (signal_number == SIGHUP) {
        ReopenLogs(access_log.get());
        ReloadAuthFile(gate.get(), config.access.auth_file);
        ReloadTls(tls.get());
        continue;
      }
      log::Info("stopping", {{"signal", signal_number == SIGINT ? "SIGINT" : "SIGTERM"},
                             {"shutdown_timeout_ms", config.server.shutdown_timeout.count()}});
      server.stop();
      return;
    }
  });
  server.run();
  // run() returns only after stop(); if it ever returned otherwise, unblock the signal thread.
  if (signal_thread.joinable()) {
    pthread_kill(signal_thread.native_handle(), SIGTERM);
    signal_thread.join();
  }
  // The admin workers go before the manager and storage they use (a compaction in progress
  // finishes first), and before the server, whose IO contexts their replies post to.
  admin.shutdown();
  // Every connection is closed (or was cut at the timeout): drain what the committer still has
  // queued and wake the waiters left; the storage syncs its log as it closes (manager.reset()).
  manager->shutdown();
  ManagerStats stats = manager->stats();
  // The manager goes first: its destructor joins the last completions, which may still post to
  // the server's IO contexts; the server (and those contexts) go after.
  manager.reset();
  log::Info("stopped", {{"streams_in_memory", stats.cached_streams},
                        {"streams_loaded", stats.cache_misses},
                        {"streams_expired", stats.expired},
                        {"write_batches", stats.write_batches},
                        {"syncs", stats.syncs}});
  return 0;
}
