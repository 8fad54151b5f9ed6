// AccessGate: the server's RequestGate (http/request_gate.h) when any access option is set:
// CORS origins, bearer-token authentication (the auth file, JWTs), rights (access_rules.h) and
// rate limits. main.cc builds one only then; without it the transport asks no gate.
//
// admit(), in order:
//   1. free routes (OPTIONS, /healthz, /readyz) pass;
//   2. the client's address takes from its rate-limit bucket (an IPv6 client's /64: see
//      util/address_key.h): empty, 429 with Retry-After;
//   3. without a token source configured, or for /metrics with --metrics-open, the request
//      passes;
//   4. no "Authorization: Bearer" token: 401, WWW-Authenticate: Bearer; an empty token, or one
//      that is no configured secret or no valid JWT: 401, WWW-Authenticate: Bearer
//      error="invalid_token" (a token of three dot-separated parts is checked as a JWT, and
//      only as one, when JWTs are configured: the auth file may then hold no such secret);
//   5. the token takes from its rate-limit bucket (429), keyed by the auth file's name, by
//      "jwt:<sub>", or for a JWT without "sub" by the token itself;
//   6. a path that cannot be matched safely, or a right the token lacks: 403.
// Every refusal carries the JSON error body (codes UNAUTHORIZED, FORBIDDEN, RATE_LIMITED).
// Nothing of the token is logged or echoed.
//
// Cost: in the common case (a secret from the auth file, a path without '%'), admit() parses
// the target, hashes the token once, compares it with each token's digest and the path with the
// token's prefixes; it allocates nothing (the rate limiter aside) and takes no lock: the tokens
// are read through a per-thread copy of the current table's pointer, refreshed (under a mutex)
// only after a reload.
//
// Thread-safety: admit() and allow_origin() run concurrently on every IO thread; reload() may
// run concurrently with them (from the signal thread).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "access/access_options.h"
#include "access/jwt_verifier.h"
#include "access/rate_limiter.h"
#include "access/token_table.h"
#include "http/request_gate.h"

namespace streamkeeper {

class AccessGate : public RequestGate {
 public:
  // A gate for `options`; null with *error when an option is wrong (the auth file's errors name
  // its line; --cors-origins, --rate-limit and the JWT key files name the flag or the file).
  static std::unique_ptr<AccessGate> Create(const AccessOptions& options, std::string* error);

  std::optional<HttpResponse> admit(const HttpRequest& request, const RequestPeer& peer) override;

  // "*" with --cors-origins "*"; `origin` itself when it is one of the listed origins
  // (compared ignoring case: scheme, host and port are case-insensitive); else empty (no
  // Access-Control-Allow-Origin).
  std::string_view allow_origin(std::string_view origin) const override;

  // Whether answers depend on the request's Origin (a list of origins, not "*"). Then every
  // response must carry "Vary: Origin", those without Access-Control-Allow-Origin included: a
  // shared cache must not serve an answer made for one origin (or none) to another.
  bool varies_by_origin() const { return !any_origin_; }

  // Re-reads the auth file (nothing to do without one). On an error keeps the tokens it has and
  // returns false with *error naming the line.
  bool reload(std::string* error);

  // Tokens of the auth file now in use.
  size_t token_count() const;

  // JWT signatures checked so far (a token is checked once per IO thread while it stays valid;
  // see verified_jwt()).
  uint64_t jwt_verifications() const { return jwt_verifications_.load(std::memory_order_relaxed); }

 private:
  AccessGate() = default;
  std::shared_ptr<const TokenTable> current_tokens() const;
  const TokenTable* tokens_for_this_thread() const;
  void install(std::shared_ptr<const TokenTable> table);

  // A JWT that passed verify(), with the key its requests are rate-limited under.
  struct VerifiedJwt {
    JwtIdentity identity;
    std::string rate_key;
  };
  // `token` verified at `now` (Unix seconds), or null (refused; the reason goes to the debug
  // log). A signature check costs tens of microseconds (RS256, ES256, EdDSA), more than the rest
  // of an append: so each IO thread keeps the tokens it verified, keyed by their SHA-256 (a
  // lookup then reveals nothing, by its timing, of a token's bytes), until their exp. The
  // result is valid until this thread's next call.
  const VerifiedJwt* verified_jwt(std::string_view token, int64_t now,
                                  std::string_view peer) const;

  AccessOptions options_;
  bool any_origin_ = true;
  std::vector<std::string> origins_;
  std::unique_ptr<JwtVerifier> jwt_;
  std::unique_ptr<RateLimiter> ip_limiter_;
  std::unique_ptr<RateLimiter> token_limiter_;

  // The auth file's tokens: table_ (under mutex_) and its version, a number no other table of
  // any gate has had, which the IO threads compare with the version of their cached pointer.
  mutable std::mutex mutex_;
  std::shared_ptr<const TokenTable> table_;
  std::atomic<uint64_t> version_{0};

  // Which gate a thread's cache of verified JWTs belongs to: a number no other gate has had.
  uint64_t id_ = 0;
  mutable std::atomic<uint64_t> jwt_verifications_{0};
};

}  // namespace streamkeeper
