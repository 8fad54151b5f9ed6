#include "http_test_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <sstream>
#include <iterator>
#include <cerrno>
#include <csignal>
#include <cstring>

namespace streamkeeper::testing {
namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

void SetNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

}  // namespace

std::optional<std::string> HttpResult::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// TestConnection

static std::optional<ClientTls>& DefaultTlsSlot() {
  static std::optional<ClientTls> tls;
  return tls;
}

static std::string OpenSslErrors() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out;
}

void SetDefaultClientTls(std::optional<ClientTls> tls) { DefaultTlsSlot() = std::move(tls); }
const std::optional<ClientTls>& DefaultClientTls() { return DefaultTlsSlot(); }

TestConnection::TestConnection(uint16_t port, Millis timeout, const char* source) {
  auto deadline = Clock::now() + timeout;
  connect(port, deadline, source);
  if (ok() && DefaultClientTls()) handshake(*DefaultClientTls(), deadline);
}

TestConnection::TestConnection(uint16_t port, const ClientTls& tls, Millis timeout) {
  auto deadline = Clock::now() + timeout;
  connect(port, deadline);
  if (ok()) handshake(tls, deadline);
}

void TestConnection::connect(uint16_t port, Clock::time_point deadline, const char* source) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    error_ = std::string("socket: ") + std::strerror(errno);
    return;
  }
  if (source != nullptr) {
    sockaddr_in from{};
    from.sin_family = AF_INET;
    if (::inet_pton(AF_INET, source, &from.sin_addr) != 1 ||
        ::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) {
      error_ = std::string("bind to ") + source + ": " + std::strerror(errno);
      ::close(fd);
      return;
    }
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  if (rc != 0 && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, RemainingMs(deadline)) == 1) {
      int error = 0;
      socklen_t length = sizeof error;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
      rc = error == 0 ? 0 : -1;
    }
  }
  if (rc != 0) {
    error_ = "connect failed";
    ::close(fd);
    return;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fd_ = fd;
}

// Waits for what OpenSSL asked for (`code`: SSL_ERROR_WANT_READ or _WANT_WRITE) until
// `deadline`; false on timeout or a poll error.
static bool WaitFor(int fd, int code, Clock::time_point deadline) {
  pollfd p{fd, static_cast<short>(code == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN), 0};
  for (;;) {
    int ready = ::poll(&p, 1, RemainingMs(deadline));
    if (ready > 0) return true;
    if (ready == 0) return false;
    if (errno != EINTR) return false;
  }
}

bool TestConnection::handshake(const ClientTls& tls, Clock::time_point deadline) {
  // OpenSSL writes to the socket with write(), not send(MSG_NOSIGNAL): a write to a connection
  // the server has reset must fail, not kill the test with SIGPIPE. (ServerProcess::spawn puts
  // the default back for its children.)
  static const bool sigpipe_ignored = std::signal(SIGPIPE, SIG_IGN) != SIG_ERR;
  (void)sigpipe_ignored;
  ERR_clear_error();
  ssl_ctx_ = SSL_CTX_new(TLS_client_method());
  bool configured = ssl_ctx_ != nullptr &&
                    SSL_CTX_load_verify_locations(ssl_ctx_, tls.ca_file.c_str(), nullptr) == 1 &&
                    (tls.min_version == 0 ||
                     SSL_CTX_set_min_proto_version(ssl_ctx_, tls.min_version) == 1) &&
                    (tls.max_version == 0 ||
                     SSL_CTX_set_max_proto_version(ssl_ctx_, tls.max_version) == 1);
  if (configured && !tls.cert_file.empty()) {
    configured = SSL_CTX_use_certificate_chain_file(ssl_ctx_, tls.cert_file.c_str()) == 1 &&
                 SSL_CTX_use_PrivateKey_file(ssl_ctx_, tls.key_file.c_str(), SSL_FILETYPE_PEM) == 1;
  }
  if (configured) {
    // Old versions are offered only when a test asks for them (OpenSSL's default security
    // level refuses TLS 1.1 outright, before the server could).
    if (tls.min_version != 0 && tls.min_version < TLS1_2_VERSION) {
      SSL_CTX_set_security_level(ssl_ctx_, 0);
    }
    SSL_CTX_set_verify(ssl_ctx_, SSL_VERIFY_PEER, nullptr);
    ssl_ = SSL_new(ssl_ctx_);
    configured = ssl_ != nullptr && SSL_set_fd(ssl_, fd_) == 1;
  }
  if (configured) {
    SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (tls.server_name.empty()) {
      configured = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), "127.0.0.1") == 1;
    } else {
      configured = SSL_set_tlsext_host_name(ssl_, tls.server_name.c_str()) == 1 &&
                   SSL_set1_host(ssl_, tls.server_name.c_str()) == 1;
    }
  }
  if (!configured) {
    error_ = "TLS set-up failed: " + OpenSslErrors();
    close();
    return false;
  }
  for (;;) {
    int rc = SSL_connect(ssl_);
    if (rc == 1) return true;
    int code = SSL_get_error(ssl_, rc);
    if ((code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) &&
        WaitFor(fd_, code, deadline)) {
      continue;
    }
    long verify = SSL_get_verify_result(ssl_);
    error_ = code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE
                 ? std::string("TLS handshake timed out")
                 : "TLS handshake failed: " + OpenSslErrors();
    if (verify != X509_V_OK) {
      error_ += std::string(" (certificate: ") + X509_verify_cert_error_string(verify) + ")";
    }
    close();
    return false;
  }
}

