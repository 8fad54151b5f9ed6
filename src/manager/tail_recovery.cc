#include "manager/tail_recovery.h"

#include <algorithm>

#include "manager/content_type.h"
#include "manager/record_units.h"

namespace streamkeeper {

void RecoverTail(LoadedStream* stream) {
  if (!stream->last_record) return;
  bool is_json = IsJsonContentType(stream->meta.content_type);
  stream->meta.tail = std::max(stream->meta.tail, RecordEnd(is_json, *stream->last_record));
}

}  // namespace streamkeeper
