// `ds-admin list`: every stored stream, live, expired or soft-deleted.
#include <algorithm>
#include <boost/json/array.hpp>
#include <iostream>

#include "commands.h"
#include "data_dir.h"
#include "output_format.h"
#include "streamkeeper/clock.h"
#include "streamkeeper/offset.h"

namespace ds_admin {

using streamkeeper::LoadedState;
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
  std::unique_ptr<streamkeeper::Storage> storage;
  LoadedState state;
  streamkeeper::Status s = OpenAndLoad(invocation.data_dir, &storage, &state);
  if (!s.ok()) return ReportError(s);
  std::sort(state.streams.begin(), state.streams.end(),
            [](const LoadedStream& a, const LoadedStream& b) { return a.meta.path < b.meta.path; });
  const int64_t now_ms = streamkeeper::SystemClock()();
  if (invocation.json) {
    boost::json::array out;
    for (const LoadedStream& stream : state.streams) {
      out.push_back(StreamMetaJson(stream.meta, now_ms));
    }
    PrintJson(std::cout, out);
  } else {
    PrintTable(state.streams, now_ms);
  }
  return kExitOk;
}

}  // namespace ds_admin
