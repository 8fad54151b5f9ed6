// CrashClient: one client thread of the crash harness. It owns its streams (a byte stream with
// forks, a JSON stream, a producer stream), sends one operation at a time over a keep-alive
// connection, and applies to its model only what the server acknowledged. An operation whose
// outcome is unknown (connection lost, 5xx) is left pending: the client parks until the server
// has been killed and restarted, the verifier resolves the pending operation against what the
// restarted server shows (it took effect whole, or not at all), and a producer append is then
// retried with the same sequence number, whose answer must agree with that resolution.
//
// Coordinator hands clients the current server (its port) and parks them around each kill.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "../server/http_test_client.h"
#include "stream_model.h"

namespace streamkeeper::crash {

struct CrashStats {
  std::atomic<uint64_t> acknowledged{0};       // operations answered as expected
  std::atomic<uint64_t> unknown{0};            // outcomes left unknown (lost connection, 5xx)
  std::atomic<uint64_t> not_sent{0};           // connect refused: retried after the restart
  std::atomic<uint64_t> unknown_applied{0};    // unknown outcomes found to have taken effect
  std::atomic<uint64_t> unknown_dropped{0};    // unknown outcomes found not to have
  std::atomic<uint64_t> checked{0};            // acknowledged ops verified after a restart
  std::atomic<uint64_t> streams_checked{0};    // stream checks after restarts
  std::atomic<uint64_t> duplicate_retries{0};  // producer retries answered as duplicates
  std::atomic<uint64_t> lost{0};               // acknowledged effects missing after a restart
};

// Failures are collected here; the first one stops the run.
class Violations {
 public:
  void add(const std::string& message);
  bool any() const { return count_.load() > 0; }
  std::vector<std::string> all();

 private:
  std::mutex mu_;
  std::vector<std::string> messages_;
  std::atomic<int> count_{0};
};

class Coordinator {
 public:
  // Main thread: a new server listens on `port`; parked clients resume.
  void resume(uint16_t port);
  // Main thread, after the kill: ask clients to park, wait (bounded) until all `clients` have
  // parked or exited. False on timeout.
  bool park_all(int clients);
  // Main thread: clients leave their loops.
  void finish();

  // Client: parks until a server newer than `*generation` runs (or finish); updates
  // *generation and *port. Returns false on finish.
  bool park(uint64_t* generation, uint16_t* port);
  // Client: whether it should park before its next operation.
  bool park_requested(uint64_t generation);
  // Client: it left its loop for good.
  void exited();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t generation_ = 0;
  uint16_t port_ = 0;
  bool parking_ = false;
  bool finished_ = false;
  int parked_ = 0;
  int exited_ = 0;
};

class CrashClient {
 public:
  CrashClient(int id, uint64_t seed, Coordinator* coordinator, CrashStats* stats,
              Violations* violations);

  // Thread body: operations until Coordinator::finish() or a violation.
  void run();

  // Verifier, called while this client is parked and a restarted server runs on `port`:
  // resolves the pending operation, checks every stream of this client against the model,
  // retries the last acknowledged producer append (must be a duplicate) and the last
  // acknowledged Stream-Seq (must conflict). Violations go to the shared list.
  void verify(uint16_t port);

 private:
  struct Pending {
    Operation op;
    bool may_apply = true;  // false: a retry of a producer append already found applied
    enum class State { kUnresolved, kApplied, kNotApplied } state = State::kUnresolved;
  };
  enum class Outcome { kAcknowledged, kUnknown, kNotSent, kViolation };

  Operation next_operation();
  Operation make_append(StreamModel* stream);
  Operation make_producer_append();
  // Sends `op` and checks the answer. `expect_duplicate`: a producer retry of an op that has
  // already taken effect, which must be answered 204 without storing anything.
  Outcome execute(const Operation& op, bool expect_duplicate);
  testing::HttpResult send(const std::string& method, const std::string& path,
                           const testing::Headers& headers, const std::string& body,
                           bool* connected);
  Observed observe(const StreamModel& stream);
  void check_stream(StreamModel* stream);
  void check_producer_duplicate();
  void check_stream_seq_conflict();
  std::vector<StreamModel*> all_streams();
  // Adds the client's recent events to `message`: what it sent, what came back, what the
  // verifier found.
  void violation(const std::string& message);
  void remember(std::string event);

  int id_;
  std::mt19937_64 rng_;
  Coordinator* coordinator_;
  CrashStats* stats_;
  Violations* violations_;
  uint16_t port_ = 0;
  uint64_t generation_ = 0;
  std::unique_ptr<testing::TestConnection> connection_;

  std::unique_ptr<StreamModel> bytes_;
  std::unique_ptr<StreamModel> json_;
  std::unique_ptr<StreamModel> producer_;
  std::vector<std::unique_ptr<StreamModel>> forks_;  // every fork ever made, deleted ones too
  std::optional<Pending> pending_;
  static constexpr size_t kHistory = 8;
  std::deque<std::string> history_;
  uint64_t counter_ = 0;     // makes every body unique
  uint64_t stream_seq_ = 0;  // next Stream-Seq
  uint64_t next_producer_seq_ = 0;
};

}  // namespace streamkeeper::crash
