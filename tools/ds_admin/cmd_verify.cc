// `ds-admin verify`: checks a data directory for damage and every stream for the invariants of
// stream_checks.h.
//
// Damage first (storage_rocksdb/README.md, "Damaged data directories"): the directory is opened
// read-only, so nothing is repaired behind the operator's back - a torn WAL tail that the
// server's next start would drop is reported, not dropped. RocksDB's corruption warnings while
// opening, a file that stops the open, and any table block whose checksum does not match (every
// block of every table is read: O(data), which the server never does) are each a problem, and
// so is a stream whose records cannot be read. Then the invariants of the streams that loaded.
#include <iostream>
#include <string_view>
#include <vector>

#include "commands.h"
#include "data_dir.h"
#include "output_format.h"
#include "record_scan.h"
#include "streamkeeper/rocksdb_storage.h"
#include "stream_checks.h"

namespace ds_admin {

using streamkeeper::LoadedStream;
using streamkeeper::LogLevel;
using streamkeeper::Record;

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
streamkeeper::Status VerifyTables(Inspection& inspection) {
  streamkeeper::Status s = inspection.rocksdb().VerifyChecksums();
  for (int attempt = 0; !s.ok() && inspection.secondary() && attempt < 3; ++attempt) {
    if (s.message().find("No such file") == std::string::npos) break;
    if (!inspection.CatchUp().ok()) break;
    s = inspection.rocksdb().VerifyChecksums();
  }
  return s;
}

int Finish(const std::vector<std::string>& problems, const std::string& summary) {
  for (const std::string& problem : problems) std::cout << "problem: " << problem << "\n";
  std::cout << (problems.empty() ? "ok: " : "FAILED: ") << summary << ", " << problems.size()
            << " problems\n";
  return problems.empty() ? kExitOk : kExitError;
}

}  // namespace

int RunVerify(const Invocation& invocation) {
  std::vector<std::string> problems;
  // RocksDB's own lines start with "rocksdb: "; the storage's error lines come back as
  // statuses too and are counted there.
  auto log = [&problems](LogLevel level, std::string_view line) {
    if (level < LogLevel::kWarn || line.substr(0, 9) != "rocksdb: ") return;
    if (line.find("Corruption") != std::string_view::npos) {
      problems.push_back(WithoutSourceLocation(line));
    }
  };
  std::unique_ptr<Inspection> inspection;
  std::vector<LoadedStream> streams;
  streamkeeper::Status s =
      Inspection::Open(invocation.data_dir, InspectMode::kSnapshot, log, &inspection);
  if (s.ok()) s = LoadAll(inspection->storage(), &streams);
  if (!s.ok()) {
    if (s.message().find(" is damaged: ") == std::string::npos) return ReportError(s);
    problems.push_back(s.message());
    return Finish(problems, "cannot open " + invocation.data_dir);
  }
  s = VerifyTables(*inspection);
  if (!s.ok()) problems.push_back(s.message());
  streamkeeper::Storage* storage = &inspection->storage();

  uint64_t records = 0;
  for (const LoadedStream& stream : streams) {
    RecordContinuityCheck check(stream.meta);
    s = ScanRecords(*storage, stream.meta, [&check](const Record& record) { check.Add(record); });
    if (!s.ok()) {
      problems.push_back(stream.meta.path + ": " + s.message());
      continue;
    }
    records += check.records();
    for (std::string& problem : check.Finish()) problems.push_back(std::move(problem));
  }
  for (std::string& problem : CheckForkGraph(streams)) problems.push_back(std::move(problem));
  return Finish(problems, std::to_string(streams.size()) + " streams, " +
                              std::to_string(records) + " records checked");
}

}  // namespace ds_admin
