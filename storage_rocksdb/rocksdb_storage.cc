#include "streamkeeper/rocksdb_storage.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/metadata.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <system_error>
#include <utility>

#include "storage_rocksdb/damage_report.h"
#include "storage_rocksdb/data_key_prefix.h"
#include "storage_rocksdb/format_migration.h"
#include "storage_rocksdb/info_logger.h"
#include "storage_rocksdb/key_codec.h"
#include "storage_rocksdb/rocksdb_adapters.h"
#include "storage_rocksdb/rocksdb_storage_impl.h"

namespace streamkeeper {

namespace keys = rocksdb_keys;

namespace {

constexpr const char* kMetaFamily = "meta";
constexpr const char* kProducersFamily = "producers";
constexpr const char* kDataFamily = "data";
constexpr const char* kExpiryFamily = "expiry";

// Small memtables for the small column families; the data family gets the configured size.
constexpr size_t kSmallWriteBuffer = 8 << 20;

// Keeps RocksDB from recovering from a background error on its own. Its automatic recovery
// from a full disk waits for free space as large as every memtable together (32 MiB and more
// here) and would race our own: the StreamManager undoes the failed batches and resumes
// through Storage::resume() once its own free-space reserve is back (manager/storage_health.h).
class ManualRecoveryListener final : public rocksdb::EventListener {
 public:
  explicit ManualRecoveryListener(const LogSink& log) : log_(log) {}
  void OnBackgroundError(rocksdb::BackgroundErrorReason reason, rocksdb::Status* error) override {
    if (log_) {
      log_(LogLevel::kError, "rocksdb: background error (reason " +
                                 std::to_string(static_cast<int>(reason)) +
                                 "), writes stop until resumed: " + error->ToString());
    }
  }
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status,
                            bool* auto_recovery) override {
    *auto_recovery = false;
  }

 private:
  LogSink log_;
};

// RocksDB's two lock failures: "While lock file: <dir>/LOCK: ..." (another process) and "lock
// hold by current process ..." (this one). Matching a bare "lock" took "block checksum
// mismatch" in a damaged SST for a locked directory.
bool LooksLikeLockFailure(const rocksdb::Status& status) {
  if (!status.IsIOError()) return false;
  std::string text = status.ToString();
  std::transform(text.begin(), text.end(), text.begin(), ::tolower);
  return text.find("lock file") != std::string::npos || text.find("lock hold") != std::string::npos;
}

rocksdb::ColumnFamilyOptions FamilyOptions(std::shared_ptr<rocksdb::Cache> cache, bool bloom,
                                           size_t write_buffer_bytes) {
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = std::move(cache);
  table.format_version = 5;
  if (bloom) {
    // Point lookups of stream metadata by path; whole-key bloom filters fit them.
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    table.whole_key_filtering = true;
  }
  rocksdb::ColumnFamilyOptions cf;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf.compaction_style = rocksdb::kCompactionStyleLevel;
  cf.level_compaction_dynamic_level_bytes = true;
  cf.write_buffer_size = write_buffer_bytes;
  return cf;
}

// A read-only open must name only families that exist (RocksDB refuses to create one there),
// and a format-1 directory has no expiry family. When the listing fails the open is left to
// fail on its own, with the status the damage report reads.
void KeepExistingFamilies(const rocksdb::DBOptions& db_options, const std::string& path,
                          std::vector<rocksdb::ColumnFamilyDescriptor>* families) {
  std::vector<std::string> names;
  if (!rocksdb::DB::ListColumnFamilies(db_options, path, &names).ok()) return;
  std::set<std::string> existing(names.begin(), names.end());
  std::erase_if(*families, [&](const rocksdb::ColumnFamilyDescriptor& family) {
    return !existing.contains(family.name);
  });
}

}  // namespace

