// RocksDbStorage's writes: write() turns a WriteBatch into one RocksDB WriteBatch (so it is
// all-or-nothing across streams and families, after a crash too) and sync() fsyncs the WAL.
// What each change kind writes is in README.md, "Writes and sync".
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <mutex>
#include <string>
#include <vector>

#include "storage_rocksdb/bounded_iterator.h"
#include "storage_rocksdb/key_codec.h"
#include "storage_rocksdb/meta_codec.h"
#include "storage_rocksdb/rocksdb_adapters.h"
#include "streamkeeper/rocksdb_storage.h"
#include "storage_rocksdb/rocksdb_storage_impl.h"

namespace streamkeeper {

namespace keys = rocksdb_keys;

namespace {

// A purge with at most this many keys in a family deletes them one by one; one more and it
// writes a DeleteRange. Most purged streams are short, and a point delete costs reads nothing
// once compacted, while every range tombstone is consulted by the reads that cross it until
// compaction drops it (a million of them would slow every read).
constexpr size_t kPurgePointDeleteLimit = 32;

// The first key of a generation's DeleteRange: "<path>\0<generation>_", just below its first
// data key. It must lie outside the data family's insert-hint domain (data_key_prefix.h): RocksDB
// shares one hint map between the point and the range-tombstone memtables, and a hint taken from
// one list and used in the other corrupts the insert.
std::string DataRangeDeletionBegin(std::string_view path, uint64_t generation) {
  std::string begin = keys::DataGenerationBegin(path, generation);
  begin.resize(begin.size() - 16);
  return begin;
}

// Deletes every key of `family` in [begin, end): point deletes when there are at most
// kPurgePointDeleteLimit of them, else one DeleteRange from `range_begin` (<= begin) to `end`.
Status DeleteKeys(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family, std::string begin,
                  std::string range_begin, const std::string& end, rocksdb::WriteBatch* wb) {
  rocksdb::ReadOptions options;
  options.fill_cache = false;  // the keys are about to go
  BoundedIterator it(db, family, std::move(begin), end, options);
  std::vector<std::string> found;
  for (it.SeekToLower(); it->Valid(); it->Next()) {
    if (found.size() == kPurgePointDeleteLimit) {
      wb->DeleteRange(family, range_begin, end);
      return Status::Ok();
    }
    found.push_back(it->key().ToString());
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading keys to purge");
  for (const std::string& key : found) wb->Delete(family, key);
  return Status::Ok();
}

}  // namespace

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
  // A reset after a failed erase: the generation is live again, not awaiting its purge.
  wb->Delete(this->meta, keys::PurgeMarkerKey(meta.path, meta.generation));
  // Producers: point deletes of the stored ones the reset drops, then puts. (A DeleteRange
  // followed by puts could be undone by an in-place memtable update of this family, which keeps
  // the older sequence number.)
  BoundedIterator it(db.get(), producers, keys::ProducerGenerationBegin(meta.path, meta.generation),
                     keys::ProducerGenerationEnd(meta.path, meta.generation));
  for (it.SeekToLower(); it->Valid(); it->Next()) {
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
  for (records.SeekToLower(); records->Valid(); records->Next()) {
    wb->Delete(data, records->key());
  }
  return FromRocks(records->status(), "reading records of " + meta.path);
}

// The generation is dead (its erase is durable): nothing will write to it again, so a range
// tombstone over its producers cannot hide a later in-place update (see AddReset).
Status RocksDbStorage::Impl::AddPurge(const StreamChange& change, rocksdb::WriteBatch* wb) {
  const StreamMeta& meta = change.meta;
  wb->Delete(this->meta, keys::PurgeMarkerKey(meta.path, meta.generation));
  std::string producers_begin = keys::ProducerGenerationBegin(meta.path, meta.generation);
  Status status = DeleteKeys(db.get(), producers, producers_begin, producers_begin,
                             keys::ProducerGenerationEnd(meta.path, meta.generation), wb);
  if (!status.ok()) return status;
  return DeleteKeys(db.get(), data, keys::DataGenerationBegin(meta.path, meta.generation),
                    DataRangeDeletionBegin(meta.path, meta.generation),
                    keys::DataGenerationEnd(meta.path, meta.generation), wb);
}

Status RocksDbStorage::write(const WriteBatch& batch) {
  if (impl_->secondary()) return Status::IoError(impl_->read_only_reason);
  if (impl_->read_only) return Status::NoSpace(impl_->read_only_reason);
  Status valid = impl_->ValidateBatch(batch);
  if (!valid.ok()) return valid;

  rocksdb::WriteBatch wb;
  for (const StreamChange& change : batch.changes) {
    const StreamMeta& meta = change.meta;
    switch (change.kind) {
      case StreamChange::Kind::kPut:
        if (change.write_meta) wb.Put(impl_->meta, meta.path, EncodeStreamMeta(meta));
        for (const auto& [id, state] : change.producers) {
          wb.Put(impl_->producers, keys::ProducerKey(meta.path, meta.generation, id),
                 EncodeProducerState(state));
        }
        for (const Record& record : change.records) {
          wb.Put(impl_->data, keys::DataKey(meta.path, meta.generation, record.position),
                 record.value);
        }
        break;
      case StreamChange::Kind::kErase:
        // Producers and records stay until the kPurge, so that a kReset written after a failed
        // erase finds them; the marker makes recover() report the purge still owed.
        wb.Delete(impl_->meta, meta.path);
        wb.Put(impl_->meta, keys::PurgeMarkerKey(meta.path, meta.generation), rocksdb::Slice());
        break;
      case StreamChange::Kind::kReset:
        if (Status reset = impl_->AddReset(change, &wb); !reset.ok()) return reset;
        break;
      case StreamChange::Kind::kPurge:
        if (Status purge = impl_->AddPurge(change, &wb); !purge.ok()) return purge;
        break;
      case StreamChange::Kind::kIndex:
        break;
    }
    // Unindex before index: moving an entry to the time it already has keeps it.
    if (change.unindex_expiry_ms) {
      wb.Delete(impl_->expiry,
                keys::ExpiryKey(*change.unindex_expiry_ms, meta.path, meta.generation));
    }
    if (change.index_expiry_ms) {
      wb.Put(impl_->expiry, keys::ExpiryKey(*change.index_expiry_ms, meta.path, meta.generation),
             rocksdb::Slice());
    }
  }
  wb.Put(impl_->meta, ToSlice(keys::kGenerationCounterKey),
         keys::EncodeFixed64(batch.generation_counter));

  rocksdb::WriteOptions write_options;
  write_options.sync = batch.sync;
  rocksdb::Status status;
  {
    std::lock_guard wal_lock(impl_->wal_mu);
    status = impl_->db->Write(write_options, &wb);
    // Marked before the lock goes: a checkpoint waiting for it must see that the WAL may end
    // in a torn record (Checkpoint()).
    if (!status.ok()) impl_->wal_failed = true;
  }
  if (!status.ok()) return FromRocks(status, "writing to " + impl_->options.path);
  return Status::Ok();
}

Status RocksDbStorage::sync() {
  if (impl_->secondary()) return Status::IoError(impl_->read_only_reason);
  if (impl_->read_only) return Status::NoSpace(impl_->read_only_reason);
  // After a failed write the WAL writer must not be synced (Debian's RocksDB asserts); wal_mu
  // keeps the check and the sync from straddling a failing write.
  std::lock_guard wal_lock(impl_->wal_mu);
  if (impl_->wal_failed)
    return Status::Unavailable("the WAL of " + impl_->options.path + " failed");
  rocksdb::Status status = impl_->db->SyncWAL();
  if (!status.ok()) impl_->wal_failed = true;
  return FromRocks(status, "syncing the WAL of " + impl_->options.path);
}

}  // namespace streamkeeper
