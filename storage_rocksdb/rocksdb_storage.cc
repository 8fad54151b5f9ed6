#include "storage_rocksdb/rocksdb_storage.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>

#include <mutex>

#include "storage_rocksdb/data_key_prefix.h"
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <system_error>
#include <utility>

#include "storage_rocksdb/damage_report.h"
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

Status FromRocks(const rocksdb::Status& status, std::string_view what) {
  if (status.ok()) return Status::Ok();
  return Status::IoError(std::string(what) + ": " + status.ToString());
}

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

  ~Impl() {
    if (!db) return;
    db->SyncWAL();  // best effort: a clean shutdown makes sync=false writes power-safe
    for (rocksdb::ColumnFamilyHandle* handle : handles) db->DestroyColumnFamilyHandle(handle);
    db->Close();
  }

  Status OpenDb();
  Status CheckFormatVersion();
  bool FamilyIsEmpty(rocksdb::ColumnFamilyHandle* family);
  Status LoadMetas(LoadedState* out, std::map<std::string, size_t>* index);
  Status LoadProducers(const std::map<std::string, size_t>& index, LoadedState* out);
  Status LoadLastRecords(LoadedState* out);
  Status ValidateBatch(const WriteBatch& batch) const;
  Status ReadFailed(const rocksdb::Status& status, const std::string& what) const;

  RocksDbOptions options;
  // Declared before `db`: the filters must outlive the database that calls them.
  LiveGenerations live;
  // Generations erased by unsynced writes, forgotten by the filter after the next sync().
  std::mutex pending_mu;
  LiveGenerations::Erased pending_erases;
  GenerationCompactionFilter data_filter;
  GenerationCompactionFilter producer_filter;
  // A read-only open takes no lock of RocksDB's own; this one (the same LOCK file) keeps a
  // running server out while ds-admin verifies. Declared before `db`: released after it closes.
  struct DirectoryLock {
    rocksdb::Env* env = nullptr;
    rocksdb::FileLock* lock = nullptr;
    ~DirectoryLock() {
      if (lock) env->UnlockFile(lock);
    }
  } read_only_lock;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // owned; destroyed before db closes
  rocksdb::ColumnFamilyHandle* default_family = nullptr;
  rocksdb::ColumnFamilyHandle* meta = nullptr;
  rocksdb::ColumnFamilyHandle* producers = nullptr;
  rocksdb::ColumnFamilyHandle* data = nullptr;
};

Status RocksDbStorage::Impl::OpenDb() {
  const std::string& path = options.path;
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
  if (options.env) db_options.env = options.env;
  db_options.info_log = std::make_shared<InfoLogger>(options.log);
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
  if (options.read_only) {
    read_only_lock.env = db_options.env;
    status = db_options.env->LockFile(path + "/LOCK", &read_only_lock.lock);
    if (status.ok()) {
      status = rocksdb::DB::OpenForReadOnly(db_options, path, families, &handles, &raw);
    }
  } else {
    status = rocksdb::DB::Open(db_options, path, families, &handles, &raw);
  }
  if (!status.ok()) {
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
  return CheckFormatVersion();
}

bool RocksDbStorage::Impl::FamilyIsEmpty(rocksdb::ColumnFamilyHandle* family) {
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), family));
  it->SeekToFirst();
  return !it->Valid();
}

Status RocksDbStorage::Impl::CheckFormatVersion() {
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
  if (options.read_only) return Status::Ok();  // an empty database: nothing to mark
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
    std::string lower = keys::DataGenerationBegin(meta.path, meta.generation);
    std::string upper = keys::DataGenerationEnd(meta.path, meta.generation);
    rocksdb::Slice lower_slice(lower), upper_slice(upper);
    rocksdb::ReadOptions read_options;
    read_options.iterate_lower_bound = &lower_slice;
    read_options.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read_options, data));
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

Status RocksDbStorage::write(const WriteBatch& batch) {
  Status valid = impl_->ValidateBatch(batch);
  if (!valid.ok()) return valid;

  rocksdb::WriteBatch wb;
  for (const StreamChange& change : batch.changes) {
    const StreamMeta& meta = change.meta;
    if (change.kind == StreamChange::Kind::kErase) {
      wb.Delete(impl_->meta, meta.path);
      wb.DeleteRange(impl_->data, DataRangeDeletionBegin(meta.path, meta.generation),
                     keys::DataGenerationEnd(meta.path, meta.generation));
      wb.DeleteRange(impl_->producers, keys::ProducerGenerationBegin(meta.path, meta.generation),
                     keys::ProducerGenerationEnd(meta.path, meta.generation));
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
  rocksdb::Status status = impl_->db->Write(write_options, &wb);
  if (!status.ok()) return FromRocks(status, "writing to " + impl_->options.path);
  // The compaction filter may drop an erased generation only once the erase is durable: were it
  // dropped earlier, a crash could bring the stream's meta back without its records.
  LiveGenerations::Erased erased = LiveGenerations::ErasedBy(batch);
  if (batch.sync) {
    impl_->live.Forget(erased);
  } else if (!erased.empty()) {
    std::lock_guard lock(impl_->pending_mu);
    for (auto& item : erased) impl_->pending_erases.push_back(std::move(item));
  }
  return Status::Ok();
}

Status RocksDbStorage::sync() {
  LiveGenerations::Erased erased;  // erases written before this sync started: it covers them
  {
    std::lock_guard lock(impl_->pending_mu);
    erased.swap(impl_->pending_erases);
  }
  rocksdb::Status status = impl_->db->SyncWAL();
  // On failure the erased generations simply stay live (their data is kept): always safe.
  if (!status.ok()) return FromRocks(status, "syncing the WAL of " + impl_->options.path);
  impl_->live.Forget(erased);
  return Status::Ok();
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

Status RocksDbStorage::Compact() {
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
