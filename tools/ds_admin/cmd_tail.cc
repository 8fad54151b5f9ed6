// `ds-admin tail <path>`: prints what is appended to a stream as it arrives, until SIGINT or
// SIGTERM (exit 0, output flushed), the stream closes (exit 0) or goes away (exit 1).
//
// Two sources. A data directory: a RocksDB secondary instance that catches up with the server
// every kPollInterval and reads what is new through a fresh StreamManager (a manager caches
// what it reads, so one per poll sees the new tail). A running server (--url): long-polls
// GET {stream}?offset=O&live=long-poll, following Stream-Next-Offset; 204 means nothing came
// before the server's long-poll timeout, so ask again.
//
// The source runs on a worker thread. SIGINT and SIGTERM are blocked before any thread starts
// (RocksDB's and the manager's inherit the mask) and taken by the main thread with
// sigtimedwait, so no handler ever runs in the middle of a write. On a signal the worker is
// asked to stop; a long-poll may hold it for up to the server's timeout, so the main thread
// waits for it only briefly, then flushes what was printed (output is written a batch at a time
// under out_mu) and leaves.
#include <signal.h>

#include <csignal>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "admin_client.h"
#include "commands.h"
#include "data_dir.h"
#include "manager/content_type.h"
#include "manager/json_messages.h"
#include "output_format.h"
#include "record_output.h"
#include "streamkeeper/offset.h"
#include "unit_reader.h"

namespace ds_admin {

using streamkeeper::Status;
using streamkeeper::StatusCode;
using streamkeeper::StreamManager;

namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(150);
// A CatchUp can fail while the server rotates a file under it; a run of failures this long is
// an error.
constexpr int kMaxCatchUpFailures = 20;
// Longer than any sensible server long-poll timeout (the default is 30 s).
constexpr auto kLongPollRequestTimeout = std::chrono::milliseconds(120000);
// A batch (written and flushed under out_mu; a signal waits for it) is at most about this much,
// so that a long backlog is printed in pieces.
constexpr UnitLimits kBatch{.units = SIZE_MAX, .payload_bytes = 4 << 20};

// What the worker and the main thread share.
struct TailState {
  std::mutex out_mu;  // held while a batch is written and flushed
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;  // asked to stop (a signal)
  bool done = false;  // the worker has finished
  int exit_code = kExitOk;

  // Waits up to `interval` unless asked to stop; returns true when asked.
  bool WaitOrStop(std::chrono::milliseconds interval) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, interval, [this] { return stop; });
  }
  bool Stopping() {
    std::lock_guard lock(mu);
    return stop;
  }
};

int Gone(const std::string& path, const Status& status) {
  if (status.code() == StatusCode::kNotFound || status.code() == StatusCode::kGone) {
    return ReportError("tail " + path + ": the stream was deleted (" + status.message() + ")");
  }
  return ReportError("tail " + path + ": " + status.message());
}

// --- the data directory --------------------------------------------------------------------

int FollowDirectory(const Invocation& invocation, std::optional<uint64_t> from,
                    TailState& state) {
  std::unique_ptr<Inspection> inspection;
  Status s = Inspection::Open(invocation.data_dir, InspectMode::kFollow, nullptr, &inspection);
  if (!s.ok()) return ReportError(s);
  const bool records = invocation.format != ReadFormat::kRaw;
  std::optional<RecordOutput> output;
  uint64_t generation = 0;
  int catch_up_failures = 0;
  // The next pass waits a poll interval first, unless a backlog is being printed.
  for (bool wait = false;;) {
    if (wait ? state.WaitOrStop(kPollInterval) : state.Stopping()) return kExitOk;
    wait = true;
    const bool first = !output.has_value();
    s = inspection->CatchUp();
    if (!s.ok()) {
      if (++catch_up_failures >= kMaxCatchUpFailures) return ReportError(s);
      continue;
    }
    catch_up_failures = 0;
    if (!first) {
      // Most polls find nothing new: one point read says so, without a manager.
      std::optional<streamkeeper::LoadedStream> stored;
      s = LoadOne(inspection->storage(), invocation.path, &stored);
      if (!s.ok()) return ReportError(s);
      if (stored && !stored->meta.soft_deleted && stored->meta.generation == generation &&
          stored->meta.tail <= *from && !stored->meta.closed) {
        continue;
      }
    }
    std::unique_ptr<StreamManager> manager;
    s = inspection->OpenManager(&manager);
    if (!s.ok()) return ReportError(s);
    streamkeeper::StreamInfo info;
    s = manager->get_metadata(invocation.path, &info);
    if (!s.ok()) {
      if (first) return ReportError("tail " + invocation.path + ": " + s.message());
      return Gone(invocation.path, s);
    }
    if (first) {
      generation = info.generation;
      if (!from) from = info.tail;  // now
      if (*from > info.tail) {
        return ReportError("tail " + invocation.path + ": offset is beyond the stream's tail");
      }
      output.emplace(std::cout, invocation.format, true, invocation.path, info.content_type,
                     info.is_json);
    } else if (info.generation != generation) {
      return ReportError("tail " + invocation.path +
                         ": the stream was deleted (and created again since)");
    }
    UnitReadEnd end;
    {
      std::lock_guard out_lock(state.out_mu);
      end = ReadUnits(*manager, invocation.path, info, *from, records, kBatch, *output);
      output->EndBatch(end.next);
    }
    if (!end.status.ok()) return Gone(invocation.path, end.status);
    if (!std::cout) return kExitOk;  // the reader went away (tail | head): nothing more to do
    // Else more is there already: the next batch at once (unless this one made no progress).
    wait = end.up_to_date || end.next == *from;
    from = end.next;
    if (end.closed) return kExitOk;
  }
}

