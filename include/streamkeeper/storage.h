// Storage: the persistence contract every backend implements.
//
// A backend stores stream metadata, producer state and records, keyed by (path, generation,
// position). It applies a WriteBatch atomically: after a crash either every change in the batch
// is visible or none is. It enforces no protocol rules; the StreamManager decides what to write.
// Backends: storage_memory/ (MemoryStorage) and storage_rocksdb/ (RocksDbStorage). The typed
// contract suite in tests/ runs against both; a new backend passes it by adding one factory.
//
// Thread-safety: write() is called by one thread at a time, and so is sync() (the
// GroupCommitter's two threads); read_records(), write() and sync() may run concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
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

// Everything one operation changes in one stream.
struct StreamChange {
  enum class Kind {
    kPut,    // upsert `meta`, upsert `producers`, add `records`
    // Remove the meta and producers of (meta.path, meta.generation) and, once the erase is
    // durable, every record of it. Until then the records stay, so that a kReset written after
    // a failed erase brings the stream back whole.
    kErase,
    // Make (meta.path, meta.generation) exactly `meta` (tail included) and `producers` (every
    // other producer entry is removed), and remove its records at or above meta.tail. Undoes a
    // batch that failed after it may have reached the store (StreamManager rollback).
    kReset,
  };
  Kind kind = Kind::kPut;
  StreamMeta meta;
  ProducerMap producers;        // kPut: producer entries to upsert (others untouched)
  std::vector<Record> records;  // kPut: new records, positions above every stored one
  // kPut: false when only records/producers changed and `meta` differs from the stored one only
  // in tail and last access. The backend then skips rewriting the meta (halving the keys a plain
  // append writes); load() reports each stream's last record so the tail can be recovered.
  bool write_meta = true;
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

struct LoadedState {
  std::vector<LoadedStream> streams;
  uint64_t generation_counter = 0;
};

class Storage {
 public:
  virtual ~Storage() = default;

  // Returns every stored stream with its producers and last record, and the generation counter.
  // Called once, before any write.
  virtual Status load(LoadedState* out) = 0;

  // Applies the whole batch atomically. With batch.sync, returns only once the batch survives a
  // power loss; without, once it survives a process crash. A non-OK result (kNoSpace when the
  // disk is full, kIoError otherwise) means nothing of the batch may be assumed durable, though
  // some or all of it may still reach the store: the caller acknowledges nothing of it and
  // undoes it with kReset/kErase changes once resume() succeeds.
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

  // A short human-readable name ("memory", "rocksdb") for logs and tools.
  virtual const char* name() const = 0;
};

}  // namespace streamkeeper
