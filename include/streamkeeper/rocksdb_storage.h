// RocksDbStorage: the durable Storage backend, one RocksDB database per data directory.
//
// The on-disk format (column families, key layouts, value encodings, format version and its
// migration, what `sync` means) is documented in storage_rocksdb/README.md. This header
// includes no RocksDB header; the database lives behind a pimpl.
//
// Thread-safety: as the Storage contract requires, every read may run concurrently with the
// others and with write(); write() is called by one thread at a time. One caveat, the price of
// updating producer states in place in the memtable (README.md, "Tuning"): load_stream() of a
// path running while a write() rewrites that path's producers may see a producer state torn or
// newer than the rest of what it returns. The StreamManager never loads a stream it is writing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "streamkeeper/log_sink.h"
#include "streamkeeper/storage.h"

namespace rocksdb {
class Env;
}

namespace streamkeeper {

struct RocksDbOptions {
  std::string path;                      // data directory (created, with parents, if missing)
  bool create_if_missing = true;         // false: Open fails unless a database exists
  size_t block_cache_bytes = 256 << 20;  // one LRU cache shared by every column family
  size_t write_buffer_bytes = 32 << 20;  // memtable size of the data column family
  int max_background_jobs = 2;           // flush + compaction threads
  // Files RocksDB keeps open: its table cache of SSTs plus about 10 of its own. -1 keeps every
  // SST open, a descriptor count that grows with the data without bound; the server sizes this
  // from its descriptor limit (src/util/descriptor_limit.h).
  int max_open_files = 1024;
  // The environment RocksDB does its file I/O through; nullptr: the default (the OS). Not
  // owned; must outlive the storage. Tests pass a fault-injecting one.
  rocksdb::Env* env = nullptr;
  // RocksDB's own log lines (storage_rocksdb/info_logger.h); no LOG file is written in the data
  // directory. nullptr: its warnings and errors go to stderr.
  LogSink log;
  // Open without writing anything (DB::OpenForReadOnly): the WAL is replayed into memory, not
  // flushed, so a damaged tail stays on disk to be reported. write() and sync() fail. For
  // `ds-admin verify`.
  bool read_only = false;
  // Non-empty: open as a RocksDB secondary instance (DB::OpenAsSecondary) of the database at
  // `path`, which a running server (the primary) may hold and keep writing: this directory
  // (which must exist; RocksDB keeps its own bookkeeping there, none of the data) is the
  // secondary's scratch space. The secondary takes no lock, writes nothing in `path`, sees the
  // primary's state as of the open and then as of each CatchUp(), and reads formats 1 and 2 as
  // they are (never migrating). write(), sync(), resume() and Compact() fail with kIoError.
  // create_if_missing and read_only are ignored; max_open_files is forced to -1 (every table
  // file stays open, so one the primary's compaction deletes can still be read). For ds-admin
  // on a live data directory (storage_rocksdb/README.md, "Secondary instances").
  std::string secondary_path;
};

class RocksDbStorage final : public Storage {
 public:
  // Opens (or creates) the database at options.path. On success stores a RocksDbStorage in
  // *out and returns OK. A read-write open of a format-1 directory first migrates it to format
  // 2 (format_migration.h) and logs one line; a read-only open reads format 1 as it is. On a
  // full disk, where RocksDB cannot finish its recovery at open, the database is opened
  // read-only: reads work, write() and sync() answer kNoSpace, and resume() reopens it
  // read-write once there is space. On failure stores nullptr and returns kIoError with a
  // message naming the directory and the cause: it cannot be created or opened, it is locked by
  // another process (or already open in this one), it is damaged ("... is damaged: <file> is
  // corrupt/missing ...", damage_report.h), or it holds an unknown format version or is not a
  // Streamkeeper database.
  static Status Open(const RocksDbOptions& options, std::unique_ptr<Storage>* out);

  // Syncs the WAL (so sync=false writes survive a power loss after a clean shutdown) and
  // closes the database, releasing its lock.
  ~RocksDbStorage() override;

  RocksDbStorage(const RocksDbStorage&) = delete;
  RocksDbStorage& operator=(const RocksDbStorage&) = delete;

