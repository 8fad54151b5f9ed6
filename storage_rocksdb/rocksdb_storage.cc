#include "storage_rocksdb/rocksdb_storage.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <system_error>
#include <utility>

#include "storage_rocksdb/damage_report.h"
#include "storage_rocksdb/data_key_prefix.h"
#include "storage_rocksdb/generation_compaction_filter.h"
#include "storage_rocksdb/info_logger.h"
#include "storage_rocksdb/key_codec.h"
#include "storage_rocksdb/live_generations.h"
#include "storage_rocksdb/meta_codec.h"

namespace streamkeeper {

namespace keys = rocksdb_keys;

namespace {

constexpr const char* kMetaFamily = "meta";
constexpr const char* kProducersFamily = "producers";
constexpr const char* kDataFamily = "data";

// Small memtables for the small column families; the data family gets the configured size.
constexpr size_t kSmallWriteBuffer = 8 << 20;

std::string_view View(const rocksdb::Slice& slice) { return {slice.data(), slice.size()}; }
rocksdb::Slice ToSlice(std::string_view view) { return {view.data(), view.size()}; }

// An iterator over the keys in [lower, upper) of one family; it owns the bounds RocksDB points
// to. Positioned with Seek(lower()) or SeekToLast().
class BoundedIterator {
 public:
  BoundedIterator(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family, std::string lower,
                  std::string upper)
      : lower_(std::move(lower)), upper_(std::move(upper)), lower_slice_(lower_),
        upper_slice_(upper_) {
    rocksdb::ReadOptions options;
    options.iterate_lower_bound = &lower_slice_;
    options.iterate_upper_bound = &upper_slice_;
    it_.reset(db->NewIterator(options, family));
  }
  rocksdb::Iterator* operator->() const { return it_.get(); }
  const rocksdb::Slice& lower() const { return lower_slice_; }

 private:
  std::string lower_, upper_;
  rocksdb::Slice lower_slice_, upper_slice_;
  std::unique_ptr<rocksdb::Iterator> it_;
};

// A full disk is kNoSpace (507 over HTTP, retried once space returns); anything else kIoError.
Status FromRocks(const rocksdb::Status& status, std::string_view what) {
  if (status.ok()) return Status::Ok();
  std::string message = std::string(what) + ": " + status.ToString();
  if (status.IsNoSpace()) return Status::NoSpace(std::move(message));
  return Status::IoError(std::move(message));
}

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

// The first key of a generation's DeleteRange: "<path>\0<generation>_", just below its first
// data key. It must lie outside the data family's insert-hint domain (data_key_prefix.h): RocksDB
// shares one hint map between the point and the range-tombstone memtables, and a hint taken from
// one list and used in the other corrupts the insert.
std::string DataRangeDeletionBegin(std::string_view path, uint64_t generation) {
  std::string begin = keys::DataGenerationBegin(path, generation);
  begin.resize(begin.size() - 16);
  return begin;
}

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
                                           size_t write_buffer_bytes,
                                           const rocksdb::CompactionFilter* filter) {
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
  cf.compaction_filter = filter;
  return cf;
}

}  // namespace

struct RocksDbStorage::Impl {
  explicit Impl(RocksDbOptions opts)
      : options(std::move(opts)),
        data_filter(&live, GenerationCompactionFilter::KeyKind::kData),
        producer_filter(&live, GenerationCompactionFilter::KeyKind::kProducer) {}

  ~Impl() { CloseDb(); }

  // Opens read-write; on a full disk (RocksDB's own recovery at open needs space), read-only.
  Status OpenDb();
  Status OpenDbAs(bool open_read_only);
  void CloseDb();
  Status CheckFormatVersion(bool read_only_open);
  bool FamilyIsEmpty(rocksdb::ColumnFamilyHandle* family);
  Status LoadMetas(LoadedState* out, std::map<std::string, size_t>* index);
  Status LoadProducers(const std::map<std::string, size_t>& index, LoadedState* out);
  Status LoadLastRecords(LoadedState* out);
  Status ValidateBatch(const WriteBatch& batch) const;
  // Adds a kReset change to `wb` (reads the stored producers and records it must drop).
  Status AddReset(const StreamChange& change, rocksdb::WriteBatch* wb);
  Status Reopen();
  Status ReadFailed(const rocksdb::Status& status, const std::string& what) const;

