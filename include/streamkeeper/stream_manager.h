// StreamManager: the embeddable Durable Streams engine over one Storage backend.
//
// It owns every protocol rule below HTTP: idempotent create, content types, Stream-Seq,
// idempotent producers, close, forks with soft delete, TTL and expiry. Writes go through a
// GroupCommitter: concurrent appends share one storage write and one sync, and an append is
// acknowledged only once durable. Readers see only durable data; waiters are woken after the
// commit that made their data durable.
//
// Thread-safety: every method may be called from any thread concurrently.
// Completion callbacks of the *_async methods run on a committer thread (or inline, for
// results known without writing), sometimes while the manager holds internal locks: they must be
// quick, must not block, and must not call back into the StreamManager (hand the result to
// another thread, e.g. post it to an io_context, as the HTTP server does).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "streamkeeper/clock.h"
#include "streamkeeper/histogram.h"
#include "streamkeeper/log_sink.h"
#include "streamkeeper/status.h"
#include "streamkeeper/storage.h"

namespace streamkeeper {

struct ManagerOptions {
  bool sync = true;                          // false: survives a process crash, not a power loss
  Clock clock = SystemClock();
  // Expiry sweeper period; it also persists last accesses of sliding TTLs and trims the stream
  // cache. 0 disables the thread: then only sweep_expired() (and shutdown) persists last
  // accesses, and touched TTL streams stay in memory until it does.
  std::chrono::milliseconds sweep_interval{1000};
  // The most streams the sweeper expires per second (it reads the storage's expiry index in
  // pages and pauses between them to stay under this).
  uint64_t expiry_max_per_second = 50'000;
  // Memory for streams in use (estimated bytes). Streams are loaded from storage on first use
  // and the least recently used are evicted beyond this; streams with parked readers, writes in
  // flight or state not yet durable stay regardless. 0: keep only those.
  size_t stream_cache_bytes = 256 << 20;
  // Free-space reserve: below it, creates and appends are refused with kNoSpace before the
  // storage ever meets a full disk (only for storage that reports free space). 0: none.
  uint64_t min_free_disk_bytes = 0;
  // After a storage failure, how often a recovery is tried (once the reserve is back).
  std::chrono::milliseconds recovery_interval{500};
  LogSink log;  // storage state changes (degraded, recovering, healthy); may be empty
};

struct CreateOptions {
  std::string content_type;               // empty: application/octet-stream
  std::optional<uint64_t> ttl_seconds;
  std::optional<int64_t> expires_at_ms;
  bool closed = false;
  std::string initial_data;               // bytes, or a JSON value/array for JSON streams
  // Fork: all three meaningful only when fork_from is non-empty.
  std::string fork_from;
  std::optional<uint64_t> fork_offset;    // position; nullopt = the source's tail
  uint64_t fork_sub_offset = 0;
  bool content_type_given = true;         // false: a fork inherits the source's type
};

struct StreamInfo {
  std::string path;
  std::string content_type;
  uint64_t tail = 0;
  bool closed = false;
  std::optional<uint64_t> ttl_seconds;
  std::optional<int64_t> expires_at_ms;
  int64_t created_at_ms = 0;
  uint64_t generation = 0;
  bool is_json = false;
};

struct CreateResult {
  bool created = false;  // false: an identical stream already existed
  StreamInfo info;
};

struct Producer {
  std::string id;
  uint64_t epoch = 0;
  uint64_t seq = 0;
};

struct AppendOptions {
  std::string content_type;               // must match the stream's when data is non-empty
  std::optional<std::string> stream_seq;  // Stream-Seq
  std::optional<Producer> producer;
  bool close = false;                     // close after appending (or close only, if no data)
};

struct AppendResult {
  Status status;
  uint64_t tail = 0;            // the stream's tail after the operation (also on kClosed)
  bool closed = false;          // the stream is closed now
  bool duplicate = false;       // producer retry: acknowledged without writing
  // Producer echo, set when a producer was given.
  uint64_t producer_epoch = 0;  // on kStaleEpoch: the server's current epoch
  uint64_t producer_seq = 0;    // highest accepted seq
  uint64_t expected_seq = 0;    // on kProducerSeqGap
  uint64_t received_seq = 0;    // on kProducerSeqGap
};

struct ReadOptions {
  size_t max_bytes = 1 << 20;   // stop after the unit that reaches this many payload bytes
};

struct ReadResult {
  Status status;
  std::string data;              // bytes, or for JSON streams a JSON array of the messages
  std::vector<std::string> messages;  // JSON streams, read_messages() only
  uint64_t next = 0;             // position to read from next
  bool up_to_date = false;       // everything up to the tail was returned
  bool closed = false;           // closed, and `next` is the final position
  std::string content_type;
  bool is_json = false;
  uint64_t generation = 0;       // the stream incarnation (for cache validators)
};

// A page of stream paths (StreamManager::list_streams).
struct ListOptions {
  std::string prefix;       // only paths starting with this
  std::string start_after;  // only paths sorting (bytewise) after this; empty: from the first
  size_t limit = 1000;      // paths examined per call (the page may hold fewer: see below)
};

struct StreamListing {
  std::vector<std::string> paths;  // live streams (not soft-deleted, not expired), in order
  // Set when more paths may follow: pass it as start_after for the next page. Pages can be
  // short (deleted or expired streams are examined but not listed) without being the last.
  std::optional<std::string> next_after;
};

// The bucket bounds of ManagerStats' histograms: records per group-commit write batch, and
// seconds per storage sync.
inline const std::vector<double>& BatchRecordsBuckets() {
  static const std::vector<double> bounds{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096};
  return bounds;
}
inline const std::vector<double>& SyncSecondsBuckets() {
  static const std::vector<double> bounds{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                          0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5};
  return bounds;
}

// Counters for operators and benchmarks. Counters count from Open(); they are not persisted.
struct ManagerStats {
  uint64_t cached_streams = 0;  // entries in memory (loaded streams, and paths known absent)
  uint64_t cache_bytes = 0;     // their estimated memory
  uint64_t cache_hits = 0;      // lookups that found the path in memory
  uint64_t cache_misses = 0;    // lookups that read the path from storage
  uint64_t cache_evictions = 0;
  uint64_t expired = 0;         // streams removed because they expired
  uint64_t write_batches = 0;   // storage writes made by the group committer
  uint64_t syncs = 0;           // storage syncs (WAL fsyncs) made by the group committer
  bool writable = true;         // false: storage degraded or recovering, writes are refused
  uint64_t storage_failures = 0;  // times the storage went from healthy to degraded
  uint64_t recoveries = 0;        // successful recoveries from a storage failure
  // Acknowledged appends (an append that closes counts; a producer duplicate, which writes
  // nothing, does not): their records (one per append to a byte stream, one per message to a
  // JSON stream) and payload bytes (the body of a byte-stream append; the messages' JSON text,
  // without the enclosing array, for a JSON stream).
  uint64_t appended_records = 0;
  uint64_t appended_bytes = 0;
  // Per storage write made by the group committer: the records it carried (0 for a write of
  // metadata alone), buckets BatchRecordsBuckets().
  HistogramSnapshot batch_records;
  // Per storage sync made by the group committer: how long it took, in seconds, buckets
  // SyncSecondsBuckets().
  HistogramSnapshot sync_seconds;
  StorageStats storage;  // Storage::stats(): the backend's own resource use, if it reports any
};

// The storage's write health (the states of src/manager/storage_health.h), for readiness
// probes: whether writes are taken now and, when not, why.
enum class StorageState {
  kHealthy,     // writes are taken
  kDegraded,    // a write or sync failed, or free space fell below the reserve: writes refused
  kRecovering,  // the cause looks clear and a recovery is running: writes still refused
};

struct StorageHealthReport {
  StorageState state = StorageState::kHealthy;
  // While not healthy, what writes are refused with (kNoSpace or kUnavailable, with the
  // message clients get); OK while healthy.
  Status cause;
  // Free bytes on the storage's volume, read now; nullopt when the storage reports none
  // (memory).
  std::optional<uint64_t> free_disk_bytes;
  uint64_t min_free_disk_bytes = 0;  // ManagerOptions::min_free_disk_bytes (0: no reserve)
  // kNoSpace, with the message clients get, while free space is below the reserve now; else
  // OK. A healthy manager refuses the next write that finds this (and degrades); a probe sees
  // it before any write does.
  Status reserve;

