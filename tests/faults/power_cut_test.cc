// Power cuts and process crashes under random operation sequences.
//
// Each sequence drives a StreamManager over RocksDbStorage on a FaultFs through rounds of random
// operations: creates (bytes and JSON, with initial data, closed, TTL or Expires-At), forks,
// appends in bursts (so several are in one group commit), idempotent producers with retries,
// Stream-Seq, close with and without data, delete and recreate, clock steps and expiry sweeps.
// The power goes out at a random I/O call (anywhere inside a group commit) or between
// operations; the manager is reopened on what survived, and then:
//   - the recovered state equals the model's state after some prefix of the history (nothing is
//     half-applied: a JSON array append, a close with data, a fork are all or nothing; nothing is
//     reordered), and that prefix includes every acknowledged operation (sync=always, or any
//     process crash);
//   - the next round starts with probes: a retry of every producer's last append is a duplicate,
//     a repeated Stream-Seq conflicts, an append to every open stream lands exactly at the
//     recovered tail (offsets are never reused), each checked against the model;
//   - every result the manager gave before the cut is the one the model predicts.
// With sync=false a power cut may lose an unsynced tail: then only the prefix rule holds.
//
// Seeds: STREAMKEEPER_FAULT_SEEDS (default: a few per test, for CI) and
// STREAMKEEPER_FAULT_SEED_BASE (default 1).
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>

#include "fault_harness.h"
#include "stream_model.h"
#include "stream_observe.h"

namespace streamkeeper::faults {
namespace {

constexpr char kJsonType[] = "application/json";
constexpr char kBytesType[] = "application/octet-stream";

uint64_t EnvNumber(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::strtoull(value, nullptr, 10) : fallback;
}

struct Totals {
  uint64_t sequences = 0, rounds = 0, ops = 0, acked = 0, maybe = 0, maybe_survived = 0;
  uint64_t checked_streams = 0, probes = 0;
  uint64_t unsynced_lost = 0;  // sync=none power cuts: acknowledged, never synced, lost (allowed)
  FaultCounters fs;
  void add(const FaultCounters& c) {
    fs.events += c.events;
    fs.swallowed += c.swallowed;
    fs.cuts += c.cuts;
    fs.bytes_dropped += c.bytes_dropped;
    fs.torn_writes += c.torn_writes;
    fs.entries_undone += c.entries_undone;
    fs.files_created += c.files_created;
    fs.dir_syncs += c.dir_syncs;
  }
  std::string str() const {
    std::ostringstream out;
    out << sequences << " sequences, " << rounds << " cuts, " << ops << " operations (" << acked
        << " acknowledged before the cut, " << maybe
        << " accepted writes unacknowledged at the cut, of which " << maybe_survived
        << " survived), " << checked_streams << " stream states and " << probes
        << " probes checked; fs: " << fs.events << " I/O calls, " << fs.swallowed
        << " swallowed after the cut, " << fs.bytes_dropped << " unsynced bytes dropped, "
        << fs.torn_writes << " torn writes, " << fs.entries_undone << " directory entries undone, "
        << fs.files_created << " files created, " << fs.dir_syncs
        << " directory syncs; lost acknowledged: 0";
    if (unsynced_lost) out << " (sync=none: " << unsynced_lost << " unsynced acknowledged lost)";
    return out.str();
  }
};

struct Config {
  bool sync = true;
  std::vector<CutMode> modes;  // one per round, cycled
  int rounds = 4;
  int ops_per_round = 40;
  size_t write_buffer_bytes = 4 << 20;
  uint64_t max_filler = 40;  // bytes of filler in a byte-stream append
};

class Sequence {
 public:
  Sequence(uint64_t seed, Config config, Totals* totals)
      : seed_(seed),
        config_(std::move(config)),
        totals_(totals),
        rng_(seed),
        h_(seed, config_.sync, config_.write_buffer_bytes) {}