  RocksDbOptions options;
  // Declared before `db`: the filters must outlive the database that calls them.
  LiveGenerations live;
  GenerationCompactionFilter data_filter;
  GenerationCompactionFilter producer_filter;
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
};

void RocksDbStorage::Impl::CloseDb() {
  if (!db) return;
  // Best effort: a clean shutdown makes sync=false writes power-safe. Never after a failed WAL
  // write: Debian's RocksDB asserts when a WAL writer that has seen an error is synced.
  if (!read_only && !wal_failed) db->SyncWAL();
  for (rocksdb::ColumnFamilyHandle* handle : handles) db->DestroyColumnFamilyHandle(handle);
  handles.clear();
  db->Close();
  db.reset();
  read_only_lock.release();
}

Status RocksDbStorage::Impl::OpenDb() {
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
    options.log(LogLevel::kError, "rocksdb: opened " + options.path +
                                      " read-only, writes are refused until space is freed: " +
                                      status.message());
  }
  return Status::Ok();
}

Status RocksDbStorage::Impl::OpenDbAs(bool open_read_only) {
  const std::string& path = options.path;
  handles.clear();
  if (path.empty()) return Status::IoError("rocksdb storage: no data directory given");
  if (options.create_if_missing) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) {
      return Status::IoError("cannot create data directory " + path + ": " + ec.message());
    }
  }

  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = true;
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
      {rocksdb::kDefaultColumnFamilyName, FamilyOptions(cache, false, kSmallWriteBuffer, nullptr)},
      {kMetaFamily, FamilyOptions(cache, true, kSmallWriteBuffer, nullptr)},
      {kProducersFamily, FamilyOptions(cache, false, kSmallWriteBuffer, &producer_filter)},
      {kDataFamily, FamilyOptions(cache, false, options.write_buffer_bytes, &data_filter)},
  };
  // A producer's state is rewritten by every append it makes, to the same key and nearly always
  // with a value of the same size: update it in place in the memtable. Otherwise 100 busy
  // producers filled the 8 MiB memtable with 74,000 versions every 1.6 s, each fill a flush, a
  // new WAL file and soon a compaction (A/B: +3.5% producer appends/s, 3 WAL files instead of 9).
  // What in-place updates give up, consistent iterators over a family being written, is not
  // needed: producer states are iterated only while loading, before any write.
  families[2].options.inplace_update_support = true;
  // LZ4 on stream data: catch-up reads of cold data spent 13% of their time in Snappy.
  families.back().options.compression = rocksdb::kLZ4Compression;
  families.back().options.memtable_insert_with_hint_prefix_extractor.reset(
      DataKeyPrefix(), [](const rocksdb::SliceTransform*) {});  // static: never deleted
  std::string damage = CheckCurrentPresent(path);
  if (damage.empty()) damage = CheckManifestTail(path);
  if (!damage.empty()) return Status::IoError("data directory " + path + " is damaged: " + damage);
  rocksdb::DB* raw = nullptr;
  rocksdb::Status status;
  if (open_read_only) {
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
  default_family = handles[0];
  meta = handles[1];
  producers = handles[2];
  data = handles[3];
  Status version = CheckFormatVersion(open_read_only);
  if (!version.ok()) CloseDb();  // callers may try again; never leave a second instance open
  return version;
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
    return Status::IoError("data directory " + path + " has on-disk format version '" + version +
                           "'; this build reads only version " + std::string(keys::kFormatVersion));
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

// --- load --------------------------------------------------------------------------------------

Status RocksDbStorage::Impl::LoadMetas(LoadedState* out, std::map<std::string, size_t>* index) {
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), meta));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view key = View(it->key());
    if (key == keys::kGenerationCounterKey) {
      auto counter = keys::DecodeFixed64(View(it->value()));
      if (!counter) return Status::IoError("corrupt generation counter in " + options.path);
      out->generation_counter = *counter;
      continue;
    }
    if (!key.empty() && key[0] == '\0') continue;  // a reserved key from a later version
    LoadedStream stream;
    if (!DecodeStreamMeta(View(it->value()), &stream.meta) || stream.meta.path != key) {
      return Status::IoError("corrupt metadata for stream '" + std::string(key) + "' in " +
                             options.path);
    }
    (*index)[stream.meta.path] = out->streams.size();
    out->streams.push_back(std::move(stream));
  }
  return ReadFailed(it->status(), "loading stream metadata from " + options.path);
}

