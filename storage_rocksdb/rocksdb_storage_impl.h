// RocksDbStorage::Impl: the state behind RocksDbStorage's pimpl, shared by its three source
// files: rocksdb_storage.cc (open, close, format version, resume, maintenance),
// rocksdb_storage_read.cc (recover, load_stream, list_streams, scan_expiry, read_records) and
// rocksdb_storage_write.cc (write, sync). Private to storage_rocksdb.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "streamkeeper/rocksdb_storage.h"

namespace streamkeeper {

struct RocksDbStorage::Impl {
  explicit Impl(RocksDbOptions opts) : options(std::move(opts)) {}
  ~Impl() { CloseDb(); }

  // Opened as a secondary instance of a database another process may be writing
  // (RocksDbOptions::secondary_path): read_only is set too.
  bool secondary() const { return !options.secondary_path.empty(); }

  // --- rocksdb_storage.cc ---
  // Opens read-write; on a full disk (RocksDB's own recovery at open needs space), read-only.
  Status OpenDb();
  Status OpenDbAs(bool open_read_only);
  void CloseDb();
  // Sets the family handles from `handles` by name; kIoError unless meta, producers and data
  // are among them.
  Status FindFamilies();
  // Checks (and for a new database writes) the format version; migrates version 1 when open
  // read-write (format_migration.h).
  Status CheckFormatVersion(bool read_only_open);
  bool FamilyIsEmpty(rocksdb::ColumnFamilyHandle* family);
  Status Reopen();

  // --- rocksdb_storage_read.cc ---
  // kIoError for a read that failed; a damaged block is also logged (see the definition).
  Status ReadFailed(const rocksdb::Status& status, const std::string& what) const;
  // The meta of `path` (one Get), nullopt when absent; kIoError if corrupt or unreadable.
  Status ReadMeta(const std::string& path, std::optional<StreamMeta>* out);
  Status ReadProducers(const StreamMeta& meta, ProducerMap* out);
  Status ReadLastRecord(const StreamMeta& meta, std::optional<Record>* out);

  // --- rocksdb_storage_write.cc ---
  Status ValidateBatch(const WriteBatch& batch) const;
  // Add a kReset / kPurge change to `wb`; both read what is stored to know what to delete.
  Status AddReset(const StreamChange& change, rocksdb::WriteBatch* wb);
  Status AddPurge(const StreamChange& change, rocksdb::WriteBatch* wb);

  RocksDbOptions options;
  // Readers hold it shared; resume() holds it exclusively while it reopens a read-only
  // database read-write. write() and sync() never run concurrently with resume().
  std::shared_mutex db_mu;
  bool read_only = false;  // opened read-only on a full disk; write() answers kNoSpace
  // A write or sync failed since the last open or successful resume: no SyncWAL until then
  // (see CloseDb).
  std::atomic<bool> wal_failed{false};
  // Held by write() around DB::Write and by sync() around DB::SyncWAL. Debian's RocksDB asserts
  // when SyncWAL meets a WAL writer whose append just failed and that was never synced before
  // (a WAL file opened by the same write that fails, after a memtable switch): a sync running
  // alongside that write aborted the process (tests/faults, LaterWrite_NoSpace). The committer
  // still prepares and submits the next group while a sync runs; only the two calls exclude.
  std::mutex wal_mu;
  std::string read_only_reason;
  // A read-only open takes no lock of RocksDB's own; this one (the same LOCK file) keeps a
  // running server out while ds-admin verifies. Declared before `db`: released after it closes.
  struct DirectoryLock {
    rocksdb::Env* env = nullptr;
    rocksdb::FileLock* lock = nullptr;
    void release() {
      if (lock) env->UnlockFile(lock);
      lock = nullptr;
    }
    ~DirectoryLock() { release(); }
  } read_only_lock;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // owned; destroyed before db closes
  rocksdb::ColumnFamilyHandle* default_family = nullptr;
  rocksdb::ColumnFamilyHandle* meta = nullptr;
  rocksdb::ColumnFamilyHandle* producers = nullptr;
  rocksdb::ColumnFamilyHandle* data = nullptr;
  // nullptr only in a read-only open of a format-1 directory, which has no expiry index.
  rocksdb::ColumnFamilyHandle* expiry = nullptr;
};

}  // namespace streamkeeper