  // The generation counter and the purge markers (one bounded scan of the reserved
  // "\0purge\0" keys). kIoError if a marker or the counter is corrupt or RocksDB fails.
  Status recover(RecoveredState* out) override;
  // One Get on meta, one bounded scan of the generation's producers, one SeekToLast over its
  // records. kIoError naming the stream if a stored value is corrupt, or if RocksDB fails.
  Status load_stream(const std::string& path, std::optional<LoadedStream>* out) override;
  // The Get of load_stream() alone.
  Status load_meta(const std::string& path, std::optional<StreamMeta>* out) override;
  // One bounded scan of the meta family; never returns the reserved keys. kIoError naming the
  // stream if a meta is corrupt.
  Status list_streams(std::string_view prefix, std::string_view start_after, size_t limit,
                      std::vector<StreamMeta>* out) override;
  // One bounded scan of the expiry family. Nothing when a format-1 directory is open read-only
  // (it has no index).
  Status scan_expiry(int64_t due_ms, const ExpiryEntry* after, size_t limit,
                     std::vector<ExpiryEntry>* out) override;
  // One RocksDB WriteBatch; WriteOptions::sync = batch.sync. A kReset or kPurge reads what is
  // stored to know what to delete, so it does not see changes earlier in the same batch: a batch
  // never both writes a generation and resets or purges it. kBadRequest (nothing written) if a
  // generation or position exceeds 16 decimal digits; kNoSpace on a full disk; kIoError if
  // RocksDB fails otherwise. After a failure RocksDB refuses writes until resume().
  Status write(const WriteBatch& batch) override;
  // DB::SyncWAL(): fsyncs the WAL up to every write that has returned; runs concurrently with
  // write() (the WAL buffer is flushed to the OS at the end of every write).
  Status sync() override;
  // kIoError if RocksDB fails (records appended before the failure stay in *out).
  Status read_records(const std::string& path, uint64_t generation, uint64_t from, uint64_t end,
                      size_t max_bytes, std::vector<Record>* out) override;
  // Clears RocksDB's background error (DB::Resume()); a database opened read-only because the
  // disk was full is reopened read-write. kNoSpace while the disk is still full.
  Status resume() override;
  // statvfs() of the data directory: bytes available to this (unprivileged) process.
  std::optional<uint64_t> free_disk_bytes() const override;
  // RocksDB's own properties, summed over the column families (storage.h, StorageStats); all
  // nullopt while the database is closed (a failed reopen) or a property cannot be read.
  StorageStats stats() const override;

  // Flushes memtables and compacts every column family fully (dropping what deletes and range
  // tombstones cover). For tools and tests; blocks until done.
  Status Compact();

  // A consistent point-in-time copy of the whole database in `dir` (which must not exist; it is
  // created, with a temporary "<dir>.tmp" on the way), made as rocksdb::Checkpoint makes one.
  // Table files are hard-linked (copied when `dir` is on another file system), the rest copied.
  // Every write that returned before the call is in it: the memtables are flushed first, then
  // the files are listed (DB::GetLiveFilesStorageInfo) while no write is in progress, so the
  // WAL written since is copied up to a record boundary, never a torn record. Writes wait only
  // for the listing (a directory listing and a stat per WAL), not for the copying. Runs
  // concurrently with reads and writes; blocks for the flush and the copy. The copy is made
  // for reading at once (a snapshot streamed, a backup archived): its files are not fsynced,
  // and its I/O goes to the OS directly, not through RocksDbOptions::env. kIoError when
  // RocksDB fails (a write failed and resume() has not run, the storage is read-only after a
  // full disk) or `dir` exists.
  Status Checkpoint(const std::string& dir);

  // Secondary instances only (RocksDbOptions::secondary_path): catches up with the primary
  // (DB::TryCatchUpWithPrimary: the MANIFEST's new table files, then the WAL the primary has
  // written since, records that reached the OS and not just synced ones). Reads that follow see
  // every write the primary had finished when it started. Not concurrent with reads. kIoError
  // when not a secondary, or when RocksDB fails (the previous state stays readable).
  Status CatchUp();

  // Reads every block of every table file and checks its checksum (DB::VerifyChecksum): O(data),
  // for `ds-admin verify`; the server checks only the blocks it reads. kIoError naming the
  // damaged file if one does not match.
  Status VerifyChecksums();

 private:
  struct Impl;
  explicit RocksDbStorage(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace streamkeeper