Status RocksDbStorage::Impl::LoadProducers(const std::map<std::string, size_t>& index,
                                           LoadedState* out) {
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), producers));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto parts = keys::ParseProducerKey(View(it->key()));
    if (!parts) return Status::IoError("corrupt producer key in " + options.path);
    auto found = index.find(std::string(parts->path));
    if (found == index.end()) continue;  // dead generation not yet compacted away
    LoadedStream& stream = out->streams[found->second];
    if (stream.meta.generation != parts->generation) continue;
    ProducerState state;
    if (!DecodeProducerState(View(it->value()), &state)) {
      return Status::IoError("corrupt producer state in stream '" + stream.meta.path + "' in " +
                             options.path);
    }
    stream.producers[std::string(parts->producer_id)] = state;
  }
  return ReadFailed(it->status(), "loading producer state from " + options.path);
}

Status RocksDbStorage::Impl::LoadLastRecords(LoadedState* out) {
  for (LoadedStream& stream : out->streams) {
    const StreamMeta& meta = stream.meta;
    BoundedIterator it(db.get(), data, keys::DataGenerationBegin(meta.path, meta.generation),
                       keys::DataGenerationEnd(meta.path, meta.generation));
    it->SeekToLast();
    if (!it->status().ok()) {
      return ReadFailed(it->status(), "loading records from " + options.path);
    }
    if (!it->Valid()) continue;
    auto parts = keys::ParseDataKey(View(it->key()));
    if (!parts) return Status::IoError("corrupt data key in " + options.path);
    stream.last_record = Record{parts->position, it->value().ToString()};
  }
  return Status::Ok();
}

Status RocksDbStorage::load(LoadedState* out) {
  std::shared_lock db_lock(impl_->db_mu);
  if (!impl_->db) return Status::IoError("the database in " + impl_->options.path + " is closed");
  LoadedState state;
  std::map<std::string, size_t> index;
  Status status = impl_->LoadMetas(&state, &index);
  if (status.ok()) status = impl_->LoadProducers(index, &state);
  if (status.ok()) status = impl_->LoadLastRecords(&state);
  if (!status.ok()) return status;
  impl_->live.Reset(state);
  *out = std::move(state);
  return Status::Ok();
}

// --- write -------------------------------------------------------------------------------------

Status RocksDbStorage::Impl::ValidateBatch(const WriteBatch& batch) const {
  for (const StreamChange& change : batch.changes) {
    if (change.meta.generation > keys::kMaxKeyNumber) {
      return Status::BadRequest("generation exceeds 16 digits in stream " + change.meta.path);
    }
    for (const Record& record : change.records) {
      if (record.position > keys::kMaxKeyNumber) {
        return Status::BadRequest("position exceeds 16 digits in stream " + change.meta.path);
      }
    }
  }
  return Status::Ok();
}

