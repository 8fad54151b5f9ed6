#include "stream_checks.h"

#include <map>
#include <utility>

#include "manager/record_units.h"
#include "record_scan.h"

namespace ds_admin {

using streamkeeper::LoadedStream;
using streamkeeper::Record;
using streamkeeper::StreamMeta;

namespace {
// A badly broken stream could produce a problem per record; a few tell the story.
constexpr size_t kMaxProblemsPerStream = 10;
}  // namespace

bool IsExpired(const StreamMeta& meta, int64_t now_ms) {
  if (meta.expires_at_ms && *meta.expires_at_ms <= now_ms) return true;
  if (meta.ttl_seconds) {
    int64_t deadline = meta.last_access_ms + static_cast<int64_t>(*meta.ttl_seconds) * 1000;
    if (deadline <= now_ms) return true;
  }
  return false;
}

RecordContinuityCheck::RecordContinuityCheck(const StreamMeta& meta)
    : meta_(meta),
      is_json_(IsJsonStream(meta)),
      expected_(meta.fork_parent.empty() ? 0 : meta.fork_position) {}

void RecordContinuityCheck::Problem(std::string message) {
  if (problems_.size() >= kMaxProblemsPerStream) {
    ++suppressed_;
    return;
  }
  problems_.push_back(meta_.path + ": " + std::move(message));
}

void RecordContinuityCheck::Add(const Record& record) {
  ++records_;
  const std::string at = "record at position " + std::to_string(record.position);
  if (record.position != expected_) {
    const char* kind = record.position > expected_ ? "gap" : "overlap";
    Problem(at + " should start at " + std::to_string(expected_) + " (" + kind + ")");
  }
  uint64_t units = streamkeeper::RecordUnits(is_json_, record);
  if (units == 0) Problem(at + " is empty");
  if (is_json_ && !RecordPayload(is_json_, record)) Problem(at + " is not a valid JSON record");
  expected_ = record.position + units;
}

std::vector<std::string> RecordContinuityCheck::Finish() {
  if (expected_ != meta_.tail) {
    std::string what =
        records_ == 0 ? "no records, so the stream ends at " : "records end at position ";
    Problem(what + std::to_string(expected_) + " but the tail is " + std::to_string(meta_.tail));
  }
  if (suppressed_ > 0) {
    problems_.push_back(meta_.path + ": ... and " + std::to_string(suppressed_) + " more problems");
  }
  return std::move(problems_);
}

std::vector<std::string> CheckForkGraph(const std::vector<LoadedStream>& streams) {
  std::vector<std::string> problems;
  std::map<std::string, const StreamMeta*> by_path;
  for (const LoadedStream& stream : streams) by_path[stream.meta.path] = &stream.meta;

  std::map<std::string, uint64_t> references;  // parent path -> forks of its stored generation
  for (const auto& [path, meta] : by_path) {
    if (meta->fork_parent.empty()) continue;
    auto it = by_path.find(meta->fork_parent);
    if (it == by_path.end()) {
      problems.push_back(path + ": fork parent " + meta->fork_parent + " does not exist");
      continue;
    }
    const StreamMeta& parent = *it->second;
    if (parent.generation != meta->fork_parent_generation) {
      problems.push_back(path + ": fork parent " + parent.path + " has generation " +
                         std::to_string(parent.generation) + ", the fork references generation " +
                         std::to_string(meta->fork_parent_generation));
      continue;
    }
    ++references[parent.path];
    if (meta->fork_position > parent.tail) {
      problems.push_back(path + ": fork position " + std::to_string(meta->fork_position) +
                         " is beyond the tail " + std::to_string(parent.tail) + " of " +
                         parent.path);
    }
  }
  for (const auto& [path, meta] : by_path) {
    uint64_t forks = references.count(path) ? references[path] : 0;
    if (meta->fork_refcount != forks) {
      problems.push_back(path + ": refcount is " + std::to_string(meta->fork_refcount) + " but " +
                         std::to_string(forks) + " stored forks reference it");
    }
    if (meta->soft_deleted && forks == 0) {
      problems.push_back(path + ": soft-deleted but no fork references it (should be erased)");
    }
  }
  return problems;
}

}  // namespace ds_admin
