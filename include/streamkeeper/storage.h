// Storage: the persistence contract every backend implements.
//
// A backend stores stream metadata, producer state and records, keyed by (path, generation,
// position), and an expiry index of (time, path, generation). It applies a WriteBatch
// atomically: after a crash either every change in the batch is visible or none is. It enforces
// no protocol rules; the StreamManager decides what to write.
//
// The contract is shaped for millions of streams and for remote stores: nothing in it walks
// every stream. Start-up reads only what recovery needs (recover()); a stream is read by a
// point lookup when first used (load_stream()); tools page through streams (list_streams())
// and the expiry sweeper pages through due index entries (scan_expiry()). A backend over a
// remote SQL store implements each call as one bounded query and each write() as one
// transaction.
//
// Backends: storage_memory/ (MemoryStorage) and storage_rocksdb/ (RocksDbStorage). The typed
// contract suite in tests/storage/ runs against both; a new backend passes it by adding one
// factory.
//
// Thread-safety: write() is called by one thread at a time, and so is sync() (the
// GroupCommitter's two threads); every read (load_stream, read_records, list_streams,
// scan_expiry) may run concurrently with each other, with write() and with sync(). A read
// sees each write() whole or not at all, and sees every write() that returned before it began
// (synced or not).
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "streamkeeper/status.h"
#include "streamkeeper/stream_state.h"

namespace streamkeeper {

// One stored unit: a byte-stream append, or one JSON message. Its positions are
// [position, position + units) where units is the byte count (bytes) or 1 (JSON).
struct Record {
  uint64_t position = 0;
  std::string value;
};

// One entry of the expiry index: stream incarnation (path, generation) is due at `at_ms`.
// Ordered by time, then path (bytewise), then generation. Entries are hints for the sweeper,
// which checks each against the stream itself: a stale one (its stream gone or moved on) is
// simply removed.
struct ExpiryEntry {
  int64_t at_ms = 0;
  std::string path;
  uint64_t generation = 0;
  auto operator<=>(const ExpiryEntry&) const = default;
};

// Everything one operation changes in one stream.
struct StreamChange {
  enum class Kind {
    kPut,    // upsert `meta`, upsert `producers`, add `records`
    // Remove the meta of (meta.path, meta.generation): the stream is gone from load_stream().
    // Its producers and records stay until a kPurge of that generation, so that a kReset
    // written after a failed erase brings the stream back whole. The generation is recorded as
    // awaiting its purge: recover() reports it until a kPurge (or a kReset) of it is written.
    kErase,
    // Make (meta.path, meta.generation) exactly `meta` (tail included) and `producers` (every
    // other producer entry is removed), remove its records at or above meta.tail, and clear any
    // purge it awaits. Undoes a batch that failed after it may have reached the store
    // (StreamManager rollback).
    kReset,
    // Remove every producer entry and record of (meta.path, meta.generation), a generation
    // whose erase has completed, and its place among the purges recover() reports.
    kPurge,
    // Nothing but the expiry index fields below (the sweeper dropping a stale entry).
    kIndex,
  };
  Kind kind = Kind::kPut;
  StreamMeta meta;
  ProducerMap producers;        // kPut: producer entries to upsert (others untouched)
  std::vector<Record> records;  // kPut: new records, positions above every stored one
  // kPut: false when only records/producers changed and `meta` differs from the stored one only
  // in tail and last access. The backend then skips rewriting the meta (halving the keys a plain
  // append writes); load_stream() reports the last record so the tail can be recovered.
  bool write_meta = true;
  // Expiry index, any kind, applied after the rest of the change: first remove the entry
  // (*unindex_expiry_ms, meta.path, meta.generation) if there is one, then add
  // (*index_expiry_ms, meta.path, meta.generation). Removing an absent entry is no error.
  std::optional<int64_t> unindex_expiry_ms;
  std::optional<int64_t> index_expiry_ms;
};

struct WriteBatch {
  std::vector<StreamChange> changes;
  uint64_t generation_counter = 0;  // persisted high-water mark of generations handed out
  bool sync = true;                 // true: durable (WAL fsync) before write() returns
};

struct LoadedStream {
  StreamMeta meta;  // as last written with write_meta; its tail may trail the records
  ProducerMap producers;
  std::optional<Record> last_record;  // the stream's own record with the highest position
};

// What a backend can tell about its own resource use, for operators (the server's /metrics).
// Every field is optional: nullopt when the backend has no such thing or does not measure it.
// The names are those of a log-structured merge tree, the shape of the RocksDB backend.
struct StorageStats {
  // Bytes of the table files that hold current data (RocksDB: rocksdb.live-sst-files-size,
  // summed over the column families).
  std::optional<uint64_t> live_sst_bytes;
  // Bytes held in write buffers not yet flushed to table files (RocksDB:
  // rocksdb.cur-size-all-mem-tables, summed).
  std::optional<uint64_t> memtable_bytes;
  // Bytes the backend estimates compaction still has to rewrite to reach its target shape
  // (RocksDB: rocksdb.estimate-pending-compaction-bytes, summed); it grows when writes
  // outpace compaction.
  std::optional<uint64_t> pending_compaction_bytes;
};

// What start-up needs, and nothing that grows with the number of streams.
struct RecoveredState {
  uint64_t generation_counter = 0;
  // Generations erased (durably) whose kPurge was never written, e.g. after a crash between
  // the two: only path and generation are set. The StreamManager purges them.
  std::vector<StreamMeta> pending_purges;
};

class Storage {
 public:
  virtual ~Storage() = default;