  // Runs every round; returns an empty string or the first failure, with the seed.
  std::string Run() {
    Status open = h_.Open();
    if (!open.ok()) return Fail("open: " + open.message());
    for (int round = 0; round < config_.rounds && failure_.empty(); ++round) {
      RunRound(config_.modes[round % config_.modes.size()]);
    }
    h_.Close();
    if (EnvNumber("STREAMKEEPER_FAULT_VERBOSE", 0)) {
      for (const std::string& line : log_) std::cout << "seed " << seed_ << " " << line << "\n";
    }
    ++totals_->sequences;
    totals_->add(h_.fs().counters());
    return failure_;
  }

 private:
  struct Outcome {
    bool done = false;
    bool acked = false;  // completed before the power went (for writes: durable, if sync)
    ModelResult got;
    std::string message;
  };

  std::string Fail(const std::string& what) {
    if (failure_.empty()) {
      std::ostringstream out;
      out << "seed " << seed_ << " round " << round_ << ": " << what << "\nlast operations:\n";
      size_t from = log_.size() > 40 ? log_.size() - 40 : 0;
      for (size_t i = from; i < log_.size(); ++i) out << "  " << log_[i] << "\n";
      failure_ = out.str();
    }
    return failure_;
  }

  uint64_t Uniform(uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng_);
  }
  bool Chance(int percent) { return Uniform(0, 99) < static_cast<uint64_t>(percent); }
  const std::string& AnyPath() { return paths_[Uniform(0, paths_.size() - 1)]; }

  // A path the model has as usable now, or empty.
  std::string LivePath(bool without_expiry = false) {
    std::vector<std::string> live;
    for (auto& [path, s] : model_.streams) {
      if (model_.live(path, h_.now()) && (!without_expiry || !s.has_expiry())) {
        live.push_back(path);
      }
    }
    if (live.empty()) return "";
    return live[Uniform(0, live.size() - 1)];
  }
  std::string FreePath() {
    std::vector<std::string> free;
    for (auto& path : paths_) {
      auto it = model_.streams.find(path);
      if (it == model_.streams.end() ||
          (!it->second.soft_deleted && it->second.expired_at(h_.now()))) {
        free.push_back(path);
      }
    }
    if (free.empty()) return "";
    return free[Uniform(0, free.size() - 1)];
  }

  // Unique data for the next append to `path`; fills op->data and op->messages.
  void Payload(bool json, ModelOp* op) {
    uint64_t id = ++payload_id_;
    if (!json) {
      op->data = std::to_string(id) + ":" +
                 std::string(Uniform(0, config_.max_filler), 'a' + id % 26) + ";";
      return;
    }
    int count = static_cast<int>(Uniform(1, 4));
    bool array = count > 1 || Chance(50);
    std::string data = array ? "[" : "";
    for (int i = 0; i < count; ++i) {
      std::string message = "{\"op\":" + std::to_string(id) + ",\"i\":" + std::to_string(i) + "}";
      op->messages.push_back(message);
      data += (i ? "," : "") + message;
    }
    if (array) data += "]";
    op->data = data;
  }

  ModelOp AppendTo(const std::string& path) {
    ModelOp op;
    op.kind = ModelOp::kAppend;
    op.path = path;
    auto it = model_.streams.find(path);
    bool json = it != model_.streams.end() && it->second.json;
    op.append.content_type = json ? kJsonType : kBytesType;
    Payload(json, &op);
    if (it == model_.streams.end()) return op;
    const ModelStream& s = it->second;
    int kind = static_cast<int>(Uniform(0, 99));
    if (kind < 35) {
      // plain
    } else if (kind < 70) {
      std::string id = Chance(50) ? "p" : "q";
      auto p = s.producers.find(id);
      uint64_t epoch = p == s.producers.end() ? Uniform(0, 2) : p->second.first;
      uint64_t seq = p == s.producers.end() ? 0 : p->second.second + 1;
      int choice = static_cast<int>(Uniform(0, 99));
      if (p != s.producers.end() && choice < 15) {
        seq = p->second.second - Uniform(0, std::min<uint64_t>(p->second.second, 2));  // retry
      } else if (p != s.producers.end() && choice < 25) {
        ++epoch;
        seq = Chance(85) ? 0 : 1;
      } else if (p != s.producers.end() && choice < 30 && epoch > 0) {
        --epoch;  // fenced
      } else if (choice < 35) {
        seq += Uniform(1, 2);  // gap
      }
      op.append.producer = Producer{id, epoch, seq};
    } else if (kind < 85) {
      uint64_t next = ++stream_seq_;
      char text[32];
      std::snprintf(text, sizeof text, "%010llu", static_cast<unsigned long long>(next));
      op.append.stream_seq = Chance(12) && !s.last_seq.empty() ? s.last_seq : std::string(text);
    } else if (kind < 95) {
      op.append.close = true;
      if (Chance(40)) {
        op.data.clear();
        op.messages.clear();
      }
    } else {
      op.append.content_type = json ? kBytesType : kJsonType;  // mismatch
    }
    return op;
  }

