// `ds-admin export PATH... | --prefix P --out FILE`: streams to the portable format of
// export_format.h (tools/ds_admin/README.md, "Export format").
//
// What is exported is what clients can read: soft-deleted and expired streams are left out
// (a fork of a soft-deleted stream is exported flattened, so its source's data goes with it),
// and a path given by name that is missing, soft-deleted or expired is an error found before
// anything is written. Streams are paged through Storage::list_streams and each stream's
// records through read_records, so memory stays bounded whatever the store holds.
#include <algorithm>
#include <boost/json/object.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "data_dir.h"
#include "export_format.h"
#include "flat_stream.h"
#include "output_format.h"

namespace ds_admin {

using streamkeeper::LoadedStream;
using streamkeeper::Status;
using streamkeeper::Storage;
using streamkeeper::StreamMeta;

namespace {

constexpr size_t kListPage = 256;

struct ExportCounts {
  ExportTotals totals;
  uint64_t payload_bytes = 0;
  uint64_t skipped_soft_deleted = 0;
  uint64_t skipped_expired = 0;
};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool Expired(const StreamMeta& meta, int64_t now_ms) {
  std::optional<int64_t> at = streamkeeper::ExpiryOf(meta);
  return at && *at <= now_ms;
}

ExportedStream HeaderOf(const LoadedStream& loaded) {
  const StreamMeta& meta = loaded.meta;
  ExportedStream header;
  header.path = meta.path;
  header.content_type = meta.content_type;
  header.created_at_ms = meta.created_at_ms;
  header.last_access_ms = meta.last_access_ms;
  header.ttl_seconds = meta.ttl_seconds;
  header.expires_at_ms = meta.expires_at_ms;
  header.closed = meta.closed;
  header.tail = meta.tail;
  header.stream_seq = meta.last_stream_seq;
  header.closed_by = meta.closed_by;
  header.producers = loaded.producers;
  return header;
}

// Writes one stream (header and records) to `out`.
Status ExportStream(Storage& storage, const LoadedStream& loaded, std::ostream& out,
                    ExportCounts* counts) {
  out << StreamLine(HeaderOf(loaded));
  const std::string& type = loaded.meta.content_type;
  Status s = ScanFlatStream(storage, loaded.meta, [&](const ExportedRecord& record) {
    out << RecordLine(record, type);
    ++counts->totals.records;
    counts->payload_bytes += record.payload.size();
    return out ? Status::Ok() : Status::IoError("write failed");
  });
  if (!s.ok()) return s;
  ++counts->totals.streams;
  return Status::Ok();
}

// Why `path`, given by name, cannot be exported; OK when it can (then *out holds it).
Status LoadNamed(Storage& storage, const std::string& path, int64_t now_ms,
                 std::optional<LoadedStream>* out) {
  Status s = LoadOne(storage, path, out);
  if (!s.ok()) return s;
  if (!*out) return Status::NotFound("no stream " + path);
  if ((*out)->meta.soft_deleted) {
    return Status::Gone("stream " + path + " is soft-deleted (only its forks still read it)");
  }
  if (Expired((*out)->meta, now_ms)) return Status::NotFound("stream " + path + " has expired");
  return Status::Ok();
}

Status ExportNamed(Storage& storage, const std::vector<std::string>& paths, int64_t now_ms,
                   std::ostream& out, ExportCounts* counts) {
  for (const std::string& path : paths) {
    std::optional<LoadedStream> loaded;
    Status s = LoadNamed(storage, path, now_ms, &loaded);
    if (!s.ok()) return s;
    s = ExportStream(storage, *loaded, out, counts);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status ExportPrefix(Storage& storage, const std::string& prefix, int64_t now_ms, std::ostream& out,
                    ExportCounts* counts) {
  std::string after;
  std::vector<StreamMeta> page;
  for (;;) {
    page.clear();
    Status s = storage.list_streams(prefix, after, kListPage, &page);
    if (!s.ok()) return s;
    for (const StreamMeta& listed : page) {
      if (listed.soft_deleted) {
        ++counts->skipped_soft_deleted;
        continue;
      }
      std::optional<LoadedStream> loaded;
      s = LoadOne(storage, listed.path, &loaded);
      if (!s.ok()) return s;
      if (!loaded) continue;  // cannot happen offline; harmless if it does
      if (Expired(loaded->meta, now_ms)) {
        ++counts->skipped_expired;
        continue;
      }
      s = ExportStream(storage, *loaded, out, counts);
      if (!s.ok()) return s;
    }
    if (page.size() < kListPage) return Status::Ok();
    after = page.back().path;
  }
}

void PrintSummary(const Invocation& invocation, const ExportCounts& counts, std::ostream& out) {
  const std::string destination = invocation.out == "-" ? "stdout" : invocation.out;
  if (invocation.json) {
    boost::json::object summary;
    summary["out"] = destination;
    summary["streams"] = counts.totals.streams;
    summary["records"] = counts.totals.records;
    summary["payload_bytes"] = counts.payload_bytes;
    summary["skipped_soft_deleted"] = counts.skipped_soft_deleted;
    summary["skipped_expired"] = counts.skipped_expired;
    PrintJson(out, summary);
    return;
  }
  out << "exported " << counts.totals.streams << " streams (" << counts.totals.records
      << " records, " << FormatSize(counts.payload_bytes) << ") to " << destination << "\n";
  if (counts.skipped_soft_deleted + counts.skipped_expired > 0) {
    out << "left out " << counts.skipped_soft_deleted << " soft-deleted and "
        << counts.skipped_expired << " expired streams\n";
  }
}

}  // namespace

int RunExport(const Invocation& invocation) {
  std::unique_ptr<Storage> storage;
  Status s = OpenStorage(invocation.data_dir, &storage);
  if (!s.ok()) return ReportError(s);
  const int64_t now_ms = NowMs();

  // Named paths in path order, once each, all checked before the file is touched.
  std::vector<std::string> paths = invocation.paths;
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  for (const std::string& path : paths) {
    std::optional<LoadedStream> loaded;
    s = LoadNamed(*storage, path, now_ms, &loaded);
    if (!s.ok()) return ReportError("export: " + s.message() + "; nothing was written");
  }

  const bool to_stdout = invocation.out == "-";
  std::ofstream file;
  if (!to_stdout) {
    file.open(invocation.out, std::ios::binary | std::ios::trunc);
    if (!file) return ReportError("export: cannot write " + invocation.out);
  }
  std::ostream& out = to_stdout ? std::cout : file;

  ExportCounts counts;
  out << FormatLine();
  s = paths.empty() ? ExportPrefix(*storage, invocation.prefix, now_ms, out, &counts)
                    : ExportNamed(*storage, paths, now_ms, out, &counts);
  if (s.ok()) {
    out << EndLine(counts.totals);
    out.flush();
    if (!out) s = Status::IoError("cannot write " + (to_stdout ? "stdout" : invocation.out));
  }
  if (!s.ok()) {
    if (!to_stdout) {
      file.close();
      std::error_code ec;
      std::filesystem::remove(invocation.out, ec);  // a partial export is of no use
    }
    return ReportError("export: " + s.message());
  }
  if (!to_stdout) {
    file.close();
    if (!file) return ReportError("export: cannot write " + invocation.out);
  }
  // With the export on stdout, the summary goes to stderr.
  PrintSummary(invocation, counts, to_stdout ? std::cerr : std::cout);
  return kExitOk;
}

}  // namespace ds_admin
