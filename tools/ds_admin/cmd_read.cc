// `ds-admin read <path>`: a stream's content through the StreamManager, so forks include their
// parent's data exactly as clients see it, printed in the --format of record_output.h.
#include <iostream>
#include <optional>

#include "commands.h"
#include "data_dir.h"
#include "output_format.h"
#include "record_output.h"
#include "unit_reader.h"
#include "streamkeeper/offset.h"

namespace ds_admin {

using streamkeeper::StreamManager;

namespace {

int ReportReadError(const std::string& path, const streamkeeper::Status& status) {
  return ReportError("read " + path + ": " + status.message());
}

}  // namespace

int RunRead(const Invocation& invocation) {
  std::optional<uint64_t> from = invocation.start;  // nullopt: the tail

  std::unique_ptr<Inspection> inspection;
  streamkeeper::Status s =
      Inspection::Open(invocation.data_dir, InspectMode::kSnapshot, nullptr, &inspection);
  if (!s.ok()) return ReportError(s);
  std::unique_ptr<StreamManager> manager;
  s = inspection->OpenManager(&manager);
  if (!s.ok()) return ReportError(s);

  streamkeeper::StreamInfo info;
  s = manager->get_metadata(invocation.path, &info);
  if (!s.ok()) return ReportReadError(invocation.path, s);
  RecordOutput output(std::cout, invocation.format, false, invocation.path, info.content_type,
                      info.is_json);

  if (!from) from = info.tail;  // now
  UnitLimits limits;
  if (invocation.limit) limits.units = *invocation.limit;
  if (invocation.max_bytes) limits.payload_bytes = *invocation.max_bytes;
  const bool records = invocation.format != ReadFormat::kRaw || invocation.limit.has_value();
  UnitReadEnd end = ReadUnits(*manager, invocation.path, info, *from, records, limits, output);
  if (!end.status.ok()) return ReportReadError(invocation.path, end.status);
  output.Finish(end.next);
  if (!end.up_to_date) {
    std::cerr << "ds-admin: more data follows; continue with --offset "
              << streamkeeper::FormatOffset(end.next) << "\n";
  }
  return std::cout ? kExitOk : ReportError("cannot write to stdout");
}

}  // namespace ds_admin
