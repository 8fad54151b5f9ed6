// RecordOutput: how `read` and `tail` print what they read, in the --format chosen
// (tools/ds_admin/README.md, "read and tail output formats").
//
// A unit is one JSON message of a JSON stream, or one append record of any other stream (cut
// where a read started inside it or a fork ends inside it); via --url, a byte stream's unit is
// what one response carried. Each is printed with the offset it starts at:
//   raw    the bytes as stored. read: JSON streams as one JSON array of every message; tail:
//          each message on its own line.
//   jsonl  one JSON object per line: {"offset":O,"data":V} for a JSON message (V the message
//          itself), {"offset":O,"text":T} when the content type is text (text/*) and the bytes
//          are valid UTF-8, else {"offset":O,"base64":B} (standard alphabet, padded).
//   json   read: one document {"path","content_type","next_offset","records":[those objects]};
//          tail: one such document per batch of arrivals, one per line.
//   hex    per unit a header line "offset O, N bytes" then a hex dump (16 bytes a line, with
//          the printable ASCII on the right).
#pragma once

#include <boost/json/array.hpp>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

#include "commands.h"

namespace ds_admin {

// The object jsonl and json print for one unit.
boost::json::object UnitJson(uint64_t position, std::string_view bytes, bool is_json,
                             bool is_text);

class RecordOutput {
 public:
  // `following`: tail (units arrive in batches, without end); else read (one answer).
  RecordOutput(std::ostream& out, ReadFormat format, bool following, std::string path,
               std::string content_type, bool is_json);

  // One unit starting at `position`.
  void Add(uint64_t position, std::string_view bytes);
  // tail: ends a batch (json: prints its document) and flushes, so that a pipe sees it now.
  void EndBatch(uint64_t next);
  // read: ends the answer (raw JSON: the array; json: the document) and flushes.
  void Finish(uint64_t next);

 private:
  // json: prints the document of the records collected so far and starts a new one.
  void PrintDocument(uint64_t next);

  std::ostream& out_;
  ReadFormat format_;
  bool following_;
  std::string path_;
  std::string content_type_;
  bool is_json_;
  bool is_text_;
  std::string raw_json_elements_;  // read, raw, JSON stream: the messages so far, comma-joined
  bool any_raw_json_ = false;
  boost::json::array records_;     // json: the units of the document being built
};

}  // namespace ds_admin
