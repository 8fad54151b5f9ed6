// `ds-admin read <path>`: a stream's content through StreamManager::read, so forks include their
// parent's data exactly as clients see it.
#include <iostream>
#include <optional>

#include "commands.h"
#include "data_dir.h"
#include "output_format.h"
#include "streamkeeper/offset.h"

namespace ds_admin {

using streamkeeper::ReadOptions;
using streamkeeper::ReadResult;
using streamkeeper::StreamManager;

namespace {

constexpr size_t kChunkBytes = 1 << 20;

// JSON reads return "[m1,m2]" per call; several calls join into one array.
void AppendJsonChunk(const std::string& chunk, std::string* elements) {
  if (chunk.size() <= 2) return;  // "[]"
  if (!elements->empty()) elements->push_back(',');
  elements->append(chunk, 1, chunk.size() - 2);
}

int ReportReadError(const std::string& path, const streamkeeper::Status& status) {
  return ReportError("read " + path + ": " + status.message());
}

}  // namespace

int RunRead(const Invocation& invocation) {
  std::optional<streamkeeper::ParsedOffset> offset = streamkeeper::ParseOffset(invocation.offset);
  if (!offset) {
    std::cerr << "ds-admin: --offset '" << invocation.offset << "' is not an offset, -1 or now\n";
    return kExitUsage;
  }
  std::optional<uint64_t> from;  // nullopt: the tail
  if (offset->kind == streamkeeper::ParsedOffset::Kind::kStart) from = 0;
  if (offset->kind == streamkeeper::ParsedOffset::Kind::kPosition) from = offset->position;

  std::unique_ptr<StreamManager> manager;
  streamkeeper::Status s = OpenManager(invocation.data_dir, Access::kReadOnly, &manager);
  if (!s.ok()) return ReportError(s);

  ReadOptions options;
  options.max_bytes = invocation.max_bytes.value_or(kChunkBytes);
  std::string json_elements;
  bool is_json = false;
  ReadResult result;
  for (;;) {
    result = manager->read(invocation.path, from, options);
    if (!result.status.ok()) return ReportReadError(invocation.path, result.status);
    is_json = result.is_json;
    if (is_json) {
      AppendJsonChunk(result.data, &json_elements);
    } else {
      std::cout.write(result.data.data(), static_cast<std::streamsize>(result.data.size()));
    }
    from = result.next;
    // --max-bytes asks for one bounded read; otherwise read to the tail.
    if (result.up_to_date || invocation.max_bytes) break;
  }
  if (is_json) std::cout << "[" << json_elements << "]\n";
  std::cout.flush();
  if (!result.up_to_date) {
    std::cerr << "ds-admin: more data follows; continue with --offset "
              << streamkeeper::FormatOffset(result.next) << "\n";
  }
  return std::cout ? kExitOk : ReportError("cannot write to stdout");
}

}  // namespace ds_admin