void RocksDbStorage::Impl::CloseDb() {
  if (!db) return;
  // Best effort: a clean shutdown makes sync=false writes power-safe. Never after a failed WAL
  // write: Debian's RocksDB asserts when a WAL writer that has seen an error is synced.
  if (!read_only && !wal_failed) {
    rocksdb::Status synced = db->SyncWAL();
    if (!synced.ok() && options.log) {
      options.log(LogLevel::kError,
                  "rocksdb: syncing the WAL at close failed (" + synced.ToString() +
                      "): writes acknowledged since the last sync (--sync none) may be lost "
                      "at a power cut");
    }
  }
  for (rocksdb::ColumnFamilyHandle* handle : handles) db->DestroyColumnFamilyHandle(handle);
  handles.clear();
  db->Close();
  db.reset();
  read_only_lock.release();
}

Status RocksDbStorage::Impl::OpenDb() {
  if (secondary()) {
    read_only = true;
    read_only_reason = "opened as a secondary instance: no writes";
    return OpenDbAs(true);
  }
  if (options.read_only) {
    read_only = true;
    read_only_reason = "opened read-only";
    return OpenDbAs(true);
  }
  Status status = OpenDbAs(false);
  if (status.code() != StatusCode::kNoSpace) return status;
  // Reads need no space: serve them, and take writes again once resume() can reopen.
  Status read_only_status = OpenDbAs(true);
  if (!read_only_status.ok()) return status;
  read_only = true;
  read_only_reason = status.message();
  if (options.log) {
    options.log(LogLevel::kError,
                "rocksdb: opened " + options.path +
                    " read-only, writes are refused until space is freed: " + status.message());
  }
  return Status::Ok();
}

