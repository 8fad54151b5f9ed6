// crash_harness: the real streamkeeper server (RocksDB, --sync always) under many concurrent
// clients, killed with SIGKILL at seeded random moments and restarted on the same data
// directory, round after round. After each restart, with every client parked, each client's
// streams are checked against the model its acknowledged answers built (see crash_client.h):
// every acknowledged operation is there exactly once and in order, an operation whose outcome
// was unknown is there whole or not at all, tails equal the modelled ones (offsets are neither
// reused nor skipped), closes and deletes hold, forks read their source's prefix and their own
// data, retried producer appends are duplicates and a repeated Stream-Seq conflicts.
//
//   crash_harness [--rounds N] [--seed S] [--clients C] [--server PATH] [--max-run-ms MS]
//                 [--data-dir DIR]
//
// Prints one summary line; exits 1 on any violation (each printed with its cause), 2 on bad
// usage or when the server cannot be run.
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "../server/http_test_client.h"
#include "crash_client.h"

#ifndef STREAMKEEPER_BINARY
#define STREAMKEEPER_BINARY "build/src/streamkeeper"
#endif

namespace streamkeeper::crash {
namespace {

using Millis = std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

struct Flags {
  int rounds = 20;
  uint64_t seed = 1;
  int clients = 16;
  std::string server = STREAMKEEPER_BINARY;
  int max_run_ms = 400;  // longest a server runs before its kill
  std::string data_dir;  // empty: a fresh temporary directory, removed after a clean run
};

bool ParseFlags(int argc, char** argv, Flags* flags, bool* help) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      *help = true;
      return false;
    }
    if (i + 1 >= argc) {
      std::cerr << "missing value for " << arg << "\n";
      return false;
    }
    std::string value = argv[++i];
    try {
      if (arg == "--rounds") {
        flags->rounds = std::stoi(value);
      } else if (arg == "--seed") {
        flags->seed = std::stoull(value);
      } else if (arg == "--clients") {
        flags->clients = std::stoi(value);
      } else if (arg == "--server") {
        flags->server = value;
      } else if (arg == "--max-run-ms") {
        flags->max_run_ms = std::stoi(value);
      } else if (arg == "--data-dir") {
        flags->data_dir = value;
      } else {
        std::cerr << "unknown flag " << arg << "\n";
        return false;
      }
    } catch (const std::exception&) {
      std::cerr << "bad value for " << arg << ": " << value << "\n";
      return false;
    }
  }
  return flags->rounds > 0 && flags->clients > 0 && flags->max_run_ms > 0;
}

std::unique_ptr<testing::ServerProcess> StartServer(const Flags& flags, const std::string& data_dir,
                                                    uint16_t* port) {
  auto server = std::make_unique<testing::ServerProcess>();
  *port = 0;
  if (!server->spawn(flags.server,
                     {"--host", "127.0.0.1", "--port", "0", "--storage", "rocksdb", "--data-dir",
                      data_dir, "--sync", "always", "--threads", "2"})) {
    return server;
  }
  *port = server->wait_listening(Millis(30000));
  return server;
}