  bool below_reserve() const { return !reserve.ok(); }
  // Writes would be taken now: healthy and not below the reserve.
  bool writable() const { return state == StorageState::kHealthy && !below_reserve(); }
};

using AppendCallback = std::function<void(AppendResult)>;
using StatusCallback = std::function<void(Status)>;
using CreateCallback = std::function<void(Status, CreateResult)>;
// Called once when data past the waited-for position is durable, the stream closed, or the
// stream went away (delete, expiry, shutdown).
using WakeCallback = std::function<void()>;

class StreamManager {
 public:
  // Recovers `storage` (Storage::recover: the generation counter and unfinished purges, never a
  // walk over the streams; each stream is read on first use) and starts the committer, sweeper
  // and recovery threads. Returns nullptr and sets *status when the storage cannot be read.
  static std::unique_ptr<StreamManager> Open(std::unique_ptr<Storage> storage,
                                             ManagerOptions options, Status* status);
  ~StreamManager();
  StreamManager(const StreamManager&) = delete;
  StreamManager& operator=(const StreamManager&) = delete;

  // Creates `path`. Idempotent when the configuration matches (content type compared by
  // lower-cased media type, TTL/Expires-At, closed, fork source/offset/sub-offset): then
  // created=false. Errors: kConfigMismatch, kGone (path soft-deleted -> conflict in HTTP),
  // kBadRequest (a path or fork source that breaks the rule of streamkeeper/stream_path.h, bad
  // JSON, bad fork offset/sub-offset), kNotFound (fork source missing),
  // kContentTypeMismatch (fork type differs from source's), kIoError.
  void create_async(const std::string& path, CreateOptions options, CreateCallback done);
  Status create(const std::string& path, CreateOptions options, CreateResult* result);

