// `ds-admin show <path>`: one stream's metadata and its producers.
#include <algorithm>
#include <boost/json/array.hpp>
#include <iostream>

#include "commands.h"
#include "data_dir.h"
#include "output_format.h"
#include "stream_checks.h"
#include "streamkeeper/clock.h"
#include "streamkeeper/offset.h"

namespace ds_admin {

using streamkeeper::LoadedStream;
using streamkeeper::StreamMeta;

namespace {

std::string StateOf(const StreamMeta& meta, int64_t now_ms) {
  if (meta.soft_deleted) return "soft-deleted (forks still read from it)";
  if (IsExpired(meta, now_ms)) return "expired (the server deletes it when it next sees it)";
  return "live";
}

std::string ClosedOf(const StreamMeta& meta) {
  if (!meta.closed) return "no";
  if (!meta.closed_by) return "yes";
  return "yes, by producer " + meta.closed_by->producer_id + " epoch " +
         std::to_string(meta.closed_by->epoch) + " seq " + std::to_string(meta.closed_by->seq);
}

std::string ForkOf(const StreamMeta& meta) {
  if (meta.fork_parent.empty()) return "-";
  return meta.fork_parent + " (generation " + std::to_string(meta.fork_parent_generation) +
         ") at " + streamkeeper::FormatOffset(meta.fork_position) + " (offset " +
         streamkeeper::FormatOffset(meta.fork_anchor) + " + sub-offset " +
         std::to_string(meta.fork_sub_offset) + ")";
}

void PrintText(const LoadedStream& stream, int64_t now_ms) {
  const StreamMeta& meta = stream.meta;
  TextTable fields({"path:", meta.path});
  fields.AddRow({"state:", StateOf(meta, now_ms)});
  fields.AddRow({"generation:", std::to_string(meta.generation)});
  fields.AddRow({"content-type:", meta.content_type});
  fields.AddRow({"tail:", streamkeeper::FormatOffset(meta.tail)});
  fields.AddRow({"closed:", ClosedOf(meta)});
  fields.AddRow({"ttl/expires:", FormatLifetime(meta, now_ms)});
  fields.AddRow({"created-at:", FormatTimeMs(meta.created_at_ms)});
  fields.AddRow({"last-access:", FormatTimeMs(meta.last_access_ms)});
  fields.AddRow({"stream-seq:", meta.last_stream_seq.empty() ? "-" : meta.last_stream_seq});
  fields.AddRow({"soft-deleted:", meta.soft_deleted ? "yes" : "no"});
  fields.AddRow({"fork-of:", ForkOf(meta)});
  fields.AddRow({"refcount:", std::to_string(meta.fork_refcount)});
  fields.AddRow({"producers:", std::to_string(stream.producers.size())});
  fields.Print(std::cout);
  if (stream.producers.empty()) return;
  std::cout << "\n";
  TextTable producers({"PRODUCER", "EPOCH", "LAST-SEQ"});
  for (const auto& [id, state] : stream.producers) {
    producers.AddRow({id, std::to_string(state.epoch), std::to_string(state.last_seq)});
  }
  producers.Print(std::cout);
}

void PrintJsonStream(const LoadedStream& stream, int64_t now_ms) {
  boost::json::object out = StreamMetaJson(stream.meta, now_ms);
  boost::json::array producers;
  for (const auto& [id, state] : stream.producers) {
    producers.push_back({{"id", id}, {"epoch", state.epoch}, {"last_seq", state.last_seq}});
  }
  out["producers"] = std::move(producers);
  PrintJson(std::cout, out);
}

}  // namespace

int RunShow(const Invocation& invocation) {
  std::unique_ptr<Inspection> inspection;
  streamkeeper::Status s =
      Inspection::Open(invocation.data_dir, InspectMode::kSnapshot, nullptr, &inspection);
  if (!s.ok()) return ReportError(s);
  std::optional<LoadedStream> stream;
  s = LoadOne(inspection->storage(), invocation.path, &stream);
  if (!s.ok()) return ReportError(s);
  if (!stream) return ReportError("no stream " + invocation.path + " in " + invocation.data_dir);
  const LoadedStream* it = &*stream;
  const int64_t now_ms = streamkeeper::SystemClock()();
  if (invocation.json) {
    PrintJsonStream(*it, now_ms);
  } else {
    PrintText(*it, now_ms);
  }
  return kExitOk;
}

}  // namespace ds_admin
