// RocksDbStorage's reads: recover(), load_stream(), list_streams(), scan_expiry() and
// read_records(). Each is a point lookup or one bounded iterator per family it touches; none
// walks every stream. Readers hold db_mu shared (resume() may reopen the database).
#include <rocksdb/db.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <shared_mutex>

#include "storage_rocksdb/bounded_iterator.h"
#include "storage_rocksdb/key_codec.h"
#include "storage_rocksdb/meta_codec.h"
#include "storage_rocksdb/rocksdb_adapters.h"
#include "streamkeeper/rocksdb_storage.h"
#include "storage_rocksdb/rocksdb_storage_impl.h"

namespace streamkeeper {

namespace keys = rocksdb_keys;

namespace {

// The smallest key above every key that starts with `prefix`; "" (no bound) when there is none
// (an empty prefix, or one of 0xff bytes only).
std::string PrefixSuccessor(std::string_view prefix) {
  std::string successor(prefix);
  while (!successor.empty() && static_cast<unsigned char>(successor.back()) == 0xff) {
    successor.pop_back();
  }
  if (!successor.empty()) ++successor.back();
  return successor;
}

// The least key of list_streams(prefix, start_after): the prefix, the least key above
// start_after, and "\1" (no path is empty or starts with NUL; every reserved meta key does).
std::string ListLowerBound(std::string_view prefix, std::string_view start_after) {
  std::string above_start(start_after);
  if (!above_start.empty()) above_start.push_back('\0');
  return std::max({std::string(prefix), above_start, std::string("\1")});
}

Status ClosedDatabase(const std::string& path) {
  return Status::IoError("the database in " + path + " is closed");
}

}  // namespace

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

// --- recover -----------------------------------------------------------------------------------

Status RocksDbStorage::recover(RecoveredState* out) {
  std::shared_lock db_lock(impl_->db_mu);
  const std::string& dir = impl_->options.path;
  if (!impl_->db) return ClosedDatabase(dir);
  RecoveredState state;
  std::string counter;
  rocksdb::Status status = impl_->db->Get(rocksdb::ReadOptions(), impl_->meta,
                                          ToSlice(keys::kGenerationCounterKey), &counter);
  if (status.ok()) {
    auto value = keys::DecodeFixed64(counter);
    if (!value) return Status::IoError("corrupt generation counter in " + dir);
    state.generation_counter = *value;
  } else if (!status.IsNotFound()) {
    return impl_->ReadFailed(status, "reading the generation counter from " + dir);
  }

  BoundedIterator it(impl_->db.get(), impl_->meta, std::string(keys::kPurgeMarkerPrefix),
                     std::string(keys::kPurgeMarkerPrefixEnd));
  for (it.SeekToLower(); it->Valid(); it->Next()) {
    auto marker = keys::ParsePurgeMarkerKey(View(it->key()));
    if (!marker) return Status::IoError("corrupt purge marker in " + dir);
    StreamMeta meta;
    meta.path = marker->path;
    meta.generation = marker->generation;
    state.pending_purges.push_back(std::move(meta));
  }
  if (!it->status().ok()) return impl_->ReadFailed(it->status(), "reading purge markers");
  *out = std::move(state);
  return Status::Ok();
}

// --- load_stream -------------------------------------------------------------------------------

Status RocksDbStorage::Impl::ReadProducers(const StreamMeta& meta, ProducerMap* out) {
  BoundedIterator it(db.get(), producers, keys::ProducerGenerationBegin(meta.path, meta.generation),
                     keys::ProducerGenerationEnd(meta.path, meta.generation));
  for (it.SeekToLower(); it->Valid(); it->Next()) {
    auto parts = keys::ParseProducerKey(View(it->key()));
    ProducerState state;
    if (!parts || !DecodeProducerState(View(it->value()), &state)) {
      return Status::IoError("corrupt producer state in stream '" + meta.path + "' in " +
                             options.path);
    }
    (*out)[std::string(parts->producer_id)] = state;
  }
  return ReadFailed(it->status(), "loading producers of stream '" + meta.path + "'");
}

Status RocksDbStorage::Impl::ReadLastRecord(const StreamMeta& meta, std::optional<Record>* out) {
  BoundedIterator it(db.get(), data, keys::DataGenerationBegin(meta.path, meta.generation),
                     keys::DataGenerationEnd(meta.path, meta.generation));
  it->SeekToLast();
  if (!it->Valid()) {
    return ReadFailed(it->status(), "loading the last record of stream '" + meta.path + "'");
  }
  auto parts = keys::ParseDataKey(View(it->key()));
  if (!parts) {
    return Status::IoError("corrupt data key in stream '" + meta.path + "' in " + options.path);
  }
  *out = Record{parts->position, it->value().ToString()};
  return Status::Ok();
}

Status RocksDbStorage::Impl::ReadMeta(const std::string& path, std::optional<StreamMeta>* out) {
  out->reset();
  // No stream has such a path, and a reserved key must not be read as one.
  if (path.empty() || path[0] == '\0') return Status::Ok();
  std::string value;
  rocksdb::Status status = db->Get(rocksdb::ReadOptions(), meta, path, &value);
  if (status.IsNotFound()) return Status::Ok();
  if (!status.ok()) return ReadFailed(status, "loading stream '" + path + "'");
  StreamMeta decoded;
  if (!DecodeStreamMeta(value, &decoded) || decoded.path != path) {
    return Status::IoError("corrupt metadata for stream '" + path + "' in " + options.path);
  }
  *out = std::move(decoded);
  return Status::Ok();
}

Status RocksDbStorage::load_meta(const std::string& path, std::optional<StreamMeta>* out) {
  std::shared_lock db_lock(impl_->db_mu);
  if (!impl_->db) return ClosedDatabase(impl_->options.path);
  return impl_->ReadMeta(path, out);
}

Status RocksDbStorage::load_stream(const std::string& path, std::optional<LoadedStream>* out) {
  out->reset();
  std::shared_lock db_lock(impl_->db_mu);
  if (!impl_->db) return ClosedDatabase(impl_->options.path);
  std::optional<StreamMeta> meta;
  Status read = impl_->ReadMeta(path, &meta);
  if (!read.ok() || !meta) return read;
  LoadedStream stream;
  stream.meta = std::move(*meta);
  read = impl_->ReadProducers(stream.meta, &stream.producers);
  if (read.ok()) read = impl_->ReadLastRecord(stream.meta, &stream.last_record);
  if (!read.ok()) return read;
  *out = std::move(stream);
  return Status::Ok();
}

// --- list_streams, scan_expiry -----------------------------------------------------------------

Status RocksDbStorage::list_streams(std::string_view prefix, std::string_view start_after,
                                    size_t limit, std::vector<StreamMeta>* out) {
  std::string lower = ListLowerBound(prefix, start_after);
  std::string upper = PrefixSuccessor(prefix);
  if (limit == 0 || (!upper.empty() && lower >= upper)) return Status::Ok();
  std::shared_lock db_lock(impl_->db_mu);
  if (!impl_->db) return ClosedDatabase(impl_->options.path);
  BoundedIterator it(impl_->db.get(), impl_->meta, std::move(lower), std::move(upper));
  for (it.SeekToLower(); it->Valid(); it->Next()) {
    std::string_view path = View(it->key());
    StreamMeta meta;
    if (!DecodeStreamMeta(View(it->value()), &meta) || meta.path != path) {
      return Status::IoError("corrupt metadata for stream '" + std::string(path) + "' in " +
                             impl_->options.path);
    }
    out->push_back(std::move(meta));
    if (--limit == 0) break;  // before Next(): a page never reads past its last key
  }
  return impl_->ReadFailed(it->status(), "listing streams");
}

Status RocksDbStorage::scan_expiry(int64_t due_ms, const ExpiryEntry* after, size_t limit,
                                   std::vector<ExpiryEntry>* out) {
  if (limit == 0 || (after && after->at_ms > due_ms)) return Status::Ok();
  std::string lower;  // "": from the first entry
  if (after) {
    lower = keys::ExpiryKey(after->at_ms, after->path, after->generation);
    lower.push_back('\0');  // the least key above `after`
  }
  // Entries due at or before due_ms; at INT64_MAX every entry is.
  std::string upper = due_ms == INT64_MAX ? std::string() : keys::ExpiryTimeKey(due_ms + 1);
  std::shared_lock db_lock(impl_->db_mu);
  if (!impl_->db) return ClosedDatabase(impl_->options.path);
  // A format-1 directory opened read-only has no index (rocksdb_storage_impl.h).
  if (!impl_->expiry) return Status::Ok();
  BoundedIterator it(impl_->db.get(), impl_->expiry, std::move(lower), std::move(upper));
  for (it.SeekToLower(); it->Valid(); it->Next()) {
    auto parts = keys::ParseExpiryKey(View(it->key()));
    if (!parts) return Status::IoError("corrupt expiry index key in " + impl_->options.path);
    out->push_back(ExpiryEntry{parts->at_ms, std::string(parts->path), parts->generation});
    if (--limit == 0) break;
  }
  return impl_->ReadFailed(it->status(), "scanning the expiry index");
}

// --- read_records ------------------------------------------------------------------------------

Status RocksDbStorage::read_records(const std::string& path, uint64_t generation, uint64_t from,
                                    uint64_t end, size_t max_bytes, std::vector<Record>* out) {
  if (from >= end || generation > keys::kMaxKeyNumber) return Status::Ok();
  from = std::min(from, keys::kMaxKeyNumber);
  std::string upper = end <= keys::kMaxKeyNumber ? keys::DataKey(path, generation, end)
                                                 : keys::DataGenerationEnd(path, generation);
  std::shared_lock db_lock(impl_->db_mu);
  if (!impl_->db) return ClosedDatabase(impl_->options.path);
  rocksdb::ReadOptions read_options;
  read_options.fill_cache = true;
  // Positions below `end`, of this generation only.
  BoundedIterator it(impl_->db.get(), impl_->data, keys::DataGenerationBegin(path, generation),
                     std::move(upper), read_options);

  // The record containing `from` is the last one starting at or before it; when there is none,
  // start at the first record of the generation.
  it->SeekForPrev(keys::DataKey(path, generation, from));
  if (!it->Valid() && it->status().ok()) it.SeekToLower();

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

}  // namespace streamkeeper