Status RocksDbStorage::Impl::AddReset(const StreamChange& change, rocksdb::WriteBatch* wb) {
  const StreamMeta& meta = change.meta;
  wb->Put(this->meta, meta.path, EncodeStreamMeta(meta));
  // Producers: point deletes of the stored ones the reset drops, then puts. (A DeleteRange
  // followed by puts could be undone by an in-place memtable update of this family, which keeps
  // the older sequence number.)
  BoundedIterator it(db.get(), producers,
                     keys::ProducerGenerationBegin(meta.path, meta.generation),
                     keys::ProducerGenerationEnd(meta.path, meta.generation));
  for (it->Seek(it.lower()); it->Valid(); it->Next()) {
    auto parts = keys::ParseProducerKey(View(it->key()));
    if (parts && !change.producers.contains(std::string(parts->producer_id))) {
      wb->Delete(producers, it->key());
    }
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading producers of " + meta.path);
  for (const auto& [id, state] : change.producers) {
    // Delete first: a Put over an entry under a range tombstone would be updated in place and
    // keep the older sequence number, staying hidden.
    std::string key = keys::ProducerKey(meta.path, meta.generation, id);
    wb->Delete(producers, key);
    wb->Put(producers, key, EncodeProducerState(state));
  }
  // Records at or above the tail, one point delete each: a DeleteRange starting inside the
  // stream's keys would share the data family's insert-hint domain (see
  // DataRangeDeletionBegin). A reset follows a failed batch, so there are few.
  if (meta.tail > keys::kMaxKeyNumber) return Status::Ok();
  BoundedIterator records(db.get(), data, keys::DataKey(meta.path, meta.generation, meta.tail),
                          keys::DataGenerationEnd(meta.path, meta.generation));
  for (records->Seek(records.lower()); records->Valid(); records->Next()) {
    wb->Delete(data, records->key());
  }
  return FromRocks(records->status(), "reading records of " + meta.path);
}

Status RocksDbStorage::write(const WriteBatch& batch) {
  if (impl_->read_only) return Status::NoSpace(impl_->read_only_reason);
  Status valid = impl_->ValidateBatch(batch);
  if (!valid.ok()) return valid;

  rocksdb::WriteBatch wb;
  for (const StreamChange& change : batch.changes) {
    const StreamMeta& meta = change.meta;
    if (change.kind == StreamChange::Kind::kErase) {
      // Producers and records stay until the kPurge, so that a kReset written after a failed
      // erase finds them; the compaction filter keeps them live until then.
      wb.Delete(impl_->meta, meta.path);
      continue;
    }
    if (change.kind == StreamChange::Kind::kPurge) {
      wb.DeleteRange(impl_->data, DataRangeDeletionBegin(meta.path, meta.generation),
                     keys::DataGenerationEnd(meta.path, meta.generation));
      wb.DeleteRange(impl_->producers, keys::ProducerGenerationBegin(meta.path, meta.generation),
                     keys::ProducerGenerationEnd(meta.path, meta.generation));
      continue;
    }
    if (change.kind == StreamChange::Kind::kReset) {
      Status reset = impl_->AddReset(change, &wb);
      if (!reset.ok()) return reset;
      continue;
    }
    if (change.write_meta) wb.Put(impl_->meta, meta.path, EncodeStreamMeta(meta));
    for (const auto& [id, state] : change.producers) {
      wb.Put(impl_->producers, keys::ProducerKey(meta.path, meta.generation, id),
             EncodeProducerState(state));
    }
    for (const Record& record : change.records) {
      wb.Put(impl_->data, keys::DataKey(meta.path, meta.generation, record.position), record.value);
    }
  }
  wb.Put(impl_->meta, ToSlice(keys::kGenerationCounterKey),
         keys::EncodeFixed64(batch.generation_counter));

  rocksdb::WriteOptions write_options;
  write_options.sync = batch.sync;
  impl_->live.BeforeWrite(batch);
  rocksdb::Status status;
  {
    std::lock_guard wal_lock(impl_->wal_mu);
    status = impl_->db->Write(write_options, &wb);
  }
  if (!status.ok()) {
    impl_->wal_failed = true;
    return FromRocks(status, "writing to " + impl_->options.path);
  }
  // A purged generation is dead: the compaction filter may drop whatever of it is left.
  LiveGenerations::Purged purged = LiveGenerations::PurgedBy(batch);
  if (!purged.empty()) impl_->live.Forget(purged);
  return Status::Ok();
}

Status RocksDbStorage::sync() {
  if (impl_->read_only) return Status::NoSpace(impl_->read_only_reason);
  // After a failed write the WAL writer must not be synced (Debian's RocksDB asserts); wal_mu
  // keeps the check and the sync from straddling a failing write.
  std::lock_guard wal_lock(impl_->wal_mu);
  if (impl_->wal_failed) return Status::Unavailable("the WAL of " + impl_->options.path + " failed");
  rocksdb::Status status = impl_->db->SyncWAL();
  if (!status.ok()) impl_->wal_failed = true;
  return FromRocks(status, "syncing the WAL of " + impl_->options.path);
}

// --- read --------------------------------------------------------------------------------------

// A read that met a damaged block fails (the caller answers 5xx) and says so in the server log
// too: the client's error alone would leave the operator unaware of the damage.
Status RocksDbStorage::Impl::ReadFailed(const rocksdb::Status& status,
                                        const std::string& what) const {
  if (!status.IsCorruption()) return FromRocks(status, what);
  std::string message =
      what + ": data directory " + options.path + " is damaged: " + status.ToString();
  if (options.log) {
    options.log(LogLevel::kError, message);
  } else {
    std::fprintf(stderr, "%s\n", message.c_str());
  }
  return Status::IoError(message);
}

Status RocksDbStorage::read_records(const std::string& path, uint64_t generation, uint64_t from,
                                    uint64_t end, size_t max_bytes, std::vector<Record>* out) {
  if (from >= end || generation > keys::kMaxKeyNumber) return Status::Ok();
  from = std::min(from, keys::kMaxKeyNumber);
  std::string lower = keys::DataGenerationBegin(path, generation);
  std::string upper = end <= keys::kMaxKeyNumber ? keys::DataKey(path, generation, end)
                                                 : keys::DataGenerationEnd(path, generation);
  rocksdb::Slice lower_slice(lower);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions read_options;
  read_options.fill_cache = true;
  read_options.iterate_lower_bound = &lower_slice;
  read_options.iterate_upper_bound = &upper_slice;  // positions < end, this generation only
  std::shared_lock db_lock(impl_->db_mu);
  if (!impl_->db) return Status::IoError("the database in " + impl_->options.path + " is closed");
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(read_options, impl_->data));

  // The record containing `from` is the last one starting at or before it; when there is none,
  // start at the first record of the generation.
  it->SeekForPrev(keys::DataKey(path, generation, from));
  if (!it->Valid() && it->status().ok()) it->Seek(lower_slice);

  size_t total = 0;
  for (; it->Valid(); it->Next()) {
    auto parts = keys::ParseDataKey(View(it->key()));
    if (!parts) return Status::IoError("corrupt record key in stream '" + path + "'");
    out->push_back(Record{parts->position, it->value().ToString()});
    total += it->value().size();
    if (total >= max_bytes) break;
  }
  return impl_->ReadFailed(it->status(), "reading stream '" + path + "'");
}

