// `ds-admin list`: every stored stream, live, expired or soft-deleted.
#include <algorithm>
#include <boost/json/array.hpp>
#include <iostream>
#include <optional>
#include <sstream>
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

// One page of the table; columns are aligned within the page, the header only on the first.
void PrintTable(const std::vector<LoadedStream>& streams, int64_t now_ms, bool header) {
  TextTable table({"PATH", "CONTENT-TYPE", "TAIL", "CLOSED", "TTL/EXPIRES", "CREATED",
                   "SOFT-DELETED", "FORK-OF", "REFCOUNT"});
  for (const LoadedStream& stream : streams) {
    const StreamMeta& meta = stream.meta;
    table.AddRow({meta.path, meta.content_type, streamkeeper::FormatOffset(meta.tail),
                  meta.closed ? "yes" : "no", FormatLifetime(meta, now_ms),
                  FormatTimeMs(meta.created_at_ms), meta.soft_deleted ? "yes" : "no", ForkOf(meta),
                  std::to_string(meta.fork_refcount)});
  }
  if (header) {
    table.Print(std::cout);
    return;
  }
  if (streams.empty()) return;
  std::ostringstream rendered;
  table.Print(rendered);
  std::string text = rendered.str();
  std::cout << text.substr(text.find('\n') + 1);
}

}  // namespace

int RunList(const Invocation& invocation) {
  std::unique_ptr<streamkeeper::Storage> storage;
  streamkeeper::Status s = OpenStorage(invocation.data_dir, &storage);
  if (!s.ok()) return ReportError(s);
  const int64_t now_ms = streamkeeper::SystemClock()();
  // Page by page through the storage, so memory stays bounded however many streams there are;
  // each stream is read for its tail (stored metas may trail their records).
  constexpr size_t kPage = 1000;
  boost::json::array json;
  std::vector<LoadedStream> page;
  std::string after;
  bool header = true;
  for (;;) {
    std::vector<StreamMeta> metas;
    s = storage->list_streams("", after, kPage, &metas);
    if (!s.ok()) return ReportError(s);
    page.clear();
    for (const StreamMeta& meta : metas) {
      std::optional<LoadedStream> stream;
      s = LoadOne(*storage, meta.path, &stream);
      if (!s.ok()) return ReportError(s);
      if (stream) page.push_back(std::move(*stream));
    }
    if (invocation.json) {
      for (const LoadedStream& stream : page) json.push_back(StreamMetaJson(stream.meta, now_ms));
    } else {
      PrintTable(page, now_ms, header);
      header = false;
    }
    if (metas.size() < kPage) break;
    after = metas.back().path;
  }
  if (invocation.json) PrintJson(std::cout, json);
  return kExitOk;
}

}  // namespace ds_admin
