#include "storage_rocksdb/format_migration.h"

#include <rocksdb/write_batch.h>

#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "storage_rocksdb/bounded_iterator.h"
#include "storage_rocksdb/key_codec.h"
#include "storage_rocksdb/meta_codec.h"
#include "storage_rocksdb/rocksdb_adapters.h"

namespace streamkeeper {

namespace keys = rocksdb_keys;

namespace {

constexpr size_t kChangesPerBatch = 10'000;

struct Counts {
  size_t streams = 0;
  size_t index_entries = 0;
  size_t purge_markers = 0;
};

// Puts, written in synced batches of about kChangesPerBatch: a crash loses at most the batch
// being written, which the next open writes again. The puts of one change (a meta and its index
// entry) go in one batch.
class SyncedBatches {
 public:
  SyncedBatches(rocksdb::DB* db, const std::string& dir) : db_(db), dir_(dir) {}

  void Put(rocksdb::ColumnFamilyHandle* family, std::string_view key, std::string_view value) {
    batch_.Put(family, ToSlice(key), ToSlice(value));
  }

  // Ends a change: writes the batch once it is full.
  Status EndChange() {
    if (batch_.Count() < kChangesPerBatch) return Status::Ok();
    return Flush();
  }

  Status Flush() {
    if (batch_.Count() == 0) return Status::Ok();
    rocksdb::WriteOptions sync;
    sync.sync = true;
    rocksdb::Status status = db_->Write(sync, &batch_);
    batch_.Clear();
    return FromRocks(status, "migrating " + dir_ + " to on-disk format 2");
  }

 private:
  rocksdb::DB* db_;
  const std::string& dir_;
  rocksdb::WriteBatch batch_;
};

rocksdb::ReadOptions ScanOptions() {
  rocksdb::ReadOptions options;
  options.fill_cache = false;  // read once: leave the block cache to the reads that follow
  return options;
}

Status CorruptMeta(std::string_view path, const std::string& dir) {
  return Status::IoError("corrupt metadata for stream '" + std::string(path) + "' in " + dir);
}

// Files every stream that can expire in the index at ExpiryOf(meta), and records that in its
// meta, both in one batch. A soft-deleted stream never expires (it lives while forks read
// through it), so it is not filed.
Status IndexExpiringStreams(rocksdb::DB* db, const MigrationFamilies& families,
                            const std::string& dir, SyncedBatches* out, Counts* counts) {
  // From "\1": every path, none of the reserved keys (they start with NUL).
  BoundedIterator it(db, families.meta, std::string("\1"), std::string(), ScanOptions());
  for (it.SeekToLower(); it->Valid(); it->Next()) {
    StreamMeta meta;
    if (!DecodeStreamMeta(View(it->value()), &meta) || meta.path != View(it->key())) {
      return CorruptMeta(View(it->key()), dir);
    }
    ++counts->streams;
    std::optional<int64_t> at = ExpiryOf(meta);
    if (!at || meta.soft_deleted) continue;
    meta.indexed_expiry_ms = at;
    out->Put(families.meta, meta.path, EncodeStreamMeta(meta));
    out->Put(families.expiry, keys::ExpiryKey(*at, meta.path, meta.generation), "");
    ++counts->index_entries;
    if (Status status = out->EndChange(); !status.ok()) return status;
  }
  return FromRocks(it->status(), "reading stream metadata in " + dir);
}

using Generations = std::set<std::pair<std::string, uint64_t>>;

// How one family's keys name their (path, generation), and the key above all of that group.
struct GroupedFamily {
  rocksdb::ColumnFamilyHandle* handle;
  const char* name;
  std::optional<keys::GenerationKeyParts> (*parse)(std::string_view key);
  std::string (*group_end)(std::string_view path, uint64_t generation);
};

// The generation of `path`'s stored meta, or nullopt when it has none.
Status StoredGeneration(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta_family,
                        const std::string& path, const std::string& dir,
                        std::optional<uint64_t>* out) {
  out->reset();
  std::string value;
  rocksdb::Status status = db->Get(ScanOptions(), meta_family, path, &value);
  if (status.IsNotFound()) return Status::Ok();
  if (!status.ok()) return FromRocks(status, "reading stream '" + path + "' in " + dir);
  StreamMeta meta;
  if (!DecodeStreamMeta(value, &meta) || meta.path != path) return CorruptMeta(path, dir);
  *out = meta.generation;
  return Status::Ok();
}

// Adds to *dead every (path, generation) with keys in `family` that is not its path's stored
// generation. Reads the first key of each group and seeks past the rest.
Status FindDeadGenerations(rocksdb::DB* db, const MigrationFamilies& families,
                           const GroupedFamily& family, const std::string& dir, Generations* dead) {
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ScanOptions(), family.handle));
  // The path of the previous group and its stored generation: a path's groups are adjacent.
  std::optional<std::string> path;
  std::optional<uint64_t> live;
  for (it->SeekToFirst(); it->Valid();) {
    auto group = family.parse(View(it->key()));
    if (!group) {
      return Status::IoError(std::string("corrupt key in the ") + family.name +
                             " column family of " + dir);
    }
    uint64_t generation = group->generation;
    if (path != group->path) {
      path = std::string(group->path);  // copied: the key's bytes go with the next seek
      Status status = StoredGeneration(db, families.meta, *path, dir, &live);
      if (!status.ok()) return status;
    }
    if (live != generation) dead->emplace(*path, generation);
    it->Seek(family.group_end(*path, generation));
  }
  return FromRocks(it->status(),
                   std::string("reading the ") + family.name + " column family of " + dir);
}