Status RocksDbStorage::Impl::OpenDbAs(bool open_read_only) {
  const std::string& path = options.path;
  handles.clear();
  if (path.empty()) return Status::IoError("rocksdb storage: no data directory given");
  if (options.create_if_missing && !secondary()) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) {
      return Status::IoError("cannot create data directory " + path + ": " + ec.message());
    }
  }

  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create_if_missing && !secondary();
  db_options.create_missing_column_families = !secondary();
  db_options.max_background_jobs = options.max_background_jobs;
  // One thread (the GroupCommitter) writes, so concurrent memtable writes buy nothing; turning
  // them off enables the data family's insert hints (data_key_prefix.h).
  db_options.allow_concurrent_memtable_write = false;
  db_options.manual_wal_flush = false;
  db_options.bytes_per_sync = 1 << 20;  // smooth SST writeback instead of bursts at fsync
  db_options.wal_bytes_per_sync = 1 << 20;
  db_options.max_total_wal_size = 256 << 20;  // the small families must not pin old WALs
  db_options.keep_log_file_num = 4;
  db_options.max_open_files = options.max_open_files;
  // A secondary opens each table file once, when it first learns of it; with a bounded table
  // cache it would reopen evicted ones by name, and fail on those the primary's compactions
  // have deleted since. RocksDB 7.8 (Debian 12) asks for -1 (db.h, OpenAsSecondary).
  if (secondary()) db_options.max_open_files = -1;
  // Each catch-up loads the table handles of every family with up to this many threads,
  // started and joined each time (16 by default: 50 thread creations per catch-up, 9% of a CPU
  // for a `ds-admin tail` polling an idle store). The files opened are the new ones only.
  if (secondary()) db_options.max_file_opening_threads = 1;
  if (options.env) db_options.env = options.env;
  db_options.info_log = std::make_shared<InfoLogger>(options.log);
  db_options.listeners.push_back(std::make_shared<ManualRecoveryListener>(options.log));
  // Damaged files (storage_rocksdb/README.md, "Damaged data directories"). paranoid_checks:
  // a corruption found at open or by a flush or compaction is an error, never skipped.
  // Point-in-time WAL recovery: replay stops at the first bad record, so a torn tail (a write
  // cut by a crash, never acknowledged under --sync always) is dropped and logged - RocksDB's
  // warning "<wal>: dropping N bytes; Corruption: ..." - and nothing after a hole is replayed
  // over it. SSTs are not checksummed whole at open (that is O(data)): the open reads each
  // table's footer, index and properties, and every read verifies the checksum of the blocks
  // it touches (ReadOptions::verify_checksums), so a damaged data block fails the read that
  // meets it.
  db_options.paranoid_checks = true;
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;

  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, FamilyOptions(cache, false, kSmallWriteBuffer)},
      {kMetaFamily, FamilyOptions(cache, true, kSmallWriteBuffer)},
      {kProducersFamily, FamilyOptions(cache, false, kSmallWriteBuffer)},
      {kDataFamily, FamilyOptions(cache, false, options.write_buffer_bytes)},
      {kExpiryFamily, FamilyOptions(cache, false, kSmallWriteBuffer)},
  };
  // A producer's state is rewritten by every append it makes, to the same key and nearly always
  // with a value of the same size: update it in place in the memtable. Otherwise 100 busy
  // producers filled the 8 MiB memtable with 74,000 versions every 1.6 s, each fill a flush, a
  // new WAL file and soon a compaction (A/B: +3.5% producer appends/s, 3 WAL files instead of 9).
  // What in-place updates give up is a consistent iterator over keys being rewritten: producers
  // are iterated by load_stream(), which the StreamManager calls only for a stream it is not
  // writing (rocksdb_storage.h), and by a kReset or kPurge, on the writing thread itself.
  families[2].options.inplace_update_support = true;
  // LZ4 on stream data: catch-up reads of cold data spent 13% of their time in Snappy.
  families[3].options.compression = rocksdb::kLZ4Compression;
  families[3].options.memtable_insert_with_hint_prefix_extractor.reset(
      DataKeyPrefix(), [](const rocksdb::SliceTransform*) {});  // static: never deleted
  std::string damage = CheckCurrentPresent(path);
  if (damage.empty()) damage = CheckManifestTail(path);
  if (!damage.empty()) return Status::IoError("data directory " + path + " is damaged: " + damage);
  if (open_read_only) KeepExistingFamilies(db_options, path, &families);
  rocksdb::DB* raw = nullptr;
  rocksdb::Status status;
  if (secondary()) {
    std::error_code ec;
    if (!std::filesystem::is_directory(options.secondary_path, ec)) {
      return Status::IoError("secondary scratch directory " + options.secondary_path +
                             " does not exist");
    }
    if (!std::filesystem::is_directory(path, ec)) {
      return Status::IoError("data directory " + path + " does not exist");
    }
    status = rocksdb::DB::OpenAsSecondary(db_options, path, options.secondary_path, families,
                                          &handles, &raw);
  } else if (open_read_only) {
    read_only_lock.env = db_options.env;
    status = db_options.env->LockFile(path + "/LOCK", &read_only_lock.lock);
    if (status.ok()) {
      status = rocksdb::DB::OpenForReadOnly(db_options, path, families, &handles, &raw);
      if (!status.ok()) read_only_lock.release();
    }
  } else {
    status = rocksdb::DB::Open(db_options, path, families, &handles, &raw);
  }
  if (!status.ok()) {
    if (status.IsNoSpace()) {
      return Status::NoSpace("cannot open RocksDB database in " + path + ": " + status.ToString());
    }
    if (LooksLikeLockFailure(status)) {
      return Status::IoError("data directory " + path +
                             " is locked: another process (another streamkeeper?) or this one "
                             "already has it open: " +
                             status.ToString());
    }
    damage = DescribeDamage(path, status);
    if (!damage.empty()) {
      return Status::IoError("data directory " + path + " is damaged: " + damage + " (" +
                             status.ToString() + ")");
    }
    return Status::IoError("cannot open RocksDB database in " + path + ": " + status.ToString());
  }
  db.reset(raw);
  wal_failed = false;  // a new WAL
  Status version = FindFamilies();
  if (version.ok()) version = CheckFormatVersion(open_read_only);
  if (!version.ok()) {
    // Callers may try again; never leave a second instance open. A migration write may have
    // failed: no SyncWAL on the way out (see CloseDb).
    wal_failed = true;
    CloseDb();
  }
  return version;
}

