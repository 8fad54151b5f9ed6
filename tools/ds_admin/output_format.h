// OutputFormat: how ds-admin renders errors, times, sizes, tables and stream metadata.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "streamkeeper/status.h"
#include "streamkeeper/stream_state.h"

namespace ds_admin {

// Prints "ds-admin: <message>" on stderr and returns kExitError.
int ReportError(const std::string& message);
int ReportError(const streamkeeper::Status& status);

// Milliseconds since the epoch as ISO 8601 UTC: "2024-05-01T12:00:00.123Z".
std::string FormatTimeMs(int64_t ms);

// "1234 bytes (1.2 KiB)".
std::string FormatSize(uint64_t bytes);

// The stream's lifetime rule: "ttl 60s", "expires <time>", both, or "-"; " (expired)" appended
// when it has passed at now_ms.
std::string FormatLifetime(const streamkeeper::StreamMeta& meta, int64_t now_ms);

// A left-aligned text table with a header row, columns separated by two spaces.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header);
  void AddRow(std::vector<std::string> row);
  void Print(std::ostream& out) const;

 private:
  std::vector<std::vector<std::string>> rows_;  // rows_[0] is the header
};

// Every field of a stream's metadata, plus derived "tail_offset", "created_at" and "expired".
boost::json::object StreamMetaJson(const streamkeeper::StreamMeta& meta, int64_t now_ms);

// Pretty-prints JSON with two-space indentation and a final newline.
void PrintJson(std::ostream& out, const boost::json::value& value);

}  // namespace ds_admin
