// LoadAllStreams() (streamkeeper/storage.h): every stream, page by page, over any backend. Its
// own library (streamkeeper_storage_scan) so that the storage tests and tools need no manager.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "streamkeeper/storage.h"

namespace streamkeeper {
namespace {

constexpr size_t kPageSize = 1000;

}  // namespace

Status LoadAllStreams(Storage& storage, std::vector<LoadedStream>* out) {
  std::vector<StreamMeta> page;
  std::string start_after;
  do {
    page.clear();
    Status status = storage.list_streams("", start_after, kPageSize, &page);
    if (!status.ok()) return status;
    for (const StreamMeta& listed : page) {
      std::optional<LoadedStream> stream;
      status = storage.load_stream(listed.path, &stream);
      if (!status.ok()) return status;
      // Gone between the page and the load (a concurrent erase): not stored any more.
      if (stream) out->push_back(std::move(*stream));
    }
    if (!page.empty()) start_after = page.back().path;
  } while (page.size() == kPageSize);
  return Status::Ok();
}

}  // namespace streamkeeper