Status RocksDbStorage::Impl::FindFamilies() {
  default_family = meta = producers = data = expiry = nullptr;
  for (rocksdb::ColumnFamilyHandle* handle : handles) {
    const std::string& name = handle->GetName();
    if (name == rocksdb::kDefaultColumnFamilyName) default_family = handle;
    if (name == kMetaFamily) meta = handle;
    if (name == kProducersFamily) producers = handle;
    if (name == kDataFamily) data = handle;
    if (name == kExpiryFamily) expiry = handle;
  }
  if (meta && producers && data) return Status::Ok();
  return Status::IoError("data directory " + options.path +
                         " lacks the meta, producers and data column families: not a "
                         "streamkeeper database");
}

bool RocksDbStorage::Impl::FamilyIsEmpty(rocksdb::ColumnFamilyHandle* family) {
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), family));
  it->SeekToFirst();
  return !it->Valid();
}

Status RocksDbStorage::Impl::CheckFormatVersion(bool read_only_open) {
  const std::string& path = options.path;
  std::string version;
  rocksdb::Status status =
      db->Get(rocksdb::ReadOptions(), default_family, ToSlice(keys::kFormatVersionKey), &version);
  if (status.ok()) {
    if (version == keys::kFormatVersion) return Status::Ok();
    if (version == keys::kFormatVersion1) {
      // Read as it is: a format-1 store answers every read (its metas carry no index entry and
      // its dead generations no purge marker, which only the server's writes need).
      if (read_only_open) return Status::Ok();
      return MigrateFormat1To2(db.get(), {default_family, meta, producers, data, expiry}, path,
                               options.log);
    }
    return Status::IoError("data directory " + path + " has on-disk format version '" + version +
                           "'; this build reads versions " + std::string(keys::kFormatVersion1) +
                           " (migrated when opened read-write) and " +
                           std::string(keys::kFormatVersion));
  }
  if (!status.IsNotFound()) return FromRocks(status, "reading format version in " + path);
  if (!FamilyIsEmpty(meta) || !FamilyIsEmpty(producers) || !FamilyIsEmpty(data)) {
    return Status::IoError("data directory " + path +
                           " holds data but no format version: not a streamkeeper database");
  }
  if (read_only_open) return Status::Ok();  // an empty database: written once writable
  rocksdb::WriteOptions sync;
  sync.sync = true;
  status = db->Put(sync, default_family, ToSlice(keys::kFormatVersionKey),
                   ToSlice(keys::kFormatVersion));
  return FromRocks(status, "writing format version in " + path);
}

Status RocksDbStorage::Open(const RocksDbOptions& options, std::unique_ptr<Storage>* out) {
  out->reset();
  auto impl = std::make_unique<Impl>(options);
  Status status = impl->OpenDb();
  if (!status.ok()) return status;
  out->reset(new RocksDbStorage(std::move(impl)));
  return Status::Ok();
}

