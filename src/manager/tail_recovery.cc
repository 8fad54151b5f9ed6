#include "manager/tail_recovery.h"

#include <algorithm>

#include "manager/content_type.h"

namespace streamkeeper {

void RecoverTail(LoadedStream* stream) {
  if (!stream->last_record) return;
  const Record& last = *stream->last_record;
  uint64_t units = IsJsonContentType(stream->meta.content_type) ? 1 : last.value.size();
  stream->meta.tail = std::max(stream->meta.tail, last.position + units);
}

}  // namespace streamkeeper