  std::vector<ModelOp> NextGroup() {
    int kind = static_cast<int>(Uniform(0, 99));
    std::vector<ModelOp> group;
    if (kind < 10) {
      std::string path = FreePath();
      if (Chance(10)) path = AnyPath();  // sometimes a soft-deleted one: kGone
      auto it = model_.streams.find(path);
      if (!path.empty() && (it == model_.streams.end() || !model_.live(path, h_.now()))) {
        ModelOp op;
        op.kind = ModelOp::kCreate;
        op.path = path;
        bool json = Chance(40);
        op.create.content_type = json ? kJsonType : kBytesType;
        int expiry = static_cast<int>(Uniform(0, 99));
        if (expiry < 15) {
          op.create.ttl_seconds = Uniform(3, 30);
        } else if (expiry < 25) {
          op.create.expires_at_ms = h_.now() + static_cast<int64_t>(Uniform(2'000, 40'000));
        }
        if (Chance(30)) {
          ModelOp data;
          Payload(json, &data);
          op.create.initial_data = data.data;
          op.messages = data.messages;
          op.create.closed = Chance(15);
        }
        group.push_back(op);
        return group;
      }
    } else if (kind < 16) {
      std::string source = LivePath(/*without_expiry=*/true);
      std::string path = FreePath();
      if (!source.empty() && !path.empty()) {
        ModelOp op;
        op.kind = ModelOp::kFork;
        op.path = path;
        op.create.fork_from = source;
        op.create.content_type_given = false;
        if (Chance(70)) op.create.fork_offset = Uniform(0, model_.streams[source].tail());
        group.push_back(op);
        return group;
      }
    } else if (kind < 22) {
      ModelOp op;
      op.kind = ModelOp::kDelete;
      op.path = Chance(85) && !LivePath().empty() ? LivePath() : AnyPath();
      group.push_back(op);
      return group;
    } else if (kind < 26) {
      h_.Advance(static_cast<int64_t>(Uniform(1'000, 15'000)));
      ModelOp op;
      op.kind = ModelOp::kSweep;
      group.push_back(op);
      return group;
    }
    int burst = static_cast<int>(Uniform(1, 6));
    for (int i = 0; i < burst; ++i) {
      std::string path = Chance(90) && !LivePath().empty() ? LivePath() : AnyPath();
      group.push_back(AppendTo(path));
    }
    return group;
  }

  // Probes of the recovered state, run first in a round (one at a time).
  std::vector<ModelOp> Probes() {
    std::vector<ModelOp> probes;
    for (auto& [path, s] : model_.streams) {
      if (!model_.live(path, h_.now())) continue;
      auto plain = [&] {
        ModelOp op;
        op.kind = ModelOp::kAppend;
        op.path = path;
        op.append.content_type = s.json ? kJsonType : kBytesType;
        Payload(s.json, &op);
        return op;
      };
      for (auto& [id, state] : s.producers) {
        ModelOp op = plain();
        op.append.producer = Producer{id, state.first, state.second};  // a retry: duplicate
        probes.push_back(op);
      }
      if (s.closed) continue;
      if (!s.last_seq.empty()) {
        ModelOp op = plain();
        op.append.stream_seq = s.last_seq;  // repeated: conflict
        probes.push_back(op);
      }
      probes.push_back(plain());  // lands exactly at the recovered tail
    }
    return probes;
  }

