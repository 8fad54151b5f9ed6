// `ds-admin verify`: loads every stream and checks the invariants of stream_checks.h.
#include <iostream>

#include "commands.h"
#include "data_dir.h"
#include "output_format.h"
#include "record_scan.h"
#include "stream_checks.h"

namespace ds_admin {

using streamkeeper::LoadedStream;
using streamkeeper::Record;

int RunVerify(const Invocation& invocation) {
  std::unique_ptr<streamkeeper::Storage> storage;
  streamkeeper::LoadedState state;
  streamkeeper::Status s = OpenAndLoad(invocation.data_dir, &storage, &state);
  if (!s.ok()) return ReportError(s);

  std::vector<std::string> problems;
  uint64_t records = 0;
  for (const LoadedStream& stream : state.streams) {
    RecordContinuityCheck check(stream.meta);
    s = ScanRecords(*storage, stream.meta, [&check](const Record& record) { check.Add(record); });
    if (!s.ok()) return ReportError(s);
    records += check.records();
    for (std::string& problem : check.Finish()) problems.push_back(std::move(problem));
  }
  for (std::string& problem : CheckForkGraph(state.streams)) problems.push_back(std::move(problem));

  for (const std::string& problem : problems) std::cout << "problem: " << problem << "\n";
  std::cout << (problems.empty() ? "ok: " : "FAILED: ") << state.streams.size() << " streams, "
            << records << " records checked, " << problems.size() << " problems\n";
  return problems.empty() ? kExitOk : kExitError;
}

}  // namespace ds_admin
