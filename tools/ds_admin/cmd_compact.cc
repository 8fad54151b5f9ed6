// `ds-admin compact`: finishes the purges a crash left pending, then a full RocksDB compaction,
// with the directory's size before and after. On a stopped directory; a directory a server
// holds is refused, and compacted through that server instead (--url: POST /_admin/compact,
// which compacts without the purge step: the running manager purges as it deletes).
#include <boost/json/object.hpp>
#include <iostream>

#include "commands.h"
#include "data_dir.h"
#include "output_format.h"
#include "server_call.h"
#include "snapshot/scratch_checkpoint.h"
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

void PrintSizes(const Invocation& invocation, const std::string& target, uint64_t before,
                uint64_t after, std::optional<size_t> purged) {
  if (invocation.json) {
    boost::json::object out{{"target", target}, {"bytes_before", before}, {"bytes_after", after}};
    if (purged) out["purged"] = *purged;
    PrintJson(std::cout, out);
    return;
  }
  std::cout << "compacted " << target;
  if (purged) std::cout << " (" << *purged << " deleted streams purged first)";
  std::cout << "\n";
  std::cout << "before: " << FormatSize(before) << "\n";
  std::cout << "after:  " << FormatSize(after) << "\n";
}

int CompactThroughServer(const Invocation& invocation) {
  boost::json::object answer;
  // A full compaction of a large store takes minutes.
  int code = PostAdminRoute(invocation, "/_admin/compact", std::chrono::minutes(60), &answer);
  if (code != kExitOk) return code;
  const boost::json::value* before = answer.if_contains("bytes_before");
  const boost::json::value* after = answer.if_contains("bytes_after");
  if (before == nullptr || after == nullptr || !before->is_number() || !after->is_number()) {
    return ReportError(invocation.url + "/_admin/compact answered without the sizes");
  }
  PrintSizes(invocation, invocation.url, before->to_number<uint64_t>(),
             after->to_number<uint64_t>(), std::nullopt);
  return kExitOk;
}

}  // namespace

int RunCompact(const Invocation& invocation) {
  if (!invocation.url.empty()) return CompactThroughServer(invocation);
  std::unique_ptr<streamkeeper::Storage> storage;
  // Measured before opening: the open itself adds files (a fresh WAL).
  const uint64_t before = streamkeeper::StoreBytes(invocation.data_dir);
  streamkeeper::Status s = OpenStorage(invocation.data_dir, {"compact", "compact it"}, &storage);
  if (!s.ok()) return ReportError(s);
  size_t purged = 0;
  s = PurgePending(*storage, &purged);
  if (!s.ok()) return ReportError(s);
  s = static_cast<streamkeeper::RocksDbStorage*>(storage.get())->Compact();
  if (!s.ok()) return ReportError(s);
  storage.reset();  // close, so the size reflects the files left behind
  const uint64_t after = streamkeeper::StoreBytes(invocation.data_dir);

  PrintSizes(invocation, invocation.data_dir, before, after, purged);
  return kExitOk;
}

}  // namespace ds_admin
