// `ds-admin compact`: finishes the purges a crash left pending, then a full RocksDB compaction,
// with the directory's size before and after.
#include <iostream>

#include "commands.h"
#include "data_dir.h"
#include "output_format.h"
#include "streamkeeper/rocksdb_storage.h"

namespace ds_admin {

namespace {

// Deleted streams whose data a crash left behind (Storage::recover): purge them now, so that
// the compaction below reclaims their space.
streamkeeper::Status PurgePending(streamkeeper::Storage& storage, size_t* purged) {
  streamkeeper::RecoveredState recovered;
  streamkeeper::Status s = storage.recover(&recovered);
  if (!s.ok()) return s;
  // In batches of a bounded size: a migrated directory may owe many purges.
  constexpr size_t kPurgesPerBatch = 1000;
  streamkeeper::WriteBatch batch;
  batch.generation_counter = recovered.generation_counter;
  for (size_t i = 0; i < recovered.pending_purges.size(); ++i) {
    const streamkeeper::StreamMeta& dead = recovered.pending_purges[i];
    streamkeeper::StreamChange change;
    change.kind = streamkeeper::StreamChange::Kind::kPurge;
    change.meta.path = dead.path;
    change.meta.generation = dead.generation;
    batch.changes.push_back(std::move(change));
    if (batch.changes.size() == kPurgesPerBatch || i + 1 == recovered.pending_purges.size()) {
      s = storage.write(batch);
      if (!s.ok()) return s;
      *purged += batch.changes.size();
      batch.changes.clear();
    }
  }
  return s;
}

}  // namespace

int RunCompact(const Invocation& invocation) {
  std::unique_ptr<streamkeeper::Storage> storage;
  // Measured before opening: the open itself adds files (a fresh WAL).
  const uint64_t before = DirectorySize(invocation.data_dir);
  streamkeeper::Status s = OpenStorage(invocation.data_dir, &storage);
  if (!s.ok()) return ReportError(s);
  size_t purged = 0;
  s = PurgePending(*storage, &purged);
  if (!s.ok()) return ReportError(s);
  s = static_cast<streamkeeper::RocksDbStorage*>(storage.get())->Compact();
  if (!s.ok()) return ReportError(s);
  storage.reset();  // close, so the size reflects the files left behind
  const uint64_t after = DirectorySize(invocation.data_dir);

  std::cout << "compacted " << invocation.data_dir << " (" << purged
            << " deleted streams purged first)\n";
  std::cout << "before: " << FormatSize(before) << "\n";
  std::cout << "after:  " << FormatSize(after) << "\n";
  return kExitOk;
}

}  // namespace ds_admin