  void Issue(const ModelOp& op, std::shared_ptr<Outcome> out) {
    auto finish = [this, out](ModelResult got, std::string message) {
      bool acked = !h_.fs().frozen();
      std::lock_guard lock(mu_);
      out->got = got;
      out->message = std::move(message);
      out->acked = acked;
      out->done = true;
      cv_.notify_all();
    };
    StreamManager& m = h_.manager();
    switch (op.kind) {
      case ModelOp::kCreate:
      case ModelOp::kFork:
        m.create_async(op.path, op.create, [finish](Status s, CreateResult r) {
          ModelResult got;
          got.code = s.code();
          got.created = r.created;
          finish(got, s.message());
        });
        break;
      case ModelOp::kAppend:
        m.append_async(op.path, op.data, op.append, [finish](AppendResult r) {
          ModelResult got;
          got.code = r.status.code();
          got.tail = r.tail;
          got.duplicate = r.duplicate;
          finish(got, r.status.message());
        });
        break;
      case ModelOp::kDelete:
        m.remove_async(op.path, [finish](Status s) {
          ModelResult got;
          got.code = s.code();
          finish(got, s.message());
        });
        break;
      case ModelOp::kSweep: {
        ModelResult got;
        got.swept = m.sweep_expired();
        // Expiry queues its erases without waiting: never an acknowledgement of anything.
        bool before_cut = !h_.fs().frozen();
        std::lock_guard lock(mu_);
        out->got = got;
        out->acked = before_cut;
        out->done = true;
        break;
      }
    }
  }

  std::string Compare(const ModelResult& want, const Outcome& got, const ModelOp& op) {
    std::ostringstream out;
    if (want.code != got.got.code) {
      out << "expected " << CodeName(want.code) << ", got " << CodeName(got.got.code) << " ("
          << got.message << ")";
    } else if (op.kind == ModelOp::kAppend && want.code == StatusCode::kOk &&
               want.duplicate != got.got.duplicate) {
      out << "expected duplicate=" << want.duplicate;
    } else if (op.kind == ModelOp::kAppend && want.code == StatusCode::kOk && !want.duplicate &&
               want.tail != got.got.tail) {
      out << "expected tail " << want.tail << ", got " << got.got.tail;
    } else if ((op.kind == ModelOp::kCreate || op.kind == ModelOp::kFork) &&
               want.code == StatusCode::kOk && want.created != got.got.created) {
      out << "expected created=" << want.created;
    } else if (op.kind == ModelOp::kSweep && want.swept != got.got.swept) {
      out << "expected " << want.swept << " expired, got " << got.got.swept;
    }
    return out.str();
  }

  // One round's history: the operations in submission order, what the model says each must
  // give, what each gave, and the model's state after each prefix (states[k]: after k ops).
  struct Round {
    std::vector<ModelOp> ops;
    std::vector<ModelResult> want;
    std::vector<std::shared_ptr<Outcome>> outcomes;
    std::vector<StreamModel> states;
    size_t probes = 0;
    // The model accepted op i as a write (not a refusal, duplicate or sweep).
    bool wrote(size_t i) const {
      return want[i].code == StatusCode::kOk && !want[i].duplicate &&
             ops[i].kind != ModelOp::kSweep;
    }
  };

