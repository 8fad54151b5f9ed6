// `ds-admin stats`: counts and sizes of the whole data directory, a page of streams at a time.
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "data_dir.h"
#include "output_format.h"
#include "record_scan.h"
#include "snapshot/scratch_checkpoint.h"
#include "stream_checks.h"
#include "streamkeeper/clock.h"

namespace ds_admin {

using streamkeeper::LoadedStream;
using streamkeeper::Record;

namespace {

constexpr size_t kPage = 1000;

struct Totals {
  uint64_t streams = 0;
  uint64_t live = 0;
  uint64_t expired = 0;
  uint64_t soft_deleted = 0;
  uint64_t forks = 0;
  uint64_t closed = 0;
  uint64_t records = 0;
  uint64_t payload_bytes = 0;  // bytes, or JSON message text, as readers get them
  uint64_t stored_bytes = 0;   // record values as stored (JSON records carry a small header)
  uint64_t directory_bytes = 0;
};

// Adds one stream (its tail recovered) to *t.
streamkeeper::Status Count(streamkeeper::Storage& storage, const streamkeeper::StreamMeta& meta,
                           int64_t now_ms, Totals* t) {
  ++t->streams;
  if (meta.soft_deleted) {
    ++t->soft_deleted;
  } else if (IsExpired(meta, now_ms)) {
    ++t->expired;
  } else {
    ++t->live;
  }
  if (!meta.fork_parent.empty()) ++t->forks;
  if (meta.closed) ++t->closed;
  const bool is_json = IsJsonStream(meta);
  return ScanRecords(storage, meta, [&](const Record& record) {
    ++t->records;
    t->stored_bytes += record.value.size();
    auto payload = RecordPayload(is_json, record);
    t->payload_bytes += payload ? payload->size() : 0;
  });
}

void PrintText(const Totals& t) {
  TextTable table({"streams:", std::to_string(t.streams)});
  table.AddRow({"  live:", std::to_string(t.live)});
  table.AddRow({"  expired:", std::to_string(t.expired)});
  table.AddRow({"  soft-deleted:", std::to_string(t.soft_deleted)});
  table.AddRow({"  forks:", std::to_string(t.forks)});
  table.AddRow({"  closed:", std::to_string(t.closed)});
  table.AddRow({"records:", std::to_string(t.records)});
  table.AddRow({"payload bytes:", FormatSize(t.payload_bytes)});
  table.AddRow({"stored bytes:", FormatSize(t.stored_bytes)});
  table.AddRow({"directory size:", FormatSize(t.directory_bytes)});
  table.Print(std::cout);
}

void PrintJsonTotals(const Totals& t) {
  PrintJson(std::cout, boost::json::object{{"streams", t.streams},
                                           {"live", t.live},
                                           {"expired", t.expired},
                                           {"soft_deleted", t.soft_deleted},
                                           {"forks", t.forks},
                                           {"closed", t.closed},
                                           {"records", t.records},
                                           {"payload_bytes", t.payload_bytes},
                                           {"stored_bytes", t.stored_bytes},
                                           {"directory_bytes", t.directory_bytes}});
}

}  // namespace

int RunStats(const Invocation& invocation) {
  std::unique_ptr<Inspection> inspection;
  streamkeeper::Status s =
      Inspection::Open(invocation.data_dir, InspectMode::kSnapshot, nullptr, &inspection);
  if (!s.ok()) return ReportError(s);
  streamkeeper::Storage* storage = &inspection->storage();

  // A page of streams at a time: memory does not grow with the number of streams.
  Totals t;
  const int64_t now_ms = streamkeeper::SystemClock()();
  std::vector<streamkeeper::StreamMeta> page;
  std::string after;
  for (bool more = true; more;) {
    page.clear();
    s = storage->list_streams("", after, kPage, &page);
    if (!s.ok()) return ReportError(s);
    more = page.size() == kPage;
    if (!page.empty()) after = page.back().path;
    for (const streamkeeper::StreamMeta& listed : page) {
      std::optional<LoadedStream> stream;
      s = LoadOne(*storage, listed.path, &stream);
      if (!s.ok()) return ReportError(s);
      if (!stream) continue;  // gone since it was listed (cannot happen in a snapshot)
      s = Count(*storage, stream->meta, now_ms, &t);
      if (!s.ok()) return ReportError(s);
    }
  }
  inspection.reset();  // closed (a secondary's scratch space is elsewhere)
  t.directory_bytes = streamkeeper::StoreBytes(invocation.data_dir);

  if (invocation.json) {
    PrintJsonTotals(t);
  } else {
    PrintText(t);
  }
  return kExitOk;
}

}  // namespace ds_admin
