#include "store_check.h"

#include <memory>
#include <string_view>

#include "data_dir.h"
#include "record_scan.h"
#include "stream_checks.h"
#include "streamkeeper/rocksdb_storage.h"

namespace ds_admin {

using streamkeeper::LoadedStream;
using streamkeeper::LogLevel;
using streamkeeper::Record;
using streamkeeper::Status;

namespace {

// "rocksdb: [db/db_impl/db_impl_open.cc:982] /d/000025.log: dropping 1091 bytes; Corruption:
// truncated record body" -> the part after the source location.
std::string WithoutSourceLocation(std::string_view line) {
  size_t end = line.find("] ");
  if (line.substr(0, 10) == "rocksdb: [" && end != std::string_view::npos) {
    line.remove_prefix(end + 2);
  }
  return std::string(line);
}

// Checks every table block. A live directory's server may compact meanwhile and delete a
// table the secondary still lists (DB::VerifyChecksum opens each by name): then catch up, which
// drops it from the list, and check again.
Status VerifyTables(Inspection& inspection) {
  Status s = inspection.rocksdb().VerifyChecksums();
  for (int attempt = 0; !s.ok() && inspection.secondary() && attempt < 3; ++attempt) {
    if (s.message().find("No such file") == std::string::npos) break;
    if (!inspection.CatchUp().ok()) break;
    s = inspection.rocksdb().VerifyChecksums();
  }
  return s;
}

}  // namespace

Status CheckStore(const std::string& dir, StoreCheckResult* result) {
  // RocksDB's own lines start with "rocksdb: "; the storage's error lines come back as
  // statuses too and are counted there.
  auto log = [result](LogLevel level, std::string_view line) {
    if (level < LogLevel::kWarn || line.substr(0, 9) != "rocksdb: ") return;
    if (line.find("Corruption") != std::string_view::npos) {
      result->problems.push_back(WithoutSourceLocation(line));
    }
  };
  std::unique_ptr<Inspection> inspection;
  std::vector<LoadedStream> streams;
  Status s = Inspection::Open(dir, InspectMode::kSnapshot, log, &inspection);
  if (s.ok()) s = LoadAll(inspection->storage(), &streams);
  if (!s.ok()) return s;
  s = VerifyTables(*inspection);
  if (!s.ok()) result->problems.push_back(s.message());
  streamkeeper::Storage& storage = inspection->storage();
  for (const LoadedStream& stream : streams) {
    RecordContinuityCheck check(stream.meta);
    s = ScanRecords(storage, stream.meta, [&check](const Record& record) { check.Add(record); });
    if (!s.ok()) {
      result->problems.push_back(stream.meta.path + ": " + s.message());
      continue;
    }
    result->records += check.records();
    for (std::string& problem : check.Finish()) result->problems.push_back(std::move(problem));
  }
  for (std::string& problem : CheckForkGraph(streams)) {
    result->problems.push_back(std::move(problem));
  }
  result->streams = streams.size();
  return Status::Ok();
}

}  // namespace ds_admin