RocksDbStorage::RocksDbStorage(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RocksDbStorage::~RocksDbStorage() = default;

// --- maintenance -------------------------------------------------------------------------------

Status RocksDbStorage::Impl::Reopen() {
  std::unique_lock db_lock(db_mu);
  CloseDb();
  read_only = false;
  Status status = OpenDbAs(false);
  if (status.ok()) {
    if (options.log)
      options.log(LogLevel::kInfo, "rocksdb: reopened " + options.path + " read-write");
    return status;
  }
  Status again = OpenDbAs(true);  // keep serving reads
  if (!again.ok()) {
    return Status::IoError("cannot reopen " + options.path + " even read-only: " + again.message());
  }
  read_only = true;
  read_only_reason = status.message();
  return status;
}

Status RocksDbStorage::resume() {
  if (impl_->secondary()) return Status::IoError(impl_->read_only_reason);
  if (impl_->options.read_only) return Status::IoError("opened read-only: no writes");
  if (impl_->read_only || !impl_->db) return impl_->Reopen();
  // DB::Resume() flushes the memtables (whatever of a failed batch reached them becomes
  // durable: the manager's kReset changes undo it) and clears the background error. It cannot
  // clear an error RocksDB deems fatal (an EIO on the WAL): then close and reopen, which
  // replays the WAL as after a crash and starts a new one.
  rocksdb::Status resumed = impl_->db->Resume();
  if (resumed.ok()) {
    impl_->wal_failed = false;
    return Status::Ok();
  }
  if (resumed.IsNoSpace()) return FromRocks(resumed, "resuming writes to " + impl_->options.path);
  if (impl_->options.log) {
    impl_->options.log(LogLevel::kWarn, "rocksdb: cannot resume " + impl_->options.path + " (" +
                                            resumed.ToString() + "); reopening it");
  }
  return impl_->Reopen();
}

std::optional<uint64_t> RocksDbStorage::free_disk_bytes() const {
  struct statvfs fs;
  if (::statvfs(impl_->options.path.c_str(), &fs) != 0) return std::nullopt;
  return static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
}

StorageStats RocksDbStorage::stats() const {
  std::shared_lock db_lock(impl_->db_mu);  // resume() may be reopening the database
  StorageStats out;
  if (!impl_->db) return out;
  auto sum = [&](const std::string& property) -> std::optional<uint64_t> {
    uint64_t total = 0;
    for (rocksdb::ColumnFamilyHandle* family : impl_->handles) {
      uint64_t value = 0;
      if (!impl_->db->GetIntProperty(family, property, &value)) return std::nullopt;
      total += value;
    }
    return total;
  };
  out.live_sst_bytes = sum(rocksdb::DB::Properties::kLiveSstFilesSize);
  out.memtable_bytes = sum(rocksdb::DB::Properties::kCurSizeAllMemTables);
  out.pending_compaction_bytes = sum(rocksdb::DB::Properties::kEstimatePendingCompactionBytes);
  return out;
}

Status RocksDbStorage::Compact() {
  if (impl_->secondary()) return Status::IoError(impl_->read_only_reason);
  std::shared_lock db_lock(impl_->db_mu);
  if (!impl_->db) return Status::IoError("the database in " + impl_->options.path + " is closed");
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (rocksdb::ColumnFamilyHandle* family : impl_->handles) {
    rocksdb::Status status = impl_->db->CompactRange(compact, family, nullptr, nullptr);
    if (!status.ok()) return FromRocks(status, "compacting " + impl_->options.path);
  }
  return Status::Ok();
}

namespace {

// Copies the first `size` bytes of `from` to a new file `to`.
Status CopyPrefix(const std::string& from, const std::string& to, uint64_t size) {
  std::ifstream in(from, std::ios::binary);
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  if (!in || !out) return Status::IoError("cannot copy " + from + " to " + to);
  std::vector<char> buffer(1 << 20);
  while (size > 0) {
    const std::streamsize want = static_cast<std::streamsize>(std::min<uint64_t>(size, buffer.size()));
    in.read(buffer.data(), want);
    if (in.gcount() != want) return Status::IoError(from + " is shorter than listed");
    out.write(buffer.data(), want);
    size -= static_cast<uint64_t>(want);
  }
  out.flush();
  if (!out) return Status::IoError("cannot write " + to);
  return Status::Ok();
}

// Materialises the listing of Checkpoint() in `dir`, through "<dir>.tmp".
Status WriteCheckpoint(const std::vector<rocksdb::LiveFileStorageInfo>& files,
                       std::string dir) {
  namespace fs = std::filesystem;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();  // "x/" would put "x/.tmp" in x
  std::error_code ec;
  if (fs::exists(dir, ec) || ec) {
    return Status::IoError("checkpoint directory " + dir + " exists or cannot be checked");
  }
  const std::string tmp = dir + ".tmp";
  fs::remove_all(tmp, ec);
  if (!fs::create_directories(tmp, ec)) {
    return Status::IoError("cannot create " + tmp + ": " + ec.message());
  }
  auto fail = [&](Status s) {
    std::error_code ignored;
    fs::remove_all(tmp, ignored);
    return s;
  };
  for (const rocksdb::LiveFileStorageInfo& file : files) {
    const std::string from = file.directory + "/" + file.relative_filename;
    const std::string to = tmp + "/" + file.relative_filename;
    if (!file.replacement_contents.empty()) {
      std::ofstream out(to, std::ios::binary | std::ios::trunc);
      out << file.replacement_contents;
      out.flush();
      if (!out) return fail(Status::IoError("cannot write " + to));
      continue;
    }
    const bool immutable = file.file_type == rocksdb::kTableFile ||
                           file.file_type == rocksdb::kBlobFile;
    if (immutable && !file.trim_to_size) {
      fs::create_hard_link(from, to, ec);
      if (!ec) continue;
    }
    if (Status s = CopyPrefix(from, to, file.size); !s.ok()) return fail(s);
  }
  fs::rename(tmp, dir, ec);
  if (ec) return fail(Status::IoError("cannot rename " + tmp + " to " + dir + ": " + ec.message()));
  return Status::Ok();
}

}  // namespace

Status RocksDbStorage::Checkpoint(const std::string& dir) {
  std::shared_lock db_lock(impl_->db_mu);
  if (!impl_->db) return Status::IoError("the database in " + impl_->options.path + " is closed");
  // After a failed write the WAL writer must not be synced or rolled (see CloseDb): no
  // checkpoint until resume() has cleared it.
  if (impl_->wal_failed) {
    return Status::IoError("no checkpoint of " + impl_->options.path +
                           ": a write failed and the storage has not recovered yet");
  }
  // 1. Flush every family while writes go on: every write that returned before this call is
  //    then in a table file, whatever the WAL's sync state.
  rocksdb::FlushOptions flush;
  flush.wait = true;
  rocksdb::Status status = impl_->db->Flush(flush, impl_->handles);
  if (!status.ok()) return FromRocks(status, "flushing " + impl_->options.path + " for a checkpoint");
  // 2. What the checkpoint holds, listed while no write is half-way into the WAL (write() holds
  //    wal_mu around DB::Write, and the WAL reaches the OS at the end of each write): every
  //    table file, the MANIFEST and CURRENT as they stand, and the WALs written since step 1
  //    with their sizes then, which end on a record boundary (a torn last record would be
  //    dropped at open, and reported by `ds-admin verify`). No second flush. Writes wait for
  //    this listing only; the copying below runs beside them, with file deletions held off so
  //    that no listed file goes away meanwhile.
  status = impl_->db->DisableFileDeletions();
  if (!status.ok()) return FromRocks(status, "holding file deletions of " + impl_->options.path);
  struct DeletionsBack {
    rocksdb::DB* db;
    ~DeletionsBack() { db->EnableFileDeletions(/*force=*/false); }
  } deletions_back{impl_->db.get()};
  std::vector<rocksdb::LiveFileStorageInfo> files;
  {
    std::lock_guard wal_lock(impl_->wal_mu);
    if (impl_->wal_failed) {
      return Status::IoError("no checkpoint of " + impl_->options.path +
                             ": a write failed and the storage has not recovered yet");
    }
    rocksdb::LiveFilesStorageInfoOptions listing;
    listing.wal_size_for_flush = std::numeric_limits<uint64_t>::max();  // never flush again
    status = impl_->db->GetLiveFilesStorageInfo(listing, &files);
  }
  if (!status.ok()) return FromRocks(status, "listing the files of " + impl_->options.path);
  // 3. The copy, in "<dir>.tmp" renamed to `dir` when whole: immutable files (tables, blobs)
  //    hard-linked (copied across file systems), the others copied up to their listed size.
  return WriteCheckpoint(files, dir);
}

Status RocksDbStorage::CatchUp() {
  if (!impl_->secondary()) {
    return Status::IoError("CatchUp: " + impl_->options.path + " is not open as a secondary");
  }
  std::unique_lock db_lock(impl_->db_mu);  // no read runs while the view moves on
  if (!impl_->db) return Status::IoError("the database in " + impl_->options.path + " is closed");
  rocksdb::Status status = impl_->db->TryCatchUpWithPrimary();
  return FromRocks(status, "catching up with the server's writes in " + impl_->options.path);
}

Status RocksDbStorage::VerifyChecksums() {
  rocksdb::Status status = impl_->db->VerifyChecksum(rocksdb::ReadOptions());
  if (status.ok()) return Status::Ok();
  return Status::IoError("data directory " + impl_->options.path +
                         " is damaged: " + status.ToString());
}

}  // namespace streamkeeper
