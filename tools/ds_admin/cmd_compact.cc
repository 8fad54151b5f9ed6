// `ds-admin compact`: a full RocksDB compaction, with the directory's size before and after.
#include <iostream>

#include "commands.h"
#include "data_dir.h"
#include "output_format.h"
#include "storage_rocksdb/rocksdb_storage.h"

namespace ds_admin {

int RunCompact(const Invocation& invocation) {
  std::unique_ptr<streamkeeper::Storage> storage;
  streamkeeper::LoadedState state;
  // Measured before opening: the open itself adds files (a fresh WAL, an info LOG).
  const uint64_t before = DirectorySize(invocation.data_dir);
  // load() must run first: it tells the compaction filter which generations are live.
  streamkeeper::Status s = OpenAndLoad(invocation.data_dir, &storage, &state);
  if (!s.ok()) return ReportError(s);
  s = static_cast<streamkeeper::RocksDbStorage*>(storage.get())->Compact();
  if (!s.ok()) return ReportError(s);
  storage.reset();  // close, so the size reflects the files left behind
  const uint64_t after = DirectorySize(invocation.data_dir);

  std::cout << "compacted " << invocation.data_dir << " (" << state.streams.size() << " streams)\n";
  std::cout << "before: " << FormatSize(before) << "\n";
  std::cout << "after:  " << FormatSize(after) << "\n";
  return kExitOk;
}

}  // namespace ds_admin
