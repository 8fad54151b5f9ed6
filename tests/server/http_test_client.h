// Test helpers for driving the real streamkeeper binary: a child-process wrapper and a tiny
// blocking HTTP/1.1 client over POSIX sockets, optionally through TLS (OpenSSL, non-blocking,
// waits by poll). Every wait is bounded; nothing here can hang a test run. Connects only to
// 127.0.0.1.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

struct ssl_st;
struct ssl_ctx_st;

namespace streamkeeper::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;
using Millis = std::chrono::milliseconds;

struct HttpResult {
  int status = 0;  // 0: no parseable response arrived
  Headers headers;
  std::string body;          // de-chunked
  bool chunked = false;
  bool complete = false;     // the body ended as framed (length reached or last chunk seen)
  bool closed = false;       // the server closed the connection
  std::string error;         // transport failure, if any

  // First header named `name` (case-insensitive), or nullopt.
  std::optional<std::string> header(std::string_view name) const;
};

// How a TestConnection speaks TLS.
struct ClientTls {
  std::string ca_file = {};    // the CAs the server's certificate must chain to (PEM)
  std::string cert_file = {};  // a client certificate to present (PEM); empty: none
  std::string key_file = {};   // its key
  // Sent as SNI and checked against the certificate's names; empty: no SNI, and the
  // certificate must name IP 127.0.0.1.
  std::string server_name = {};
  // Protocol versions offered, as OpenSSL's constants (TLS1_1_VERSION = 0x0302, ...); 0: the
  // library's defaults. For testing that the server refuses old ones.
  int min_version = 0;
  int max_version = 0;
};

// The TLS every TestConnection made without its own uses from now on (nullopt: plain TCP).
// ServerProcessTest::Start sets it in TLS test mode (tests/tls/test_certs.h).
void SetDefaultClientTls(std::optional<ClientTls> tls);
const std::optional<ClientTls>& DefaultClientTls();

// One client connection to 127.0.0.1:port: plain, or TLS with the handshake done in the
// constructor. Both carry the same bytes through the same calls.
class TestConnection {
 public:
  // Connects (bounded by `timeout`) with the default TLS (above); check ok() afterwards.
  // `source`: the loopback address to connect from ("127.0.0.2"); null: the kernel's choice.
  TestConnection(uint16_t port, Millis timeout = Millis(2000), const char* source = nullptr);
  // Connects and completes a TLS handshake, both within `timeout`; ok() is false and
  // error() says why if either fails (a certificate that does not verify, a refused version).
  // With TLS 1.3 a server refusing the client's certificate says so only after the
  // handshake: the first read then finds the connection closed.
  TestConnection(uint16_t port, const ClientTls& tls, Millis timeout = Millis(2000));
  ~TestConnection();
  TestConnection(const TestConnection&) = delete;
  TestConnection& operator=(const TestConnection&) = delete;

  bool ok() const { return fd_ >= 0; }
  // Why the connection or its handshake failed, or the last TLS read error; empty if none.
  const std::string& error() const { return error_; }
  bool tls() const { return ssl_ != nullptr; }
  // TLS: the protocol version negotiated ("TLSv1.3") and the server certificate's serial number
  // in decimal (make_test_certs.sh gives them fixed ones); empty when plain.
  std::string tls_version() const;
  std::string peer_serial() const;
  // Writes all of `bytes`; false on error (e.g. the server already closed).
  bool send(std::string_view bytes);
  // Half-closes: the server sees end of input, and may still answer.
  void shutdown_send();
  // Reads one response; waits at most `timeout` in total.
  HttpResult read_response(Millis timeout, bool head_request = false);
  // Reads until the peer closes or `timeout` passes; returns what arrived. *closed says which.
  std::string read_until_close(Millis timeout, bool* closed);
  // Reads until `needle` has arrived (in raw bytes, including anything buffered) or timeout.
  bool read_until(std::string_view needle, Millis timeout);
  // Bytes read so far and not consumed by read_response().
  const std::string& buffered() const { return buffer_; }

 private:
  void connect(uint16_t port, std::chrono::steady_clock::time_point deadline,
               const char* source = nullptr);
  bool handshake(const ClientTls& tls, std::chrono::steady_clock::time_point deadline);
  void close();
  // Appends what is available within `deadline`; 0 on timeout, -1 on close/error.
  int fill(std::chrono::steady_clock::time_point deadline);
  int fill_tls(std::chrono::steady_clock::time_point deadline);
  bool send_tls(std::string_view bytes, std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  ssl_ctx_st* ssl_ctx_ = nullptr;
  ssl_st* ssl_ = nullptr;
  std::string error_;
  std::string buffer_;
  bool peer_closed_ = false;
};

// Builds a request with Host and Content-Length (when a body is given or the method sends one).
std::string BuildRequest(std::string_view method, std::string_view target, const Headers& headers,
                         std::string_view body);

// One request on a fresh connection.
HttpResult Request(uint16_t port, std::string_view method, std::string_view target,
                   const Headers& headers = {}, std::string_view body = {},
                   Millis timeout = Millis(5000));

// The port of the first "listening on http://HOST:PORT" (or https://) in `log` (a text or JSON
// log line: the URL ends at a space or a quote), or 0.
uint16_t ListeningPort(const std::string& log);

// A loopback port that was free a moment ago (bound to port 0, read, closed), for a server that
// must be told its port in advance (nginx, a --config file); 0 if none could be had.
uint16_t FreeLoopbackPort();

// The streamkeeper binary as a child process, stdout and stderr captured.
class ServerProcess {
 public:
  ServerProcess() = default;
  ~ServerProcess();  // SIGKILLs and reaps the child if it still runs
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts `binary args...`. Returns false if exec failed.
  bool spawn(const std::string& binary, const std::vector<std::string>& args);
  // The child's RLIMIT_NOFILE (set between fork and exec) for the next spawn(); by default it
  // inherits the test's.
  void set_descriptor_limit(uint64_t soft, uint64_t hard) { descriptor_limit_ = {soft, hard}; }
  pid_t pid() const { return pid_; }
  // Waits for the "listening on http://127.0.0.1:PORT" log line (on stderr, or stdout), in
  // either log format; returns the port or 0.
  uint16_t wait_listening(Millis timeout);
  // Reads what the child has written, waiting up to `timeout` for something to arrive.
  void drain_output(Millis timeout) { drain(timeout); }
  // Sends a signal to the child.
  void signal(int signo);
  // Waits for the child to exit; returns its exit code (128+signal if killed), or nullopt on
  // timeout. Output is drained while waiting.
  std::optional<int> wait_exit(Millis timeout);
  bool running() const { return pid_ > 0 && !exit_code_; }
  // Everything the child wrote so far (drained while waiting; drain_output() drains now).
  const std::string& out() const { return stdout_; }
  const std::string& err() const { return stderr_; }

 private:
  void drain(Millis timeout);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string stdout_;
  std::string stderr_;
  std::optional<int> exit_code_;
  std::optional<std::pair<uint64_t, uint64_t>> descriptor_limit_;
};

// CPU time (user + system) the process `pid` has used so far, in milliseconds; -1 if unknown.
long long ProcessCpuMillis(pid_t pid);

}  // namespace streamkeeper::testing