void TestConnection::close() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (ssl_ctx_ != nullptr) SSL_CTX_free(ssl_ctx_);
  ssl_ = nullptr;
  ssl_ctx_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

TestConnection::~TestConnection() { close(); }

std::string TestConnection::tls_version() const {
  return ssl_ != nullptr ? SSL_get_version(ssl_) : "";
}

std::string TestConnection::peer_serial() const {
  if (ssl_ == nullptr) return "";
  X509* certificate = SSL_get1_peer_certificate(ssl_);
  if (certificate == nullptr) return "";
  std::string out;
  BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr);
  if (serial != nullptr) {
    char* text = BN_bn2dec(serial);
    if (text != nullptr) out = text;
    OPENSSL_free(text);
    BN_free(serial);
  }
  X509_free(certificate);
  return out;
}

void TestConnection::shutdown_send() {
  if (fd_ < 0) return;
  // TLS: close_notify first (the server reads it as end of input, as it reads a FIN); reading
  // goes on until the server closes in turn.
  if (ssl_ != nullptr) SSL_shutdown(ssl_);
  ::shutdown(fd_, SHUT_WR);
}

bool TestConnection::send(std::string_view bytes) {
  auto deadline = Clock::now() + Millis(5000);
  if (ssl_ != nullptr) return send_tls(bytes, deadline);
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, RemainingMs(deadline)) != 1) return false;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
  return true;
}

bool TestConnection::send_tls(std::string_view bytes, Clock::time_point deadline) {
  while (!bytes.empty()) {
    ERR_clear_error();
    size_t written = 0;
    int rc = SSL_write_ex(ssl_, bytes.data(), bytes.size(), &written);
    if (rc == 1) {
      bytes.remove_prefix(written);
      continue;
    }
    int code = SSL_get_error(ssl_, rc);
    if ((code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) &&
        WaitFor(fd_, code, deadline)) {
      continue;
    }
    error_ = "TLS write failed: " + OpenSslErrors();
    return false;
  }
  return true;
}

int TestConnection::fill_tls(Clock::time_point deadline) {
  for (;;) {
    ERR_clear_error();
    char chunk[16384];
    size_t n = 0;
    int rc = SSL_read_ex(ssl_, chunk, sizeof chunk, &n);
    if (rc == 1) {
      buffer_.append(chunk, n);
      return static_cast<int>(n);
    }
    int code = SSL_get_error(ssl_, rc);
    if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) {
      if (!WaitFor(fd_, code, deadline)) return 0;
      continue;
    }
    // close_notify, a bare FIN or reset, or an alert (a refused client certificate): all count
    // as closed, as a reset does on a plain connection; error() keeps what OpenSSL said.
    if (code != SSL_ERROR_ZERO_RETURN) error_ = "TLS read: " + OpenSslErrors();
    peer_closed_ = true;
    return -1;
  }
}

int TestConnection::fill(Clock::time_point deadline) {
  if (peer_closed_) return -1;
  if (ssl_ != nullptr) return fill_tls(deadline);
  for (;;) {
    char chunk[16384];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<size_t>(n));
      return static_cast<int>(n);
    }
    if (n == 0) {
      peer_closed_ = true;
      return -1;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      peer_closed_ = true;  // reset counts as closed
      return -1;
    }
    pollfd p{fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, RemainingMs(deadline));
    if (ready == 0) return 0;
    if (ready < 0 && errno != EINTR) return -1;
  }
}