  // Issues `group` back to back (one group commit, or a few) and waits for every result.
  void RunGroup(Round* round, const std::vector<ModelOp>& group) {
    size_t first = round->outcomes.size();
    for (ModelOp op : group) {
      op.now_ms = h_.now();
      round->want.push_back(model_.apply(op));
      round->states.push_back(model_);
      log_.push_back("#" + std::to_string(round->ops.size()) + " " + op.describe());
      auto out = std::make_shared<Outcome>();
      round->outcomes.push_back(out);
      round->ops.push_back(op);
      Issue(op, out);
    }
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] {
      return std::all_of(round->outcomes.begin() + first, round->outcomes.end(),
                         [](const auto& o) { return o->done; });
    });
  }

  // Runs probes, then random groups until the power goes (at an armed I/O call) or the round's
  // operations are done.
  void Execute(Round* round) {
    // Aim the cut by the mutating I/O calls per operation so far (bursts share writes and
    // syncs; reopens' own I/O is counted too: a rough estimate is enough), so that most rounds
    // are cut inside some I/O call and a few between operations.
    FaultCounters seen = h_.fs().counters();
    double per_op = ops_total_ ? static_cast<double>(seen.events) / static_cast<double>(ops_total_)
                               : (config_.sync ? 1.0 : 0.5);
    h_.fs().FreezeAtEvent(Uniform(1, static_cast<uint64_t>(config_.ops_per_round * per_op) + 2));
    for (const ModelOp& probe : Probes()) {
      RunGroup(round, {probe});
      ++round->probes;
    }
    while (round->ops.size() < round->probes + config_.ops_per_round && !h_.fs().frozen()) {
      RunGroup(round, NextGroup());
      h_.Advance(static_cast<int64_t>(Uniform(0, 400)));
    }
    ops_total_ += round->ops.size();
  }

  // Checks every result given before the cut against the model; returns how many operations
  // from the start must have survived (through the last acknowledged one), or nullopt on failure.
  // Results given after the power went are not checked: the old instance's I/O failed or went
  // nowhere (and a failed write may roll back what later operations were validated against).
  std::optional<size_t> CheckResults(const Round& round) {
    size_t acked = 0;
    for (size_t i = 0; i < round.ops.size(); ++i) {
      const Outcome& out = *round.outcomes[i];
      if (!out.acked) continue;
      std::string diff = Compare(round.want[i], out, round.ops[i]);
      if (!diff.empty()) {
        Fail("op #" + std::to_string(i) + " " + round.ops[i].describe() + ": " + diff);
        return std::nullopt;
      }
      if (out.got.code == StatusCode::kOk && round.ops[i].kind != ModelOp::kSweep) acked = i + 1;
    }
    return acked;
  }

  // The first k >= lo whose state the recovered streams show; *early: TTL streams that expired
  // sooner than the model says (their last access is persisted lazily).
  std::optional<size_t> SurvivingPrefix(const Round& round,
                                        const std::map<std::string, Observed>& observed, size_t lo,
                                        std::vector<std::string>* early) {
    for (size_t k = lo; k < round.states.size(); ++k) {
      early->clear();
      bool same = true;
      for (auto& [path, o] : observed) {
        bool expired_early = false;
        if (!Differs(path, o, round.states[k], h_.now(), &expired_early).empty()) {
          same = false;
          break;
        }
        if (expired_early) early->push_back(path);
      }
      if (same) return k;
    }
    return std::nullopt;
  }

  std::string Mismatch(const Round& round, const std::map<std::string, Observed>& observed,
                       size_t lo) {
    std::ostringstream out;
    out << "recovered state matches no prefix of the history at or after " << lo << " of "
        << round.ops.size() << " operations";
    for (size_t k : {lo, round.ops.size()}) {
      out << "\n against the first " << k << ":";
      for (auto& [path, o] : observed) {
        bool unused;
        std::string diff = Differs(path, o, round.states[k], h_.now(), &unused);
        if (!diff.empty()) out << "\n  " << diff;
      }
      if (lo == round.ops.size()) break;
    }
    return out.str();
  }

  void RunRound(CutMode mode) {
    Round round;
    round.states.push_back(model_);
    Execute(&round);
    log_.push_back("-- power cut (" + std::string(h_.fs().frozen() ? "inside I/O" : "between ops") +
                   ", mode " + std::to_string(static_cast<int>(mode)) + ")");
    Status reopened = h_.CutAndReopen(mode);
    if (!reopened.ok()) {
      Fail("reopen after the cut failed: " + reopened.message());
      return;
    }
    std::optional<size_t> acked = CheckResults(round);
    if (!acked) return;
    // What must have survived: with sync=always everything acknowledged; with sync=none only a
    // crash (the OS keeps what was written) promises that, a power cut promises just a prefix.
    size_t lo = (config_.sync || mode == CutMode::kKeepWritten) ? *acked : 0;
    std::map<std::string, Observed> observed;
    for (const std::string& path : paths_) observed[path] = Observe(h_.manager(), path);
    std::vector<std::string> early;
    std::optional<size_t> match = SurvivingPrefix(round, observed, lo, &early);

    ++round_;
    ++totals_->rounds;
    totals_->ops += round.ops.size();
    totals_->probes += round.probes;
    totals_->acked += *acked;
    totals_->checked_streams += observed.size();
    for (size_t i = *acked; i < round.ops.size(); ++i) totals_->maybe += round.wrote(i);
    if (!match) {
      Fail(Mismatch(round, observed, lo));
      return;
    }
    for (size_t i = *match; i < *acked; ++i) totals_->unsynced_lost += round.wrote(i);
    for (size_t i = *acked; i < *match; ++i) totals_->maybe_survived += round.wrote(i);
    log_.push_back("-- recovered: the first " + std::to_string(*match) + " of " +
                   std::to_string(round.ops.size()) + " operations (" + std::to_string(*acked) +
                   " acknowledged)");

    // Continue from what survived, as the reopened manager sees it.
    model_ = round.states[*match];
    for (const std::string& path : early) model_.remove(path);
    model_.expire_all(h_.now());
    for (auto& [path, s] : model_.streams) {
      if (observed[path].code == StatusCode::kOk) s.last_access_ms = h_.now();  // Observe() read
    }
  }

  const uint64_t seed_;
  const Config config_;
  Totals* totals_;
  std::mt19937_64 rng_;
  FaultHarness h_;
  StreamModel model_;
  const std::vector<std::string> paths_ = {"/a", "/b", "/c", "/d", "/e", "/f"};
  uint64_t payload_id_ = 0;
  uint64_t ops_total_ = 0;  // operations run in earlier rounds
  uint64_t stream_seq_ = 0;
  int round_ = 0;
  std::vector<std::string> log_;
  std::string failure_;
  std::mutex mu_;
  std::condition_variable cv_;
};