// --- a running server ----------------------------------------------------------------------

int FollowServer(const Invocation& invocation, TailState& state) {
  std::unique_ptr<AdminClient> client;
  Status s = AdminClient::Create({invocation.url, invocation.token, invocation.ca_file}, &client);
  if (!s.ok()) return ReportError(s);
  const std::string target = client->stream_target(invocation.path);
  std::string offset = invocation.offset;  // "-1", "now" or an offset: the server parses it
  std::string cursor;
  std::optional<RecordOutput> output;
  {
    // A stream missing from the start is not one deleted while followed.
    AdminResponse head;
    s = client->request("HEAD", target, {}, {}, std::chrono::milliseconds(10000), &head);
    if (!s.ok()) return ReportError("tail " + invocation.path + ": " + s.message());
    if (head.status != 200) {
      return ReportError("tail " + invocation.path + ": HTTP " + std::to_string(head.status) +
                         (head.status == 404 ? " (no such stream)" : ""));
    }
  }
  while (!state.Stopping()) {
    std::string request = target + "?offset=" + PercentEncode(offset, /*keep_slash=*/false) + "&live=long-poll";
    if (!cursor.empty()) request += "&cursor=" + PercentEncode(cursor, /*keep_slash=*/false);
    AdminResponse response;
    s = client->request("GET", request, {}, {}, kLongPollRequestTimeout, &response);
    if (!s.ok()) return ReportError("tail " + invocation.path + ": " + s.message());
    if (response.status == 404 || response.status == 410) {
      return ReportError("tail " + invocation.path + ": the stream was deleted (" +
                         response.error_text() + ")");
    }
    if (response.status != 200 && response.status != 204) {
      return ReportError("tail " + invocation.path + ": " + response.error_text());
    }
    std::optional<std::string> next_header = response.header("Stream-Next-Offset");
    std::optional<uint64_t> next =
        next_header ? streamkeeper::ParsePosition(*next_header) : std::nullopt;
    if (!next) {
      return ReportError("tail " + invocation.path + ": the server's answer has no valid " +
                         "Stream-Next-Offset");
    }
    if (std::optional<std::string> c = response.header("Stream-Cursor")) cursor = *c;
    const bool closed = response.header("Stream-Closed").value_or("") == "true";
    if (response.status == 200 && !response.body.empty()) {
      std::string content_type = response.header("Content-Type").value_or("");
      const bool is_json = streamkeeper::IsJsonContentType(content_type);
      if (!output) {
        output.emplace(std::cout, invocation.format, true, invocation.path, content_type, is_json);
      }
      std::lock_guard out_lock(state.out_mu);
      if (is_json) {
        // Split, not parsed into values: each message keeps its text exactly.
        std::vector<std::string> messages;
        if (response.body.front() != '[' ||
            !streamkeeper::SplitJsonMessages(response.body, &messages).ok()) {
          return ReportError("tail " + invocation.path + ": the server sent a JSON stream's " +
                             "data that is not a JSON array");
        }
        uint64_t position = *next - messages.size();
        for (const std::string& message : messages) output->Add(position++, message);
      } else {
        // Over HTTP a response is the unit: the server joins the appends it holds.
        output->Add(*next - response.body.size(), response.body);
      }
      output->EndBatch(*next);
      if (!std::cout) return kExitOk;  // the reader went away (tail | head)
    }
    offset = *next_header;
    if (closed) return kExitOk;
  }
  return kExitOk;
}

}  // namespace

int RunTail(const Invocation& invocation) {
  std::optional<uint64_t> from = invocation.start;  // nullopt: the tail

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts
  // A reader that goes away (tail | head -1) makes writes fail instead of killing the process,
  // so the secondary's scratch directory is still removed.
  std::signal(SIGPIPE, SIG_IGN);

  TailState state;
  std::thread worker([&] {
    int code = invocation.url.empty() ? FollowDirectory(invocation, from, state)
                                      : FollowServer(invocation, state);
    std::cout.flush();
    std::lock_guard lock(state.mu);
    state.exit_code = code;
    state.done = true;
  });
  const timespec tick = {0, 50'000'000};
  for (;;) {
    {
      std::lock_guard lock(state.mu);
      if (state.done) break;
    }
    if (sigtimedwait(&signals, nullptr, &tick) < 0) continue;  // timeout (or EINTR)
    {
      std::lock_guard lock(state.mu);
      state.stop = true;
    }
    state.cv.notify_all();
    // The directory follower stops within a poll; a long-poll may not answer for a while.
    {
      std::unique_lock lock(state.mu);
      for (int i = 0; i < 40 && !state.done; ++i) {
        lock.unlock();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        lock.lock();
      }
      if (state.done) break;
    }
    std::lock_guard out_lock(state.out_mu);  // not in the middle of a batch
    std::cout.flush();
    std::_Exit(kExitOk);
  }
  worker.join();
  return state.exit_code;
}

}  // namespace ds_admin