int Run(const Flags& flags) {
  std::string data_dir = flags.data_dir;
  bool temporary = data_dir.empty();
  if (temporary) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "streamkeeper-crash-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("mkdtemp");
      return 2;
    }
    data_dir = pattern;
  }
  std::mt19937_64 rng(flags.seed);
  Coordinator coordinator;
  CrashStats stats;
  Violations violations;
  std::vector<std::unique_ptr<CrashClient>> clients;
  for (int i = 0; i < flags.clients; ++i) {
    clients.push_back(
        std::make_unique<CrashClient>(i, flags.seed, &coordinator, &stats, &violations));
  }
  std::vector<std::thread> threads;
  for (auto& client : clients) threads.emplace_back([&client] { client->run(); });

  uint16_t port = 0;
  auto server = StartServer(flags, data_dir, &port);
  int rounds_done = 0;
  int early_kills = 0;  // extra kills right after a restart
  bool server_failed = port == 0;
  auto server_failure = [&](const std::string& what) {
    violations.add(what + "; stdout:\n" + server->out() + "\nstderr:\n" + server->err());
  };
  if (server_failed) server_failure("server did not start");
  auto start = Clock::now();
  while (!server_failed && !violations.any() && rounds_done < flags.rounds) {
    coordinator.resume(port);
    // Run for a seeded random time, then kill: the kill lands among operations in flight.
    auto run_for = Millis(rng() % static_cast<uint64_t>(flags.max_run_ms));
    auto kill_at = Clock::now() + run_for;
    while (Clock::now() < kill_at && !violations.any()) {
      // Draining its output keeps the server from blocking on a full pipe.
      if (server->wait_exit(Millis(5))) {
        server_failure("server exited on its own with code " +
                       std::to_string(*server->wait_exit(Millis(0))));
        break;
      }
    }
    server->signal(SIGKILL);
    if (!server->wait_exit(Millis(10000))) {
      violations.add("server did not die after SIGKILL");
      break;
    }
    if (!coordinator.park_all(flags.clients)) {
      violations.add("clients did not park within 30 s after the kill");
      break;
    }
    ++rounds_done;
    server = StartServer(flags, data_dir, &port);
    if (port != 0 && rng() % 8 == 0) {
      // Sometimes kill again as soon as it listens, before anything is checked: recovery must
      // survive being interrupted too.
      server->signal(SIGKILL);
      server->wait_exit(Millis(10000));
      ++early_kills;
      server = StartServer(flags, data_dir, &port);
    }
    if (port == 0) {
      server_failure("server did not restart after kill " + std::to_string(rounds_done));
      server_failed = true;
      break;
    }
    // Every client is parked: check each one's streams against its model.
    for (auto& client : clients) client->verify(port);
  }
  coordinator.finish();
  for (auto& thread : threads) thread.join();
  if (server->running()) {
    server->signal(SIGTERM);
    if (!server->wait_exit(Millis(10000))) server->signal(SIGKILL);
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  std::vector<std::string> all = violations.all();
  for (const std::string& message : all) std::cerr << "VIOLATION: " << message << "\n";
  std::printf(
      "crash: seed=%llu clients=%d rounds=%d/%d acknowledged=%llu checked=%llu "
      "unknown=%llu (applied %llu, not applied %llu) not-sent=%llu duplicate-retries=%llu "
      "stream-checks=%llu early-kills=%d lost=%llu violations=%zu time=%.1fs\n",
      static_cast<unsigned long long>(flags.seed), flags.clients, rounds_done, flags.rounds,
      static_cast<unsigned long long>(stats.acknowledged.load()),
      static_cast<unsigned long long>(stats.checked.load()),
      static_cast<unsigned long long>(stats.unknown.load()),
      static_cast<unsigned long long>(stats.unknown_applied.load()),
      static_cast<unsigned long long>(stats.unknown_dropped.load()),
      static_cast<unsigned long long>(stats.not_sent.load()),
      static_cast<unsigned long long>(stats.duplicate_retries.load()),
      static_cast<unsigned long long>(stats.streams_checked.load()), early_kills,
      static_cast<unsigned long long>(stats.lost.load()), all.size(), seconds);
  if (!all.empty()) {
    std::fprintf(stderr, "data directory kept for inspection: %s\n", data_dir.c_str());
    return 1;
  }
  if (temporary) {
    std::error_code ec;
    std::filesystem::remove_all(data_dir, ec);
  }
  return 0;
}

}  // namespace
}  // namespace streamkeeper::crash

int main(int argc, char** argv) {
  streamkeeper::crash::Flags flags;
  bool help = false;
  if (!streamkeeper::crash::ParseFlags(argc, argv, &flags, &help)) {
    (help ? std::cout : std::cerr)
        << "usage: crash_harness [--rounds N] [--seed S] [--clients C] [--server PATH]\n"
           "                     [--max-run-ms MS] [--data-dir DIR]\n"
           "  --rounds N       kills and restarts (default 20)\n"
           "  --seed S         seeds the kill times and every client's operations (default 1)\n"
           "  --clients C      concurrent client threads (default 16)\n"
           "  --server PATH    the streamkeeper binary (default: the one built with this)\n"
           "  --max-run-ms MS  a server runs a random 0..MS ms before its kill (default 400)\n"
           "  --data-dir DIR   data directory (default: a temporary one, removed after a clean\n"
           "                   run and kept after a failed one)\n"
           "Prints one summary line; exits 1 on any violation, 2 on bad usage.\n";
    return help ? 0 : 2;
  }
  return streamkeeper::crash::Run(flags);
}