std::optional<keys::GenerationKeyParts> ProducerGroup(std::string_view key) {
  auto parts = keys::ParseProducerKey(key);
  if (!parts) return std::nullopt;
  return keys::GenerationKeyParts{parts->path, parts->generation};
}

std::optional<keys::GenerationKeyParts> DataGroup(std::string_view key) {
  auto parts = keys::ParseDataKey(key);
  if (!parts) return std::nullopt;
  return keys::GenerationKeyParts{parts->path, parts->generation};
}

Status MarkDeadGenerations(rocksdb::DB* db, const MigrationFamilies& families,
                           const std::string& dir, SyncedBatches* out, Counts* counts) {
  // A set, so that a generation with both producers and records is counted once; it holds only
  // dead generations, which version 1 had only between an erase and its purge or compaction.
  Generations dead;
  const GroupedFamily grouped[] = {
      {families.producers, "producers", ProducerGroup, keys::ProducerGenerationEnd},
      {families.data, "data", DataGroup, keys::DataGenerationEnd},
  };
  for (const GroupedFamily& family : grouped) {
    Status status = FindDeadGenerations(db, families, family, dir, &dead);
    if (!status.ok()) return status;
  }
  for (const auto& [path, generation] : dead) {
    out->Put(families.meta, keys::PurgeMarkerKey(path, generation), "");
    if (Status status = out->EndChange(); !status.ok()) return status;
  }
  counts->purge_markers = dead.size();
  return Status::Ok();
}

}  // namespace

Status MigrateFormat1To2(rocksdb::DB* db, const MigrationFamilies& families, const std::string& dir,
                         const LogSink& log) {
  SyncedBatches out(db, dir);
  Counts counts;
  Status status = IndexExpiringStreams(db, families, dir, &out, &counts);
  if (status.ok()) status = MarkDeadGenerations(db, families, dir, &out, &counts);
  if (status.ok()) status = out.Flush();
  if (!status.ok()) return status;
  // Last and alone: until it is durable, the next open runs the whole migration again.
  out.Put(families.default_family, keys::kFormatVersionKey, keys::kFormatVersion);
  status = out.Flush();
  if (!status.ok()) return status;
  if (log) {
    log(LogLevel::kInfo, "rocksdb: migrated " + dir +
                             " from on-disk format 1 to 2: " + std::to_string(counts.streams) +
                             " streams, " + std::to_string(counts.index_entries) +
                             " expiry index entries, " + std::to_string(counts.purge_markers) +
                             " purge markers for dead generations");
  }
  return Status::Ok();
}

}  // namespace streamkeeper
