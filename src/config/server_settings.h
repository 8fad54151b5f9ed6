// The streamkeeper server's settings: the configuration it runs with (ServerConfig) and the
// table of every setting that fills it (ServerSettings()), in the order --help, --print-config
// and the start-up log line list them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "access/access_options.h"
#include "config/setting.h"
#include "http/server_options.h"
#include "http/tls_settings.h"
#include "util/log.h"

namespace streamkeeper {

struct ServerConfig {
  ServerOptions server;  // host, port, IO threads, limits and timeouts, shutdown timeout
  std::string data_dir;
  std::string storage;  // "rocksdb" or "memory"
  bool sync = true;     // --sync always
  size_t max_read_bytes = 0;
  uint64_t min_free_disk_mb = 0;
  uint64_t stream_cache_mb = 0;
  uint64_t expiry_max_per_second = 0;
  log::Options log;        // the event log: level, format, file
  std::string access_log;  // a file, "-" for stdout, or empty: none
  AccessOptions access;    // tokens, JWTs, CORS origins, rate limits (access/access_gate.h)
  TlsSettings tls;         // HTTPS when tls.enabled()
};

// Every setting of the server, with its default and its checks.
std::span<const Setting> ServerSettings();

// The checks that involve more than one setting (each value alone has passed its own): false
// with *error saying which settings conflict, e.g. --tls-cert without --tls-key.
bool CheckServerConfig(const ServerConfig& config, std::string* error);

}  // namespace streamkeeper