// --- maintenance -------------------------------------------------------------------------------

Status RocksDbStorage::Impl::Reopen() {
  std::unique_lock db_lock(db_mu);
  CloseDb();
  read_only = false;
  wal_failed = false;  // a new WAL
  Status status = OpenDbAs(false);
  if (status.ok()) {
    if (options.log) options.log(LogLevel::kInfo, "rocksdb: reopened " + options.path + " read-write");
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

Status RocksDbStorage::Compact() {
  std::shared_lock db_lock(impl_->db_mu);
  if (!impl_->db) return Status::IoError("the database in " + impl_->options.path + " is closed");
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (rocksdb::ColumnFamilyHandle* family : {impl_->meta, impl_->producers, impl_->data}) {
    rocksdb::Status status = impl_->db->CompactRange(compact, family, nullptr, nullptr);
    if (!status.ok()) return FromRocks(status, "compacting " + impl_->options.path);
  }
  return Status::Ok();
}

Status RocksDbStorage::VerifyChecksums() {
  rocksdb::Status status = impl_->db->VerifyChecksum(rocksdb::ReadOptions());
  if (status.ok()) return Status::Ok();
  return Status::IoError("data directory " + impl_->options.path +
                         " is damaged: " + status.ToString());
}

}  // namespace streamkeeper
