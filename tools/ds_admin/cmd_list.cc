// `ds-admin list`: one page of stored streams (live, expired or soft-deleted), in path order.
#include <algorithm>
#include <boost/json/serialize.hpp>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "data_dir.h"
#include "output_format.h"
#include "streamkeeper/clock.h"
#include "streamkeeper/offset.h"

namespace ds_admin {

using streamkeeper::LoadedStream;
using streamkeeper::StreamMeta;

namespace {

std::string ForkOf(const StreamMeta& meta) {
  return meta.fork_parent.empty() ? "-" : meta.fork_parent;
}

void PrintTable(const std::vector<LoadedStream>& streams, int64_t now_ms) {
  TextTable table({"PATH", "CONTENT-TYPE", "TAIL", "CLOSED", "TTL/EXPIRES", "CREATED",
                   "SOFT-DELETED", "FORK-OF", "REFCOUNT"});
  for (const LoadedStream& stream : streams) {
    const StreamMeta& meta = stream.meta;
    table.AddRow({meta.path, meta.content_type, streamkeeper::FormatOffset(meta.tail),
                  meta.closed ? "yes" : "no", FormatLifetime(meta, now_ms),
                  FormatTimeMs(meta.created_at_ms), meta.soft_deleted ? "yes" : "no", ForkOf(meta),
                  std::to_string(meta.fork_refcount)});
  }
  table.Print(std::cout);
}

}  // namespace

int RunList(const Invocation& invocation) {
  std::unique_ptr<Inspection> inspection;
  streamkeeper::Status s =
      Inspection::Open(invocation.data_dir, InspectMode::kSnapshot, nullptr, &inspection);
  if (!s.ok()) return ReportError(s);
  streamkeeper::Storage& storage = inspection->storage();
  // One page: a single bounded scan of the meta family, one more than asked to learn whether
  // more follow. Memory is O(--limit), never O(streams), however many the directory holds.
  const size_t limit = invocation.limit.value_or(1000);
  std::vector<StreamMeta> metas;
  s = storage.list_streams(invocation.prefix, invocation.start_after, limit + 1, &metas);
  if (!s.ok()) return ReportError(s);
  const bool more = metas.size() > limit;
  if (more) metas.resize(limit);

  const int64_t now_ms = streamkeeper::SystemClock()();
  std::vector<LoadedStream> page;
  page.reserve(metas.size());
  for (const StreamMeta& meta : metas) {
    // Each stream is read for its tail: a stored meta may trail its records.
    std::optional<LoadedStream> stream;
    s = LoadOne(storage, meta.path, &stream);
    if (!s.ok()) return ReportError(s);
    if (stream) page.push_back(std::move(*stream));
  }
  if (invocation.json) {
    // JSON lines: one object per stream, so a consumer never holds the whole listing either.
    for (const LoadedStream& stream : page) {
      std::cout << boost::json::serialize(StreamMetaJson(stream.meta, now_ms)) << "\n";
    }
  } else {
    PrintTable(page, now_ms);
  }
  std::cout.flush();
  if (more) {
    std::cerr << "ds-admin: more streams follow; continue with --start-after " << metas.back().path
              << "\n";
  }
  return std::cout ? kExitOk : ReportError("cannot write to stdout");
}

}  // namespace ds_admin