bool TestConnection::read_until(std::string_view needle, Millis timeout) {
  auto deadline = Clock::now() + timeout;
  while (buffer_.find(needle) == std::string::npos) {
    if (fill(deadline) <= 0) return buffer_.find(needle) != std::string::npos;
  }
  return true;
}

std::string TestConnection::read_until_close(Millis timeout, bool* closed) {
  auto deadline = Clock::now() + timeout;
  int n;
  while ((n = fill(deadline)) > 0) {
  }
  *closed = n < 0;
  std::string out = std::move(buffer_);
  buffer_.clear();
  return out;
}

HttpResult TestConnection::read_response(Millis timeout, bool head_request) {
  HttpResult result;
  auto deadline = Clock::now() + timeout;
  // Head.
  size_t head_end;
  while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    int n = fill(deadline);
    if (n == 0) {
      result.error = "timeout waiting for response head";
      return result;
    }
    if (n < 0) {
      result.closed = true;
      result.error = "connection closed before response head";
      return result;
    }
  }
  std::string head = buffer_.substr(0, head_end);
  buffer_.erase(0, head_end + 4);
  size_t line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) {
    result.error = "bad status line: " + status_line;
    return result;
  }
  result.status = std::stoi(status_line.substr(9, 3));
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t end = head.find("\r\n", pos);
    if (end == std::string::npos) end = head.size();
    std::string line = head.substr(pos, end - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      while (!value.empty() && value.back() == ' ') value.pop_back();
      result.headers.emplace_back(line.substr(0, colon), value);
    }
    pos = end + 2;
  }
  // Body.
  bool no_body = head_request || result.status == 204 || result.status == 304 ||
                 (result.status >= 100 && result.status < 200);
  if (no_body) {
    result.complete = true;
    return result;
  }
  auto encoding = result.header("Transfer-Encoding");
  if (encoding && EqualsIgnoreCase(*encoding, "chunked")) {
    result.chunked = true;
    for (;;) {
      size_t size_end;
      while ((size_end = buffer_.find("\r\n")) == std::string::npos) {
        int n = fill(deadline);
        if (n <= 0) {
          result.closed = n < 0;
          result.error = n == 0 ? "timeout in chunked body" : "closed in chunked body";
          return result;
        }
      }
      size_t size = std::stoul(buffer_.substr(0, size_end), nullptr, 16);
      if (size == 0) {
        // No trailers expected: the terminator is "0\r\n\r\n".
        while (buffer_.size() < size_end + 4) {
          int n = fill(deadline);
          if (n <= 0) {
            result.closed = n < 0;
            result.error = "incomplete last chunk";
            return result;
          }
        }
        buffer_.erase(0, size_end + 4);
        result.complete = true;
        return result;
      }
      while (buffer_.size() < size_end + 2 + size + 2) {
        int n = fill(deadline);
        if (n <= 0) {
          result.closed = n < 0;
          result.error = n == 0 ? "timeout in chunk" : "closed in chunk";
          return result;
        }
      }
      result.body.append(buffer_, size_end + 2, size);
      buffer_.erase(0, size_end + 2 + size + 2);
    }
  }
  if (auto length = result.header("Content-Length")) {
    size_t want = std::stoul(*length);
    while (buffer_.size() < want) {
      int n = fill(deadline);
      if (n <= 0) {
        result.closed = n < 0;
        result.error = n == 0 ? "timeout in body" : "closed in body";
        result.body = buffer_;
        return result;
      }
    }
    result.body = buffer_.substr(0, want);
    buffer_.erase(0, want);
    result.complete = true;
    return result;
  }
  bool closed = false;
  result.body = read_until_close(Millis(RemainingMs(deadline)), &closed);
  result.closed = closed;
  result.complete = closed;
  return result;
}

// ---------------------------------------------------------------------------------------------