  // Returns the generation counter and the generations awaiting a purge. Called once, before
  // any other call; cost proportional to what crash recovery needs, never to the number of
  // streams. kIoError if the store cannot be read.
  virtual Status recover(RecoveredState* out) = 0;

  // Point read of one stream: its meta, producers and last record (the only record read).
  // Sets *out to nullopt when no stream is stored at `path`. kIoError on a damaged or
  // unreadable store.
  virtual Status load_stream(const std::string& path, std::optional<LoadedStream>* out) = 0;

  // Point read of one stream's meta alone, as stored (its tail may trail the records): for
  // decisions that need nothing more, like the expiry sweeper's. nullopt when no stream is
  // stored at `path`; kIoError as load_stream().
  virtual Status load_meta(const std::string& path, std::optional<StreamMeta>* out) = 0;

  // Appends to *out, in path order (bytewise), the metas of up to `limit` stored streams whose
  // path starts with `prefix` and sorts after `start_after` (empty: from the first). Fewer
  // than `limit` means there are no more. Metas as stored (tail may trail the records).
  virtual Status list_streams(std::string_view prefix, std::string_view start_after,
                              size_t limit, std::vector<StreamMeta>* out) = 0;

  // Appends to *out, in order, up to `limit` expiry index entries with at_ms <= due_ms that
  // sort after `*after` (nullptr: from the first).
  virtual Status scan_expiry(int64_t due_ms, const ExpiryEntry* after, size_t limit,
                             std::vector<ExpiryEntry>* out) = 0;

  // Applies the whole batch atomically. With batch.sync, returns only once the batch survives a
  // power loss; without, once it survives a process crash. A non-OK result (kNoSpace when the
  // disk is full, kIoError otherwise) means nothing of the batch may be assumed durable, though
  // some or all of it may still reach the store: the caller acknowledges nothing of it and
  // undoes it with kReset/kErase/kPurge changes once resume() succeeds.
  virtual Status write(const WriteBatch& batch) = 0;

  // Appends to *out, in position order, the records of (path, generation) that overlap
  // [from, end): the record containing `from` (if any) first, then later ones. Stops after the
  // record that makes the appended values total at least max_bytes (always at least one record
  // when one overlaps). Records of other generations are never returned.
  virtual Status read_records(const std::string& path, uint64_t generation, uint64_t from,
                              uint64_t end, size_t max_bytes, std::vector<Record>* out) = 0;

  // Makes every write() that returned before this call durable (survives a power loss). May run
  // concurrently with write() on another thread; the GroupCommitter overlaps the two. On failure
  // (kNoSpace or kIoError) those writes are in the state a failed write() leaves.
  virtual Status sync() = 0;

  // Called after write() or sync() failed, by the committer's thread, never concurrently with
  // write() or sync(): makes the storage writable again once the cause has gone (RocksDB:
  // DB::Resume(), or reopening read-write a database opened read-only on a full disk). Returns
  // OK when writes may be tried again, else why not (kNoSpace when the disk is still full).
  virtual Status resume() { return Status::Ok(); }

  // Bytes free for new data on the volume that holds the store; nullopt when that means
  // nothing (memory). Cheap enough to call before every group commit; any thread.
  virtual std::optional<uint64_t> free_disk_bytes() const { return std::nullopt; }

  // The backend's resource use (StorageStats). Any thread, concurrently with everything else;
  // cheap enough for a metrics scrape (a few in-memory property reads), not for a request
  // path. The default reports nothing, so a backend need not implement it.
  virtual StorageStats stats() const { return {}; }
};

// Every stored stream with its producers and last record, in path order, read page by page
// through list_streams() and load_stream(). O(streams): for tools and tests, never the server.
Status LoadAllStreams(Storage& storage, std::vector<LoadedStream>* out);

}  // namespace streamkeeper