  // Appends `data` (bytes; for JSON streams a JSON value, arrays flattened one level).
  // Rule order: producer epoch fencing (kStaleEpoch), producer de-duplication (a seq at or
  // below the last accepted one is acknowledged with duplicate=true and writes nothing, even
  // after a close), closed (kClosed), producer sequencing (kBadRequest for a new epoch not at
  // seq 0, kProducerSeqGap), then for non-empty data the content type (kContentTypeMismatch)
  // and Stream-Seq (kSeqConflict). Empty data with close=true closes (idempotently).
  void append_async(const std::string& path, std::string data, AppendOptions options,
                    AppendCallback done);
  AppendResult append(const std::string& path, std::string data, AppendOptions options);

  // Closes the stream (idempotent). Same as an append of no data with close=true.
  AppendResult close(const std::string& path);

  // Deletes the stream; soft-deletes it while forks reference it. kNotFound, kGone.
  void remove_async(const std::string& path, StatusCallback done);
  Status remove(const std::string& path);

  // Metadata without touching the sliding TTL. kNotFound, kGone.
  Status get_metadata(const std::string& path, StreamInfo* info);

  // Reads durable units from `from` (a position; nullopt = the tail, for offset=now).
  // Touches the sliding TTL. kNotFound, kGone, kBadRequest (position past the tail).
  ReadResult read(const std::string& path, std::optional<uint64_t> from,
                  const ReadOptions& options = {});
  // Like read(), but fills `messages` (one entry per JSON message) instead of `data`.
  ReadResult read_messages(const std::string& path, std::optional<uint64_t> from,
                           const ReadOptions& options = {});
  // Live read: waits up to `timeout` for data past `from` (or a close), then reads.
  // Blocks the calling thread; servers use wait_async() instead.
  ReadResult read_live(const std::string& path, std::optional<uint64_t> from,
                       std::chrono::milliseconds timeout, const ReadOptions& options = {});

  // Parks `wake` until the durable tail passes `from`, the stream closes or goes away.
  // Returns 0 and does not call `wake` when that is already so (read at once instead);
  // otherwise a handle for cancel_wait(). Touches the sliding TTL.
  uint64_t wait_async(const std::string& path, uint64_t from, WakeCallback wake);
  // Removes a parked waiter; true if it was still parked (and so will never be called).
  bool cancel_wait(const std::string& path, uint64_t handle);

  // The sweeper's work, now: persists the last access of streams with a sliding TTL touched
  // since the last time, then expires every stream due, through the storage's expiry index
  // (the sweeper thread does both periodically, within expiry_max_per_second). Returns the
  // count expired.
  size_t sweep_expired();

  // One page of live stream paths, read from storage (for tools): kIoError if it fails.
  Status list_streams(const ListOptions& options, StreamListing* out);
  // Every live stream's path, in order: pages through the above (O(streams); for tests).
  std::vector<std::string> list_streams();

  // Counters and histograms since Open(), and the storage's own stats (Storage::stats()).
  // Costs a walk over nothing that grows with the streams: for a metrics scrape, not for every
  // request.
  ManagerStats stats();

  // Whether writes are taken now, and why not (StorageHealthReport). One atomic load, one
  // free-space query of the storage (a statvfs for RocksDB) and, when not healthy, a lock:
  // cheap enough for a probe every second.
  StorageHealthReport storage_health();

  // Stops the committer after draining queued writes, and wakes every waiter.
  void shutdown();

  class Impl;

 private:
  explicit StreamManager(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace streamkeeper