std::string BuildRequest(std::string_view method, std::string_view target, const Headers& headers,
                         std::string_view body) {
  std::string out;
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  bool has_length = false;
  for (const auto& [name, value] : headers) {
    if (EqualsIgnoreCase(name, "Content-Length")) has_length = true;
    out.append(name).append(": ").append(value).append("\r\n");
  }
  if (!has_length && (!body.empty() || method == "POST" || method == "PUT")) {
    out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  out.append("\r\n").append(body);
  return out;
}

HttpResult Request(uint16_t port, std::string_view method, std::string_view target,
                   const Headers& headers, std::string_view body, Millis timeout) {
  TestConnection connection(port);
  if (!connection.ok()) {
    HttpResult result;
    result.error = connection.error();
    return result;
  }
  if (!connection.send(BuildRequest(method, target, headers, body))) {
    HttpResult result;
    result.error = "send failed";
    return result;
  }
  return connection.read_response(timeout, method == "HEAD");
}

// ---------------------------------------------------------------------------------------------
// ServerProcess

ServerProcess::~ServerProcess() {
  if (pid_ > 0 && !exit_code_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

bool ServerProcess::spawn(const std::string& binary, const std::vector<std::string>& args) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return false;
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return false;
  std::vector<std::string> argv_storage;
  argv_storage.push_back(binary);
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    std::signal(SIGPIPE, SIG_DFL);  // the TLS client may have ignored it in this process
    if (descriptor_limit_) {
      rlimit limit{static_cast<rlim_t>(descriptor_limit_->first),
                   static_cast<rlim_t>(descriptor_limit_->second)};
      if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) ::_exit(126);
    }
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(err_pipe[1], STDERR_FILENO);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
  SetNonBlocking(out_fd_);
  SetNonBlocking(err_fd_);
  pid_ = pid;
  return true;
}

void ServerProcess::drain(Millis timeout) {
  if (out_fd_ < 0 && err_fd_ < 0) {
    ::usleep(static_cast<useconds_t>(timeout.count() * 1000));
    return;
  }
  pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  int ready = ::poll(fds, 2, static_cast<int>(timeout.count()));
  if (ready <= 0) return;
  char chunk[4096];
  int* owned[2] = {&out_fd_, &err_fd_};
  for (int i = 0; i < 2; ++i) {
    if (*owned[i] < 0) continue;
    ssize_t n;
    while ((n = ::read(*owned[i], chunk, sizeof chunk)) > 0) {
      (i == 0 ? stdout_ : stderr_).append(chunk, static_cast<size_t>(n));
    }
    if (n == 0) {  // end of file: the child closed its end
      ::close(*owned[i]);
      *owned[i] = -1;
    }
  }
}

uint16_t ListeningPort(const std::string& output) {
  constexpr std::string_view kMarker = "listening on http";
  size_t at = output.find(kMarker);
  if (at == std::string::npos) return 0;
  size_t begin = at + kMarker.size();
  if (output.compare(begin, 3, "://") == 0) {
    begin += 3;
  } else if (output.compare(begin, 4, "s://") == 0) {
    begin += 4;
  } else {
    return 0;
  }
  size_t end = output.find_first_of(" \"\n", begin);
  if (end == std::string::npos) return 0;
  std::string host_port = output.substr(begin, end - begin);
  size_t colon = host_port.rfind(':');
  if (colon == std::string::npos) return 0;
  return static_cast<uint16_t>(std::stoi(host_port.substr(colon + 1)));
}

uint16_t ServerProcess::wait_listening(Millis timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    // The event log goes to stderr by default; stdout is looked at too.
    if (uint16_t port = ListeningPort(stderr_)) return port;
    if (uint16_t port = ListeningPort(stdout_)) return port;
    int status = 0;
    if (!exit_code_ && ::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (exit_code_) {
      drain(Millis(0));
      return 0;
    }
    drain(Millis(std::min(20, RemainingMs(deadline))));
  }
  return 0;
}

void ServerProcess::signal(int signo) {
  if (pid_ > 0 && !exit_code_) ::kill(pid_, signo);
}

std::optional<int> ServerProcess::wait_exit(Millis timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    if (exit_code_) return exit_code_;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      drain(Millis(0));
      return exit_code_;
    }
    if (Clock::now() >= deadline) return std::nullopt;
    drain(Millis(std::min(20, RemainingMs(deadline))));
  }
}

uint16_t FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

// CPU time (user + system) the process `pid` has used so far, in milliseconds; -1 if unknown.
long long ProcessCpuMillis(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = stat.rfind(')');  // the command name may hold spaces and parentheses
  if (paren == std::string::npos) return -1;
  std::istringstream fields(stat.substr(paren + 2));
  std::string field;
  long long utime = -1, stime = -1;
  // After the name: state is field 3; utime and stime are fields 14 and 15.
  for (int number = 3; number <= 15 && fields >> field; ++number) {
    if (number == 14) utime = std::stoll(field);
    if (number == 15) stime = std::stoll(field);
  }
  if (utime < 0 || stime < 0) return -1;
  return (utime + stime) * 1000 / ::sysconf(_SC_CLK_TCK);
}

}  // namespace streamkeeper::testing
