// ExportFormat: the portable, versioned JSON-lines file of `ds-admin export` and `import`.
//
// The format is specified in tools/ds_admin/README.md ("Export format"); this file is its one
// implementation. A file is: a format line, then per stream a header line followed by one line
// per record, then an end line with the totals. Writing is a set of pure functions, one per
// line; reading is ExportReader, which checks everything an import relies on (syntax, version,
// offsets contiguous from 0 up to the stream's tail, JSON batch runs, totals) and names the line
// of the first problem, so that an import can check a whole file before it writes anything.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>

#include "streamkeeper/status.h"
#include "streamkeeper/stream_state.h"

namespace ds_admin {

inline constexpr std::string_view kExportFormatName = "streamkeeper-export";
inline constexpr uint64_t kExportFormatVersion = 1;

// One stream's header line: everything needed to recreate it, bar its records. A fork is
// exported flattened (a plain stream holding its source's units below the fork position), so
// there are no fork fields. Times are milliseconds since the Unix epoch.
struct ExportedStream {
  std::string path;
  std::string content_type;
  int64_t created_at_ms = 0;
  int64_t last_access_ms = 0;  // a sliding TTL runs from here
  std::optional<uint64_t> ttl_seconds;
  std::optional<int64_t> expires_at_ms;
  bool closed = false;
  uint64_t tail = 0;       // the position after the last record
  std::string stream_seq;  // the last accepted Stream-Seq; empty when none
  std::optional<streamkeeper::ProducerTuple> closed_by;
  streamkeeper::ProducerMap producers;
};

// One record line. `payload` is the bytes (byte streams) or one message's JSON text (JSON
// streams, where batch_remaining counts the messages from this one to the end of its append).
struct ExportedRecord {
  uint64_t position = 0;
  std::string payload;
  uint64_t batch_remaining = 1;
};

struct ExportTotals {
  uint64_t streams = 0;
  uint64_t records = 0;
};

// Each returns one line, newline included.
std::string FormatLine();
std::string StreamLine(const ExportedStream& stream);
// The payload is written as text ("data") for text/* and JSON streams when it is valid UTF-8,
// as base64 ("data_base64") otherwise; batch_remaining only for JSON streams, and only when it
// is not 1.
std::string RecordLine(const ExportedRecord& record, std::string_view content_type);
std::string EndLine(const ExportTotals& totals);

// Reads an export file line by line, in bounded memory (one line at a time).
class ExportReader {
 public:
  enum class Item {
    kStream,  // stream() holds a new stream's header
    kRecord,  // record() holds the next record of that stream
    kEnd,     // the end line: totals() holds it, and nothing follows
  };

  // `name` is how messages name the file.
  ExportReader(std::istream& in, std::string name) : in_(in), name_(std::move(name)) {}

  // Reads the format line. kBadRequest "<name> is not a Streamkeeper export ..." or "... is
  // export format version N; this ds-admin reads version 1" (a newer file).
  streamkeeper::Status Start();

  // Reads the next item. kBadRequest "<name> line N: ..." on a malformed line or a broken
  // rule; kIoError when the file cannot be read. A call after kEnd answers kEnd again at the end
  // of the file, and an error if any line follows the end line.
  streamkeeper::Status Next(Item* item);

  const ExportedStream& stream() const { return stream_; }
  bool stream_is_json() const { return stream_is_json_; }
  const ExportedRecord& record() const { return record_; }
  const ExportTotals& totals() const { return totals_; }
  uint64_t line_number() const { return line_number_; }

 private:
  streamkeeper::Status LineError(const std::string& message) const;
  streamkeeper::Status FinishStream();  // checks the stream read so far ends at its tail
  streamkeeper::Status ReadLine(bool* eof);
  streamkeeper::Status ParseStream(const boost::json::object& object);
  streamkeeper::Status ParseRecord(const boost::json::object& object);
  streamkeeper::Status ParseEnd(const boost::json::object& object);

  std::istream& in_;
  std::string name_;
  std::string line_;
  uint64_t line_number_ = 0;
  bool in_stream_ = false;
  bool ended_ = false;
  ExportedStream stream_;
  bool stream_is_json_ = false;
  uint64_t next_position_ = 0;           // where the stream's next record must start
  uint64_t expect_batch_remaining_ = 0;  // JSON: 0 when a new batch may start
  ExportedRecord record_;
  ExportTotals counted_;
  ExportTotals totals_;
};

// Standard base64 (RFC 4648 §4, padded).
std::string Base64Encode(std::string_view bytes);
// Strict: false on any character outside the alphabet, bad padding or length.
bool Base64Decode(std::string_view text, std::string* out);

// True when `text` is entirely valid UTF-8.
bool IsValidUtf8(std::string_view text);

}  // namespace ds_admin
