#include "crash_client.h"

#include <chrono>
#include <cstdio>

namespace streamkeeper::crash {
namespace {

using testing::Headers;
using testing::HttpResult;
using Millis = std::chrono::milliseconds;

constexpr Millis kRequestTimeout(10000);
constexpr Millis kParkTimeout(30000);
constexpr const char* kText = "text/plain";
constexpr const char* kJson = "application/json";

std::string Summary(const HttpResult& r) {
  std::string out = "HTTP " + std::to_string(r.status);
  if (!r.error.empty()) out += " (" + r.error + ")";
  if (!r.body.empty()) out += " body=" + r.body.substr(0, 200);
  for (const auto& [name, value] : r.headers) {
    if (name.rfind("Stream-", 0) == 0 || name.rfind("Producer-", 0) == 0) {
      out += " " + name + ": " + value;
    }
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Violations, Coordinator

void Violations::add(const std::string& message) {
  std::lock_guard lock(mu_);
  messages_.push_back(message);
  count_.fetch_add(1);
}

std::vector<std::string> Violations::all() {
  std::lock_guard lock(mu_);
  return messages_;
}

void Coordinator::resume(uint16_t port) {
  std::lock_guard lock(mu_);
  port_ = port;
  ++generation_;
  parking_ = false;
  cv_.notify_all();
}

bool Coordinator::park_all(int clients) {
  std::unique_lock lock(mu_);
  parking_ = true;
  cv_.notify_all();
  return cv_.wait_for(lock, kParkTimeout, [&] { return parked_ + exited_ >= clients; });
}

void Coordinator::finish() {
  std::lock_guard lock(mu_);
  finished_ = true;
  cv_.notify_all();
}

void Coordinator::exited() {
  std::lock_guard lock(mu_);
  ++exited_;
  cv_.notify_all();
}

bool Coordinator::park(uint64_t* generation, uint16_t* port) {
  std::unique_lock lock(mu_);
  ++parked_;
  cv_.notify_all();
  cv_.wait(lock, [&] { return finished_ || (generation_ > *generation && !parking_); });
  --parked_;
  if (finished_) return false;
  *generation = generation_;
  *port = port_;
  return true;
}

bool Coordinator::park_requested(uint64_t generation) {
  std::lock_guard lock(mu_);
  return finished_ || parking_ || generation_ != generation;
}

// ---------------------------------------------------------------------------------------------
// CrashClient: generating operations

CrashClient::CrashClient(int id, uint64_t seed, Coordinator* coordinator, CrashStats* stats,
                         Violations* violations)
    : id_(id),
      rng_(seed * 1000003 + static_cast<uint64_t>(id)),
      coordinator_(coordinator),
      stats_(stats),
      violations_(violations) {
  std::string base = "/v1/stream/crash/c" + std::to_string(id);
  bytes_ = std::make_unique<StreamModel>();
  bytes_->path = base + "/bytes";
  json_ = std::make_unique<StreamModel>();
  json_->path = base + "/json";
  json_->json = true;
  producer_ = std::make_unique<StreamModel>();
  producer_->path = base + "/producer";
}

std::vector<StreamModel*> CrashClient::all_streams() {
  std::vector<StreamModel*> out = {bytes_.get(), json_.get(), producer_.get()};
  for (auto& fork : forks_) out.push_back(fork.get());
  return out;
}

void CrashClient::violation(const std::string& message) {
  std::string text = "client " + std::to_string(id_) + ": " + message + "\n  its last events:";
  for (const std::string& event : history_) text += "\n    " + event;
  violations_->add(text);
}

void CrashClient::remember(std::string event) {
  if (history_.size() == kHistory) history_.pop_front();
  history_.push_back("server " + std::to_string(generation_) + ": " + std::move(event));
}

Operation CrashClient::make_append(StreamModel* stream) {
  Operation op;
  op.kind = Operation::Kind::kAppend;
  op.stream = stream;
  uint64_t n = ++counter_;
  if (stream->json) {
    op.content_type = kJson;
    int count = 1 + static_cast<int>(rng_() % 5);
    for (int i = 0; i < count; ++i) {
      op.units.push_back("{\"c\":" + std::to_string(id_) + ",\"n\":" + std::to_string(n) +
                         ",\"i\":" + std::to_string(i) + ",\"p\":\"" +
                         std::string(rng_() % 40, 'j') + "\"}");
    }
    if (count == 1 && rng_() % 2 == 0) {
      op.body = op.units[0];  // a single value is one message
    } else {
      op.body = "[";
      for (int i = 0; i < count; ++i) op.body += (i ? "," : "") + op.units[i];
      op.body += "]";
    }
  } else {
    op.content_type = kText;
    op.body = "<c" + std::to_string(id_) + " n" + std::to_string(n) + " " +
              std::string(rng_() % 120, static_cast<char>('a' + n % 26)) + ">";
    op.units = {op.body};
  }
  return op;
}

Operation CrashClient::make_producer_append() {
  Operation op = make_append(producer_.get());
  op.producer = true;
  op.producer_id = "p" + std::to_string(id_);
  const StreamModel& p = *producer_;
  if (p.producer_last_seq && rng_() % 50 == 0) {
    op.producer_epoch = p.producer_epoch + 1;  // a new epoch starts at seq 0
    op.producer_seq = 0;
  } else {
    op.producer_epoch = p.producer_epoch;
    op.producer_seq = p.producer_last_seq ? *p.producer_last_seq + 1 : 0;
  }
  return op;
}

Operation CrashClient::next_operation() {
  auto create = [&](StreamModel* stream, bool maybe_data) {
    Operation op;
    op.kind = Operation::Kind::kCreate;
    op.stream = stream;
    op.content_type = stream->json ? kJson : kText;
    if (maybe_data && rng_() % 3 == 0) {
      op.body = "<init c" + std::to_string(id_) + " n" + std::to_string(++counter_) + ">";
      op.units = {op.body};
    }
    return op;
  };
  if (!producer_->exists) return create(producer_.get(), false);
  if (!json_->exists) return create(json_.get(), false);
  if (!bytes_->exists) return create(bytes_.get(), true);

  std::vector<StreamModel*> live_forks;
  for (auto& fork : forks_) {
    if (fork->exists) live_forks.push_back(fork.get());
  }
  auto delete_op = [](StreamModel* stream) {
    Operation op;
    op.kind = Operation::Kind::kDelete;
    op.stream = stream;
    return op;
  };
  auto bytes_closed = [&]() -> Operation {
    // The byte stream takes nothing more: check that it refuses, or delete and start over.
    if (rng_() % 4 == 0) {
      Operation op = make_append(bytes_.get());
      op.kind = Operation::Kind::kAppendToClosed;
      op.units.clear();
      return op;
    }
    return delete_op(bytes_.get());  // soft when forks still read it
  };

  int choice = static_cast<int>(rng_() % 100);
  if (bytes_->soft_deleted && !live_forks.empty()) {
    // Deleted while forked: only its forks are left; it goes for good with the last of them.
    if (choice < 30) return make_append(json_.get());
    if (choice < 50) return make_producer_append();
    StreamModel* fork = live_forks[rng_() % live_forks.size()];
    if (choice < 70 && !fork->closed) return make_append(fork);
    return delete_op(fork);
  }
  if (choice < 22) {  // plain append
    if (bytes_->closed) return bytes_closed();
    return make_append(bytes_.get());
  }
  if (choice < 32) {  // Stream-Seq append
    if (bytes_->closed) return bytes_closed();
    Operation op = make_append(bytes_.get());
    char seq[32];
    std::snprintf(seq, sizeof seq, "%012llu", static_cast<unsigned long long>(++stream_seq_));
    op.stream_seq = seq;
    return op;
  }
  if (choice < 47) return make_append(json_.get());  // JSON, all or nothing
  if (choice < 72) return make_producer_append();
  if (choice < 77) {  // close, with or without data
    if (bytes_->closed) return bytes_closed();
    if (rng_() % 2 == 0) {
      Operation op = make_append(bytes_.get());
      op.close = true;
      return op;
    }
    Operation op;
    op.kind = Operation::Kind::kClose;
    op.stream = bytes_.get();
    return op;
  }
  if (choice < 82) return delete_op(bytes_.get());  // recreated later; soft while forked
  if (choice < 88 && live_forks.size() < 2) {
    auto fork = std::make_unique<StreamModel>();
    fork->path =
        "/v1/stream/crash/c" + std::to_string(id_) + "/fork" + std::to_string(forks_.size());
    fork->fork_source = bytes_.get();
    Operation op;
    op.kind = Operation::Kind::kFork;
    op.stream = fork.get();
    op.content_type = kText;
    op.fork_offset = bytes_->boundaries[rng_() % bytes_->boundaries.size()];
    forks_.push_back(std::move(fork));
    return op;
  }
  if (live_forks.empty()) return make_append(bytes_->closed ? json_.get() : bytes_.get());
  StreamModel* fork = live_forks[rng_() % live_forks.size()];
  if (choice < 96 && !fork->closed) {
    Operation op = make_append(fork);
    op.close = rng_() % 8 == 0;
    return op;
  }
  return delete_op(fork);
}

// ---------------------------------------------------------------------------------------------
// CrashClient: sending

HttpResult CrashClient::send(const std::string& method, const std::string& path,
                             const Headers& headers, const std::string& body, bool* connected) {
  *connected = true;
  if (!connection_) {
    connection_ = std::make_unique<testing::TestConnection>(port_);
    if (!connection_->ok()) {
      connection_.reset();
      *connected = false;
      HttpResult result;
      result.error = "connect failed";
      return result;
    }
  }
  HttpResult result;
  if (!connection_->send(testing::BuildRequest(method, path, headers, body))) {
    connection_.reset();
    result.error = "send failed";
    return result;
  }
  result = connection_->read_response(kRequestTimeout, method == "HEAD");
  if (result.status == 0 || result.closed || !result.complete ||
      result.header("Connection").value_or("") == "close") {
    connection_.reset();
  }
  return result;
}

CrashClient::Outcome CrashClient::execute(const Operation& op, bool expect_duplicate) {
  std::string method = "POST";
  Headers headers;
  int expected_status = 204;
  switch (op.kind) {
    case Operation::Kind::kCreate:
      method = "PUT";
      headers.emplace_back("Content-Type", op.content_type);
      expected_status = 201;
      break;
    case Operation::Kind::kFork:
      method = "PUT";
      headers.emplace_back("Content-Type", op.content_type);
      headers.emplace_back("Stream-Forked-From", op.stream->fork_source->path);
      headers.emplace_back("Stream-Fork-Offset", FormatOffset(op.fork_offset));
      expected_status = 201;
      break;
    case Operation::Kind::kAppend:
      headers.emplace_back("Content-Type", op.content_type);
      if (op.close) headers.emplace_back("Stream-Closed", "true");
      if (op.stream_seq) headers.emplace_back("Stream-Seq", *op.stream_seq);
      if (op.producer) {
        headers.emplace_back("Producer-Id", op.producer_id);
        headers.emplace_back("Producer-Epoch", std::to_string(op.producer_epoch));
        headers.emplace_back("Producer-Seq", std::to_string(op.producer_seq));
        expected_status = expect_duplicate ? 204 : 200;
      }
      break;
    case Operation::Kind::kClose:
      headers.emplace_back("Stream-Closed", "true");
      break;
    case Operation::Kind::kDelete:
      method = "DELETE";
      break;
    case Operation::Kind::kAppendToClosed:
      headers.emplace_back("Content-Type", op.content_type);
      expected_status = 409;
      break;
  }
  bool connected = true;
  HttpResult r = send(method, op.stream->path, headers, op.body, &connected);
  if (!connected) return Outcome::kNotSent;
  if (r.status == 0 || r.status >= 500) return Outcome::kUnknown;
  auto fail = [&](const std::string& why) {
    violation(op.describe() + (expect_duplicate ? " (retry of an applied op)" : "") + ": " + why +
              "; answer: " + Summary(r));
    return Outcome::kViolation;
  };
  if (r.status != expected_status) {
    return fail("expected HTTP " + std::to_string(expected_status));
  }
  StreamModel after = expect_duplicate ? *op.stream : After(op, *op.stream);
  if (op.kind != Operation::Kind::kDelete) {
    // Offsets come only from durable state, so every answer names exactly the modelled tail:
    // an offset reused after a restart, or skipped, shows here.
    std::string want = FormatOffset(after.tail());
    if (r.header("Stream-Next-Offset").value_or("") != want) {
      return fail("expected Stream-Next-Offset " + want);
    }
  }
  if (op.kind == Operation::Kind::kAppend || op.kind == Operation::Kind::kClose ||
      op.kind == Operation::Kind::kAppendToClosed) {
    bool closed = r.header("Stream-Closed").value_or("") == "true";
    if (closed != after.closed)
      return fail(after.closed ? "expected Stream-Closed" : "unexpected Stream-Closed");
  }
  if (op.producer) {
    if (r.header("Producer-Epoch").value_or("") != std::to_string(op.producer_epoch) ||
        r.header("Producer-Seq").value_or("") != std::to_string(op.producer_seq)) {
      return fail("expected Producer-Epoch " + std::to_string(op.producer_epoch) +
                  " and Producer-Seq " + std::to_string(op.producer_seq));
    }
  }
  return Outcome::kAcknowledged;
}

// ---------------------------------------------------------------------------------------------
// CrashClient: the loop

void CrashClient::run() {
  if (!coordinator_->park(&generation_, &port_)) return coordinator_->exited();
  while (!violations_->any()) {
    if (coordinator_->park_requested(generation_)) {
      connection_.reset();
      if (!coordinator_->park(&generation_, &port_)) break;
      continue;
    }
    Operation op;
    bool expect_duplicate = false;
    bool may_apply = true;
    if (pending_) {
      if (pending_->state == Pending::State::kUnresolved) {
        violation("pending operation was never resolved: " + pending_->op.describe());
        break;
      }
      // Only producer appends are retried: the same epoch, seq and body. The answer must agree
      // with what the restarted server showed: a duplicate if it took effect, else stored now.
      op = pending_->op;
      expect_duplicate = pending_->state == Pending::State::kApplied;
      may_apply = !expect_duplicate;
    } else {
      op = next_operation();
    }
    Outcome outcome = execute(op, expect_duplicate);
    static const char* kOutcomes[] = {"acknowledged", "unknown outcome", "not sent", "violation"};
    remember(op.describe() + (expect_duplicate ? " (retry, duplicate expected)" : "") + ": " +
             kOutcomes[static_cast<int>(outcome)]);
    if (outcome == Outcome::kViolation) break;
    if (outcome == Outcome::kAcknowledged) {
      stats_->acknowledged.fetch_add(1);
      if (expect_duplicate) {
        stats_->duplicate_retries.fetch_add(1);
      } else {
        Commit(op);
      }
      pending_.reset();
      continue;
    }
    if (outcome == Outcome::kNotSent) {
      // Nothing reached the server: the operation is dropped (a producer seq is reused by the
      // next producer append, since the model's seq did not move), unless it was a retry.
      stats_->not_sent.fetch_add(1);
    } else {
      stats_->unknown.fetch_add(1);
      pending_ = Pending{op, may_apply, Pending::State::kUnresolved};
    }
    connection_.reset();
    if (!coordinator_->park(&generation_, &port_)) break;
  }
  coordinator_->exited();
}

// ---------------------------------------------------------------------------------------------
// CrashClient: verifying after a restart

Observed CrashClient::observe(const StreamModel& stream) {
  Observed observed;
  bool connected = true;
  HttpResult head = send("HEAD", stream.path, {}, "", &connected);
  if (head.status == 404) return observed;
  if (head.status == 410) {
    observed.exists = true;
    observed.gone = true;
    return observed;
  }
  if (head.status != 200) {
    observed.error = "HEAD " + stream.path + ": " + Summary(head);
    return observed;
  }
  observed.exists = true;
  observed.closed = head.header("Stream-Closed").value_or("") == "true";
  auto tail = ParseOffsetPosition(head.header("Stream-Next-Offset").value_or(""));
  if (!tail) {
    observed.error = "HEAD " + stream.path + " without a valid Stream-Next-Offset";
    return observed;
  }
  observed.tail = *tail;
  std::string offset = "-1";
  std::string messages;  // JSON: pages' arrays, joined
  for (int page = 0; page < 10000; ++page) {
    HttpResult get = send("GET", stream.path + "?offset=" + offset, {}, "", &connected);
    if (get.status != 200) {
      observed.error = "GET " + stream.path + "?offset=" + offset + ": " + Summary(get);
      return observed;
    }
    if (stream.json) {
      const std::string& body = get.body;
      if (body.size() < 2 || body.front() != '[' || body.back() != ']') {
        observed.error = "GET " + stream.path + ": not a JSON array: " + body.substr(0, 200);
        return observed;
      }
      std::string inner = body.substr(1, body.size() - 2);
      if (!inner.empty()) messages += (messages.empty() ? "" : ",") + inner;
    } else {
      observed.rendered += get.body;
    }
    std::string next = get.header("Stream-Next-Offset").value_or("");
    if (get.header("Stream-Up-To-Date").value_or("") == "true") {
      if (stream.json) observed.rendered = "[" + messages + "]";
      return observed;
    }
    if (next.empty() || next == offset) {
      observed.error = "GET " + stream.path + " does not advance at " + offset;
      return observed;
    }
    offset = next;
  }
  observed.error = "GET " + stream.path + " never up to date";
  return observed;
}

void CrashClient::check_stream(StreamModel* stream) {
  Observed observed = observe(*stream);
  std::string why;
  if (!Matches(*stream, observed, &why)) {
    if (stream->exists && (!observed.exists || observed.tail < stream->tail())) {
      stats_->lost.fetch_add(1);
    }
    violation(stream->path + " after restart: " + why);
    return;
  }
  stats_->checked.fetch_add(stream->unverified_ops);
  stats_->streams_checked.fetch_add(1);
  stream->unverified_ops = 0;
  stream->absent_checks = stream->exists ? 0 : stream->absent_checks + 1;
}

void CrashClient::check_producer_duplicate() {
  const StreamModel& p = *producer_;
  if (!p.exists || !p.producer_last_seq) return;
  // The last acknowledged seq and an earlier one of the same epoch: both are duplicates now.
  std::vector<uint64_t> seqs = {*p.producer_last_seq};
  if (*p.producer_last_seq > 0) seqs.push_back(rng_() % *p.producer_last_seq);
  for (uint64_t seq : seqs) {
    Headers headers = {{"Content-Type", kText},
                       {"Producer-Id", "p" + std::to_string(id_)},
                       {"Producer-Epoch", std::to_string(p.producer_epoch)},
                       {"Producer-Seq", std::to_string(seq)}};
    bool connected = true;
    HttpResult r = send("POST", p.path, headers, p.producer_last_body, &connected);
    if (r.status != 204 ||
        r.header("Producer-Epoch").value_or("") != std::to_string(p.producer_epoch) ||
        r.header("Producer-Seq").value_or("") != std::to_string(*p.producer_last_seq) ||
        r.header("Stream-Next-Offset").value_or("") != FormatOffset(p.tail())) {
      violation("retry of acknowledged producer append seq " + std::to_string(seq) + " (epoch " +
                std::to_string(p.producer_epoch) + ", last acknowledged seq " +
                std::to_string(*p.producer_last_seq) + ") on " + p.path +
                " after restart: expected 204 duplicate with Producer-Seq " +
                std::to_string(*p.producer_last_seq) + "; answer: " + Summary(r));
      return;
    }
    stats_->duplicate_retries.fetch_add(1);
  }
}

void CrashClient::check_stream_seq_conflict() {
  const StreamModel& b = *bytes_;
  if (!b.exists || b.soft_deleted || b.closed || b.last_stream_seq.empty()) return;
  Headers headers = {{"Content-Type", kText}, {"Stream-Seq", b.last_stream_seq}};
  bool connected = true;
  HttpResult r = send("POST", b.path, headers, "<repeated Stream-Seq>", &connected);
  if (r.status != 409 || r.header("Stream-Closed")) {
    violation("repeat of acknowledged Stream-Seq " + b.last_stream_seq + " on " + b.path +
              " after restart: expected 409; answer: " + Summary(r));
  }
}

void CrashClient::verify(uint16_t port) {
  port_ = port;
  connection_.reset();
  if (pending_ && pending_->state == Pending::State::kUnresolved) {
    const Operation& op = pending_->op;
    Observed observed = observe(*op.stream);
    StreamModel after = After(op, *op.stream);
    std::string why_before, why_after;
    if (Matches(*op.stream, observed, &why_before)) {
      // Unchanged: it did not take effect, or (a retry) it had taken effect once already.
      pending_->state =
          pending_->may_apply ? Pending::State::kNotApplied : Pending::State::kApplied;
      if (pending_->may_apply) stats_->unknown_dropped.fetch_add(1);
      remember("verify: unchanged by " + op.describe());
    } else if (pending_->may_apply && Matches(after, observed, &why_after)) {
      pending_->state = Pending::State::kApplied;
      stats_->unknown_applied.fetch_add(1);
      Commit(op);
      remember("verify: applied " + op.describe());
    } else {
      violation(op.stream->path + " after restart shows neither its acknowledged state nor " +
                (pending_->may_apply ? "that state plus " : "(it already took effect once) ") +
                "the operation whose outcome was unknown, " + op.describe() +
                ": against the acknowledged state: " + why_before +
                (pending_->may_apply ? "; against it plus the operation: " + why_after : ""));
      if (op.stream->exists && (!observed.exists || observed.tail < op.stream->tail())) {
        stats_->lost.fetch_add(1);
      }
      return;
    }
    if (!op.producer) pending_.reset();  // only producer appends are retried
  }
  check_producer_duplicate();
  check_stream_seq_conflict();
  for (StreamModel* stream : all_streams()) {
    bool retired = stream->fork_source && !stream->exists && stream->absent_checks >= 3;
    if (!retired) check_stream(stream);
  }
  connection_.reset();
}

}  // namespace streamkeeper::crash
