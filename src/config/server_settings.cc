#include "config/server_settings.h"

#include <chrono>
#include <vector>

namespace streamkeeper {
namespace {

// The setting's value as its C++ type; CheckSettingValue has already checked type and range.
const std::string& Text(const SettingValue& value) { return std::get<std::string>(value); }
int64_t Number(const SettingValue& value) { return std::get<int64_t>(value); }
std::chrono::milliseconds Millis(const SettingValue& value) {
  return std::chrono::milliseconds(Number(value));
}

constexpr int64_t kMaxPort = 65535;
// Timeouts and intervals: at most a week. Far beyond any sensible value, and far from where a
// deadline (now + value, in steady_clock nanoseconds) would overflow.
constexpr int64_t kMaxMillis = int64_t{7} * 24 * 3600 * 1000;

std::vector<Setting> MakeServerSettings() {
  using T = SettingType;
  using V = const SettingValue&;
  using C = ServerConfig*;
  std::vector<Setting> settings;
  auto add = [&settings](Setting setting) { settings.push_back(std::move(setting)); };
  add({.name = "host", .type = T::kString, .default_value = "127.0.0.1",
       .help = "address to listen on",
       .store = [](V v, C c) { c->server.host = Text(v); }});
  add({.name = "port", .type = T::kInteger, .default_value = int64_t{4437},
       .help = "TCP port to listen on (0 = any free port)", .min = 0, .max = kMaxPort,
       .store = [](V v, C c) { c->server.port = static_cast<uint16_t>(Number(v)); }});
  add({.name = "data-dir", .type = T::kString, .default_value = "./data",
       .help = "RocksDB data directory (rocksdb storage)",
       .store = [](V v, C c) { c->data_dir = Text(v); }});
  add({.name = "storage", .type = T::kString, .default_value = "rocksdb",
       .help = "storage backend: rocksdb or memory", .choices = {"rocksdb", "memory"},
       .store = [](V v, C c) { c->storage = Text(v); }});
  add({.name = "sync", .type = T::kString, .default_value = "always",
       .help = "always: acknowledge appends after the WAL is fsynced (survives power loss); "
               "none: after the OS has the write (survives a process crash only)",
       .choices = {"always", "none"},
       .store = [](V v, C c) { c->sync = Text(v) == "always"; }});
  add({.name = "long-poll-timeout-ms", .type = T::kInteger, .default_value = int64_t{30000},
       .help = "how long a long-poll waits before answering 204", .min = 1, .max = kMaxMillis,
       .store = [](V v, C c) { c->server.long_poll_timeout = Millis(v); }});
  add({.name = "max-body-bytes", .type = T::kInteger, .default_value = int64_t{64} << 20,
       .help = "largest request body accepted (larger: 413)", .min = 0,
       .store = [](V v, C c) { c->server.max_body_bytes = static_cast<size_t>(Number(v)); }});
  add({.name = "max-header-bytes", .type = T::kInteger, .default_value = int64_t{16} << 10,
       .help = "largest request head accepted (larger: 431)", .min = 0,
       .store = [](V v, C c) { c->server.max_header_bytes = static_cast<size_t>(Number(v)); }});
  add({.name = "max-read-bytes", .type = T::kInteger, .default_value = int64_t{1} << 20,
       .help = "payload bytes per catch-up response; clients page with Stream-Next-Offset",
       .min = 1,
       .store = [](V v, C c) { c->max_read_bytes = static_cast<size_t>(Number(v)); }});
  add({.name = "max-connections", .type = T::kInteger, .default_value = int64_t{0},
       .help = "client connections served at once; one more gets 503 and is closed "
               "(0 = derived from the descriptor limit)",
       .min = 0,
       .store = [](V v, C c) { c->server.max_connections = static_cast<size_t>(Number(v)); }});
  add({.name = "max-connections-per-ip", .type = T::kInteger, .default_value = int64_t{0},
       .help = "connections one client address may have open at once; one more gets 429 and "
               "is closed (0 = no limit)",
       .min = 0,
       .store = [](V v, C c) {
         c->server.max_connections_per_ip = static_cast<size_t>(Number(v));
       }});
  add({.name = "threads", .type = T::kInteger, .default_value = int64_t{0},
       .help = "IO threads (0 = one per core)", .min = 0,
       .store = [](V v, C c) { c->server.threads = static_cast<size_t>(Number(v)); }});
  add({.name = "request-timeout-ms", .type = T::kInteger, .default_value = int64_t{30000},
       .help = "time allowed to receive one whole request", .min = 1, .max = kMaxMillis,
       .store = [](V v, C c) { c->server.request_timeout = Millis(v); }});
  add({.name = "idle-timeout-ms", .type = T::kInteger, .default_value = int64_t{120000},
       .help = "keep-alive connections idle longer than this are closed", .min = 1, .max = kMaxMillis,
       .store = [](V v, C c) { c->server.idle_timeout = Millis(v); }});
  add({.name = "sse-reconnect-ms", .type = T::kInteger, .default_value = int64_t{60000},
       .help = "SSE responses end after this long so caches can collapse readers", .min = 1, .max = kMaxMillis,
       .store = [](V v, C c) { c->server.sse_reconnect = Millis(v); }});
  add({.name = "min-free-disk-mb", .type = T::kInteger, .default_value = int64_t{256},
       .help = "free-space reserve of the data directory's disk: below it creates and appends "
               "get 507 (reads go on); 0 = none (rocksdb storage)",
       .min = 0,
       .store = [](V v, C c) { c->min_free_disk_mb = static_cast<uint64_t>(Number(v)); }});
  add({.name = "stream-cache-mb", .type = T::kInteger, .default_value = int64_t{256},
       .help = "memory for streams in use: streams are read from storage on first use and the "
               "least recently used are evicted beyond this (those with live readers or writes "
               "in flight stay); 0 keeps only those",
       .min = 0,
       .store = [](V v, C c) { c->stream_cache_mb = static_cast<uint64_t>(Number(v)); }});
  add({.name = "expiry-max-per-second", .type = T::kInteger, .default_value = int64_t{50000},
       .help = "most expired streams the expiry sweeper removes per second", .min = 1,
       .store = [](V v, C c) { c->expiry_max_per_second = static_cast<uint64_t>(Number(v)); }});
  add({.name = "shutdown-timeout-ms", .type = T::kInteger, .default_value = int64_t{10000},
       .help = "on SIGTERM or SIGINT, how long requests in flight may take to be answered "
               "before their connections are cut",
       .min = 1, .max = kMaxMillis,
       .store = [](V v, C c) { c->server.shutdown_timeout = Millis(v); }});
  add({.name = "log-level", .type = T::kString, .default_value = "info",
       .help = "least severe event logged: debug, info, warn or error",
       .choices = {"debug", "info", "warn", "error"},
       .store = [](V v, C c) { c->log.level = *log::ParseLevel(Text(v)); }});
  add({.name = "log-format", .type = T::kString, .default_value = "text",
       .help = "text (timestamp, level, message, key=value fields) or json (one object per "
               "line)",
       .choices = {"text", "json"},
       .store = [](V v, C c) { c->log.format = *log::ParseFormat(Text(v)); }});
  add({.name = "log-file", .type = T::kString, .default_value = "",
       .help = "file the event log is appended to, reopened on SIGHUP (empty = stderr; - = stdout)",
       .store = [](V v, C c) { c->log.file = Text(v); }});
  add({.name = "access-log", .type = T::kString, .default_value = "",
       .help = "file each answered request is logged to, one line each, reopened on SIGHUP "
               "(- = stdout; empty = no access log)",
       .store = [](V v, C c) { c->access_log = Text(v); }});
  add({.name = "auth-file", .type = T::kString, .default_value = "",
       .help = "TOML file of bearer tokens and their rights, re-read on SIGHUP (README: "
               "Access control); empty, and no JWT key: the server is open to anyone",
       .store = [](V v, C c) { c->access.auth_file = Text(v); }});
  add({.name = "jwt-public-key", .type = T::kString, .default_value = "",
       .help = "PEM public key that JWT bearer tokens are signed with (RS256, ES256 or EdDSA, "
               "by the key's type)",
       .store = [](V v, C c) { c->access.jwt_public_key = Text(v); }});
  add({.name = "jwt-secret-file", .type = T::kString, .default_value = "",
       .help = "file holding the HS256 secret JWT bearer tokens are signed with (32 bytes or "
               "more)",
       .store = [](V v, C c) { c->access.jwt_secret_file = Text(v); }});
  add({.name = "jwt-audience", .type = T::kString, .default_value = "",
       .help = "when set, a JWT's aud claim must name it",
       .store = [](V v, C c) { c->access.jwt_audience = Text(v); }});
  add({.name = "cors-origins", .type = T::kString, .default_value = "*",
       .help = "origins browsers may read answers from: * or a comma list of origins "
               "(https://app.example.com,http://localhost:3000)",
       .store = [](V v, C c) { c->access.cors_origins = Text(v); }});
  add({.name = "rate-limit", .type = T::kString, .default_value = "",
       .help = "requests per client address and per token: <N>/s or <N>/s,burst=<B> (over it: "
               "429 with Retry-After); empty = none",
       .store = [](V v, C c) { c->access.rate_limit = Text(v); }});
  add({.name = "metrics-open", .type = T::kBoolean, .default_value = false,
       .help = "serve /metrics without a token (with --auth-file or a JWT key it needs admin)",
       .store = [](V v, C c) { c->access.metrics_open = std::get<bool>(v); }});
  add({.name = "tls-cert", .type = T::kString, .default_value = "",
       .help = "serve HTTPS (TLS 1.2 and 1.3) with this PEM certificate (chain), re-read on "
               "SIGHUP; needs --tls-key (empty = plain HTTP)",
       .store = [](V v, C c) { c->tls.cert_file = Text(v); }});
  add({.name = "tls-key", .type = T::kString, .default_value = "",
       .help = "PEM private key of --tls-cert (unencrypted), re-read on SIGHUP",
       .store = [](V v, C c) { c->tls.key_file = Text(v); }});
  add({.name = "tls-client-ca", .type = T::kString, .default_value = "",
       .help = "require client certificates (mutual TLS) issued by the CAs of this PEM file, "
               "re-read on SIGHUP (empty = no client certificates asked for)",
       .store = [](V v, C c) { c->tls.client_ca_file = Text(v); }});
  return settings;
}

}  // namespace

std::span<const Setting> ServerSettings() {
  static const std::vector<Setting> settings = MakeServerSettings();
  return settings;
}

bool CheckServerConfig(const ServerConfig& config, std::string* error) {
  return CheckTlsSettings(config.tls, error);
}

}  // namespace streamkeeper
