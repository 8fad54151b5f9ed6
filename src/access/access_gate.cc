#include "access/access_gate.h"

#include <cctype>
#include <chrono>
#include <cstring>
#include <ctime>
#include <unordered_map>

#include "protocol/protocol_handler.h"
#include "util/address_key.h"
#include "util/log.h"

namespace streamkeeper {
namespace {

// Versions of token tables, unique across every gate of the process.
std::atomic<uint64_t> next_table_version{1};

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// The credentials of "Authorization: Bearer <token>" (RFC 6750 §2.1): nullopt when the request
// has none (no header, another scheme); possibly empty when malformed.
std::optional<std::string_view> BearerToken(const HttpRequest& request) {
  std::optional<std::string_view> value = request.header("authorization");
  if (!value) return std::nullopt;
  std::string_view text = Trim(*value);
  size_t space = text.find(' ');
  if (!EqualsIgnoringCase(text.substr(0, space), "bearer")) return std::nullopt;
  if (space == std::string_view::npos) return std::string_view();
  return Trim(text.substr(space + 1));
}

HttpResponse Unauthorized(bool token_given, std::string_view message) {
  HttpResponse response = ProtocolHandler::Error(401, "UNAUTHORIZED", message);
  response.set("WWW-Authenticate", token_given ? R"(Bearer error="invalid_token")" : "Bearer");
  return response;
}

HttpResponse Forbidden(std::string message) {
  HttpResponse response = ProtocolHandler::Error(403, "FORBIDDEN", message);
  response.set("WWW-Authenticate", R"(Bearer error="insufficient_scope")");
  return response;
}

HttpResponse TooManyRequests(RateLimiter::Clock::duration wait, std::string_view whose) {
  using namespace std::chrono;
  auto seconds = duration_cast<std::chrono::seconds>(wait);
  if (seconds < wait) seconds += std::chrono::seconds(1);  // rounded up
  if (seconds.count() < 1) seconds = std::chrono::seconds(1);
  HttpResponse response = ProtocolHandler::Error(
      429, "RATE_LIMITED", "rate limit exceeded for this " + std::string(whose));
  response.set("Retry-After", std::to_string(seconds.count()));
  return response;
}

bool ParseOrigins(std::string_view text, bool* any, std::vector<std::string>* origins,
                  std::string* error) {
  if (Trim(text) == "*") {
    *any = true;
    return true;
  }
  *any = false;
  while (true) {
    size_t comma = text.find(',');
    std::string_view origin = Trim(text.substr(0, comma));
    // An origin is scheme "://" host [":" port], nothing after (RFC 6454 serialization).
    size_t scheme_end = origin.find("://");
    if (origin.empty() || scheme_end == std::string_view::npos || scheme_end == 0 ||
        scheme_end + 3 >= origin.size() ||
        origin.find('/', scheme_end + 3) != std::string_view::npos ||
        origin.find_first_of("*?# ") != std::string_view::npos) {
      *error = "--cors-origins: \"" + std::string(origin) +
               "\" is not an origin (scheme://host[:port]); give \"*\" or a comma list of origins";
      return false;
    }
    // Scheme, host and port are case-insensitive (RFC 6454 §4 lower-cases scheme and host);
    // browsers send them lower-case, and allow_origin() compares ignoring case anyway.
    std::string& lowered = origins->emplace_back(origin);
    for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (comma == std::string_view::npos) return true;
    text.remove_prefix(comma + 1);
  }
}

// The per-token rate-limit key of a JWT: its subject, or without one the token itself (the
// SHA-256 of its signature, which no two tokens share), so that no valid token goes unlimited.
// The two prefixes differ, so no subject can name another token's key.
std::string JwtRateKey(std::string_view token, const JwtIdentity& identity) {
  if (!identity.subject.empty()) return "jwt:" + identity.subject;
  static const char* digits = "0123456789abcdef";
  Sha256Digest digest = Sha256(token.substr(token.rfind('.') + 1));
  std::string key = "jwt-token:";
  for (unsigned char byte : digest) {
    key.push_back(digits[byte >> 4]);
    key.push_back(digits[byte & 15]);
  }
  return key;
}

}  // namespace

std::unique_ptr<AccessGate> AccessGate::Create(const AccessOptions& options, std::string* error) {
  static std::atomic<uint64_t> next_gate_id{1};
  std::unique_ptr<AccessGate> gate(new AccessGate());
  gate->id_ = next_gate_id.fetch_add(1);
  gate->options_ = options;
  if (!ParseOrigins(options.cors_origins, &gate->any_origin_, &gate->origins_, error)) {
    return nullptr;
  }
  if (!options.rate_limit.empty()) {
    RateLimit limit;
    Status status = ParseRateLimit(options.rate_limit, &limit);
    if (!status.ok()) {
      *error = "--rate-limit: " + status.message();
      return nullptr;
    }
    gate->ip_limiter_ = std::make_unique<RateLimiter>(limit);
    gate->token_limiter_ = std::make_unique<RateLimiter>(limit);
  }
  if (!options.jwt_public_key.empty() || !options.jwt_secret_file.empty()) {
    JwtOptions jwt{options.jwt_public_key, options.jwt_secret_file, options.jwt_audience};
    gate->jwt_ = JwtVerifier::Create(jwt, error);
    if (!gate->jwt_) return nullptr;
  } else if (!options.jwt_audience.empty()) {
    *error = "--jwt-audience needs --jwt-public-key or --jwt-secret-file";
    return nullptr;
  }
  if (!options.auth_file.empty()) {
    std::vector<AuthToken> tokens;
    if (!LoadAuthFile(options.auth_file, gate->jwt_ != nullptr, &tokens, error)) return nullptr;
    gate->install(std::make_shared<const TokenTable>(std::move(tokens)));
  }
  return gate;
}

void AccessGate::install(std::shared_ptr<const TokenTable> table) {
  std::lock_guard<std::mutex> lock(mutex_);
  table_ = std::move(table);
  version_.store(next_table_version.fetch_add(1), std::memory_order_release);
}

bool AccessGate::reload(std::string* error) {
  if (options_.auth_file.empty()) return true;
  std::vector<AuthToken> tokens;
  if (!LoadAuthFile(options_.auth_file, jwt_ != nullptr, &tokens, error)) return false;
  install(std::make_shared<const TokenTable>(std::move(tokens)));
  return true;
}

std::shared_ptr<const TokenTable> AccessGate::current_tokens() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return table_;
}

