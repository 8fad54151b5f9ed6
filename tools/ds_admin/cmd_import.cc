// `ds-admin import FILE (--data-dir DIR | --url URL)`: recreates the streams of an export file.
//
// Two passes over the file. The first checks all of it (format version, every line, offsets,
// totals; export_format.h) before the target is even opened; then the target says which of its
// paths are taken; the second pass writes. So a malformed or truncated file, or a stream that
// exists (without --skip-existing), is refused with nothing written. Memory: one line at a
// time, plus the set of the file's paths (to refuse a file that names a stream twice).
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "commands.h"
#include "export_format.h"
#include "import_target.h"
#include "output_format.h"

namespace ds_admin {

using streamkeeper::Status;

namespace {

constexpr size_t kPathsNamed = 10;  // how many taken paths an error lists

struct ImportPlan {
  std::set<std::string> paths;  // every stream of the file
  std::set<std::string> taken;  // those that exist in the target
  uint64_t streams_with_producers = 0;
};

std::string ListPaths(const std::set<std::string>& paths) {
  std::string text;
  size_t named = 0;
  for (const std::string& path : paths) {
    if (named == kPathsNamed) {
      text += ", ... (" + std::to_string(paths.size() - named) + " more)";
      break;
    }
    text += (named++ == 0 ? "" : ", ") + path;
  }
  return text;
}

// The first pass: checks the whole file and gathers its paths (nothing is opened yet, so a bad
// file leaves the target untouched, not even created).
Status Check(std::istream& in, const std::string& name, ImportPlan* plan) {
  ExportReader reader(in, name);
  Status s = reader.Start();
  if (!s.ok()) return s;
  for (;;) {
    ExportReader::Item item;
    s = reader.Next(&item);
    if (!s.ok()) return s;
    if (item == ExportReader::Item::kEnd) {
      // Nothing may follow the end line: Next() says kEnd again only at the end of the file.
      s = reader.Next(&item);
      if (!s.ok()) return s;
      break;
    }
    if (item != ExportReader::Item::kStream) continue;
    const ExportedStream& stream = reader.stream();
    if (!plan->paths.insert(stream.path).second) {
      return Status::BadRequest(name + " line " + std::to_string(reader.line_number()) +
                                ": stream " + stream.path + " appears twice");
    }
    if (!stream.producers.empty() || stream.closed_by) ++plan->streams_with_producers;
  }
  return Status::Ok();
}

// The paths of the file that the target already has.
Status FindTaken(ImportTarget& target, ImportPlan* plan) {
  for (const std::string& path : plan->paths) {
    bool exists = false;
    Status s = target.Exists(path, &exists);
    if (!s.ok()) return s;
    if (exists) plan->taken.insert(path);
  }
  return Status::Ok();
}

struct ImportCounts {
  ExportTotals imported;
  std::vector<std::string> skipped;
};

// The second pass: feeds every stream not in `skip` to the target. *current names the stream
// being written when it fails.
Status Write(std::istream& in, const std::string& name, const std::set<std::string>& skip,
             ImportTarget& target, ImportCounts* counts, std::string* current) {
  ExportReader reader(in, name);
  Status s = reader.Start();
  if (!s.ok()) return s;
  bool open = false;  // a stream has begun and not yet ended
  bool skipping = false;
  for (;;) {
    ExportReader::Item item;
    s = reader.Next(&item);
    if (!s.ok()) return s;
    if (item == ExportReader::Item::kRecord) {
      if (skipping) continue;
      s = target.AddRecord(reader.record());
      if (!s.ok()) return s;
      ++counts->imported.records;
      continue;
    }
    if (open) {
      s = target.EndStream();
      if (!s.ok()) return s;
      ++counts->imported.streams;
      open = false;
      current->clear();
    }
    if (item == ExportReader::Item::kEnd) return target.Finish();
    const ExportedStream& stream = reader.stream();
    skipping = skip.contains(stream.path);
    if (skipping) {
      counts->skipped.push_back(stream.path);
      continue;
    }
    *current = stream.path;
    s = target.BeginStream(stream);
    if (!s.ok()) return s;
    open = true;
  }
}

void PrintSummary(const Invocation& invocation, const ImportTarget& target,
                  const ImportCounts& counts, uint64_t producers_dropped) {
  if (invocation.json) {
    boost::json::object summary;
    summary["file"] = invocation.file;
    summary["target"] = target.Describe();
    summary["streams"] = counts.imported.streams;
    summary["records"] = counts.imported.records;
    boost::json::array skipped;
    for (const std::string& path : counts.skipped) skipped.emplace_back(path);
    summary["skipped_existing"] = std::move(skipped);
    summary["offsets_kept"] = target.IsExact();
    summary["producer_states_dropped"] = producers_dropped;
    PrintJson(std::cout, summary);
    return;
  }
  std::cout << "imported " << counts.imported.streams << " streams (" << counts.imported.records
            << " records) into " << target.Describe()
            << (target.IsExact() ? ", offsets kept" : ", with new offsets") << "\n";
  if (!counts.skipped.empty()) {
    std::cout << "skipped " << counts.skipped.size() << " existing:";
    for (const std::string& path : counts.skipped) std::cout << " " << path;
    std::cout << "\n";
  }
  if (producers_dropped > 0) {
    std::cout << "note: the producer states of " << producers_dropped
              << " streams were not carried over (the API sets them only by producer appends)\n";
  }
}

}  // namespace

int RunImport(const Invocation& invocation) {
  std::ifstream in(invocation.file, std::ios::binary);
  if (!in) return ReportError("import: cannot open " + invocation.file);

  ImportPlan plan;
  Status s = Check(in, invocation.file, &plan);
  if (!s.ok()) return ReportError("import: " + s.message() + "; nothing was imported");

  std::unique_ptr<ImportTarget> target;
  s = invocation.url.empty()
          ? OpenDirectoryTarget(invocation.data_dir, &target)
          : OpenServerTarget(
                {.url = invocation.url, .token = invocation.token, .ca_file = invocation.ca_file},
                &target);
  if (!s.ok()) return ReportError("import: " + s.message());
  s = FindTaken(*target, &plan);
  if (!s.ok()) return ReportError("import: " + s.message() + "; nothing was imported");
  if (!plan.taken.empty() && !invocation.skip_existing) {
    std::string message = "import: " + std::to_string(plan.taken.size()) + " streams of " +
                          invocation.file + " already exist in " + target->Describe() + ": " +
                          ListPaths(plan.taken) + "; nothing was imported";
    if (!invocation.url.empty()) message += " (--skip-existing imports the others)";
    return ReportError(message);
  }

  in.clear();
  in.seekg(0);
  ImportCounts counts;
  std::string current;
  s = Write(in, invocation.file, plan.taken, *target, &counts, &current);
  if (!s.ok()) {
    std::string message = "import: " + s.message() + " (after " +
                          std::to_string(counts.imported.streams) + " streams were imported";
    if (!current.empty()) message += "; " + current + " was being written";
    return ReportError(message + ")");
  }
  const uint64_t dropped = target->IsExact() ? 0 : plan.streams_with_producers;
  PrintSummary(invocation, *target, counts, dropped);
  return kExitOk;
}

}  // namespace ds_admin