void RunSeeds(const char* name, Config config, uint64_t ci_seeds) {
  uint64_t seeds = EnvNumber("STREAMKEEPER_FAULT_SEEDS", ci_seeds);
  uint64_t base = EnvNumber("STREAMKEEPER_FAULT_SEED_BASE", 1);
  Totals totals;
  for (uint64_t seed = base; seed < base + seeds; ++seed) {
    std::string failure = Sequence(seed, config, &totals).Run();
    ASSERT_TRUE(failure.empty()) << name << ": " << failure;
  }
  std::cout << "[ " << name << " ] " << totals.str() << std::endl;
}

// sync=always: a power cut (or a process crash, which keeps unacknowledged writes the OS has)
// loses nothing acknowledged, at any I/O call.
TEST(PowerCutTest, SyncAlwaysKeepsEveryAcknowledgedOperation) {
  Config config;
  config.modes = {CutMode::kDropUnsynced, CutMode::kTornTail, CutMode::kKeepWritten};
  RunSeeds("sync=always, power cuts", config, 6);
}

// A torn last write (a prefix of the unsynced WAL tail on disk) is never half-applied.
TEST(PowerCutTest, SyncAlwaysTornWritesAreAllOrNothing) {
  Config config;
  config.modes = {CutMode::kTornTail};
  RunSeeds("sync=always, torn tails", config, 6);
}

// Memtable flushes in the middle (a new WAL, SSTs, MANIFEST and CURRENT updates), cut anywhere.
TEST(PowerCutTest, SyncAlwaysSurvivesCutsDuringFlushes) {
  Config config;
  config.modes = {CutMode::kDropUnsynced, CutMode::kTornTail};
  config.write_buffer_bytes = 64 << 10;
  config.max_filler = 20000;
  config.ops_per_round = 120;
  RunSeeds("sync=always, flushing", config, 3);
}

// A process crash (the OS keeps every written byte) loses nothing acknowledged, synced or not.
TEST(PowerCutTest, SyncNoneProcessCrashLosesNothingAcknowledged) {
  Config config;
  config.sync = false;
  config.modes = {CutMode::kKeepWritten};
  RunSeeds("sync=none, process crashes", config, 6);
}

// sync=none and a power cut: an unsynced tail may go, but what survives is a prefix of the
// history: never reordered, never half-applied.
TEST(PowerCutTest, SyncNonePowerCutKeepsAPrefix) {
  Config config;
  config.sync = false;
  config.modes = {CutMode::kDropUnsynced, CutMode::kTornTail};
  RunSeeds("sync=none, power cuts", config, 6);
}

}  // namespace
}  // namespace streamkeeper::faults