size_t AccessGate::token_count() const {
  auto table = current_tokens();
  return table ? table->size() : 0;
}

const TokenTable* AccessGate::tokens_for_this_thread() const {
  struct Cached {
    uint64_t version = 0;
    std::shared_ptr<const TokenTable> table;
  };
  thread_local Cached cached;
  uint64_t version = version_.load(std::memory_order_acquire);
  if (cached.version != version) {
    std::lock_guard<std::mutex> lock(mutex_);
    cached.table = table_;
    cached.version = version_.load(std::memory_order_relaxed);
  }
  return cached.table.get();
}

const AccessGate::VerifiedJwt* AccessGate::verified_jwt(std::string_view token, int64_t now,
                                                        std::string_view peer) const {
  // Bounded: cleared when full (a thread sees few distinct tokens in their lifetime; a client
  // sending a fresh one each time pays the signature check it would pay anyway).
  constexpr size_t kMaxEntries = 4096;
  struct DigestHash {
    size_t operator()(const Sha256Digest& digest) const {
      size_t hash;
      std::memcpy(&hash, digest.data(), sizeof hash);  // a digest is uniform already
      return hash;
    }
  };
  struct Cache {
    uint64_t gate_id = 0;
    std::unordered_map<Sha256Digest, VerifiedJwt, DigestHash> entries;
  };
  thread_local Cache cache;
  if (cache.gate_id != id_) {
    cache.entries.clear();
    cache.gate_id = id_;
  }
  const Sha256Digest digest = Sha256(token);
  if (auto found = cache.entries.find(digest); found != cache.entries.end()) {
    if (found->second.identity.valid_at(now)) return &found->second;
    cache.entries.erase(found);  // expired: verify() says so, for the log
  }
  JwtIdentity identity;
  std::string why;
  jwt_verifications_.fetch_add(1, std::memory_order_relaxed);
  if (!jwt_->verify(token, now, &identity, &why)) {
    log::Debug("JWT refused", {{"reason", why}, {"peer", peer}});
    return nullptr;
  }
  if (cache.entries.size() >= kMaxEntries) cache.entries.clear();
  VerifiedJwt& entry = cache.entries[digest];
  entry.rate_key = JwtRateKey(token, identity);
  entry.identity = std::move(identity);
  return &entry;
}

std::string_view AccessGate::allow_origin(std::string_view origin) const {
  if (any_origin_) return "*";
  for (const std::string& allowed : origins_) {
    if (EqualsIgnoringCase(allowed, origin)) return origin;
  }
  return {};
}

std::optional<HttpResponse> AccessGate::admit(const HttpRequest& request,
                                              const RequestPeer& peer) {
  NeedsScratch scratch;
  RequestNeeds needs = NeedsOf(request, options_.metrics_open, &scratch);
  if (needs.kind == RequestNeeds::Kind::kFree) return std::nullopt;
  if (ip_limiter_) {
    AddressKey key(peer.address);
    if (auto wait = ip_limiter_->take(key.view())) return TooManyRequests(*wait, "address");
  }
  if (!options_.authenticates() || needs.kind == RequestNeeds::Kind::kNoToken) {
    return std::nullopt;
  }

  std::optional<std::string_view> bearer = BearerToken(request);
  if (!bearer) return Unauthorized(false, "this request needs Authorization: Bearer <token>");
  if (bearer->empty()) return Unauthorized(true, "the bearer token is empty");
  const Rights* rights = nullptr;
  std::string_view name;
  if (jwt_ && JwtVerifier::LooksLikeJwt(*bearer)) {
    const VerifiedJwt* verified =
        verified_jwt(*bearer, static_cast<int64_t>(std::time(nullptr)), peer.address);
    if (verified == nullptr) return Unauthorized(true, "the bearer token is not valid");
    rights = &verified->identity.rights;
    name = verified->rate_key;
  } else {
    const TokenTable* table = tokens_for_this_thread();
    const AuthToken* token = table != nullptr ? table->find(*bearer) : nullptr;
    if (token == nullptr) return Unauthorized(true, "the bearer token is not valid");
    rights = &token->rights;
    name = token->name;
  }
  if (token_limiter_) {
    if (auto wait = token_limiter_->take(name)) return TooManyRequests(*wait, "token");
  }
  if (needs.kind == RequestNeeds::Kind::kUnsafePath) {
    return Forbidden("the path (or Stream-Forked-From) cannot be matched against rights: it "
                     "does not parse, or has a dot segment, an encoded '/' or a control "
                     "character");
  }
  for (size_t i = 0; i < needs.count; ++i) {
    const Need& need = needs.needs[i];
    if (!rights->allows(need.right, need.path)) {
      return Forbidden("the token has no " + std::string(RightName(need.right)) + " right on " +
                       std::string(need.path));
    }
  }
  return std::nullopt;
}

}  // namespace streamkeeper
