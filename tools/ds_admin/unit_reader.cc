#include "unit_reader.h"

#include <algorithm>

namespace ds_admin {

namespace {
constexpr size_t kChunkBytes = 1 << 20;
}  // namespace

UnitReadEnd ReadUnits(streamkeeper::StreamManager& manager, const std::string& path,
                      const streamkeeper::StreamInfo& info, uint64_t from, bool records,
                      UnitLimits limits, RecordOutput& output) {
  const bool one_record_per_read = records && !info.is_json;
  UnitReadEnd end;
  end.next = from;
  size_t payload = 0;
  for (;;) {
    streamkeeper::ReadOptions options;
    options.max_bytes =
        one_record_per_read ? 1 : std::min(kChunkBytes, limits.payload_bytes - payload);
    streamkeeper::ReadResult result = manager.read_messages(path, end.next, options);
    if (!result.status.ok()) {
      end.status = result.status;
      return end;
    }
    uint64_t start = end.next;
    if (result.is_json) {
      size_t taken = 0;
      for (const std::string& message : result.messages) {
        if (end.units == limits.units) break;
        output.Add(start + taken, message);
        ++taken;
        ++end.units;
        payload += message.size();
      }
      end.next = start + taken;
      end.up_to_date = result.up_to_date && taken == result.messages.size();
    } else {
      if (!result.data.empty()) {
        output.Add(start, result.data);
        ++end.units;
        payload += result.data.size();
      }
      end.next = result.next;
      end.up_to_date = result.up_to_date;
    }
    end.closed = result.closed && end.up_to_date;
    if (end.up_to_date || end.units >= limits.units || payload >= limits.payload_bytes) break;
    if (end.next <= start) break;  // no progress (cannot happen): never spin
  }
  return end;
}

}  // namespace ds_admin
