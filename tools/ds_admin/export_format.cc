#include "export_format.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <limits>
#include <utility>

#include "manager/content_type.h"
#include "streamkeeper/offset.h"
#include "streamkeeper/stream_path.h"
#include "util/utf8.h"

namespace ds_admin {

using streamkeeper::Status;
namespace json = boost::json;

namespace {

// A line longer than this is refused rather than read into memory: the largest record the
// server accepts (64 MiB by default), base64-encoded and escaped, fits well within it.
constexpr size_t kMaxLineBytes = size_t{512} << 20;

std::string Line(const json::object& object) { return json::serialize(object) + "\n"; }

bool AsUint(const json::value& value, uint64_t* out) {
  if (value.is_uint64()) {
    *out = value.get_uint64();
    return true;
  }
  if (value.is_int64() && value.get_int64() >= 0) {
    *out = static_cast<uint64_t>(value.get_int64());
    return true;
  }
  return false;
}

bool AsInt(const json::value& value, int64_t* out) {
  if (value.is_int64()) {
    *out = value.get_int64();
    return true;
  }
  if (value.is_uint64() &&
      value.get_uint64() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    *out = static_cast<int64_t>(value.get_uint64());
    return true;
  }
  return false;
}

// The first key of `object` not in `known`.
std::optional<std::string> FirstUnknownKey(const json::object& object,
                                           std::initializer_list<std::string_view> known) {
  for (const auto& entry : object) {
    bool found = false;
    for (std::string_view key : known) found = found || entry.key() == key;
    if (!found) return std::string(entry.key());
  }
  return std::nullopt;
}

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

// --- writing -------------------------------------------------------------------------------------

std::string FormatLine() {
  json::object line;
  line["format"] = kExportFormatName;
  line["version"] = kExportFormatVersion;
  return Line(line);
}

std::string StreamLine(const ExportedStream& stream) {
  json::object header;
  header["path"] = stream.path;
  header["content_type"] = stream.content_type;
  header["created_at_ms"] = stream.created_at_ms;
  header["last_access_ms"] = stream.last_access_ms;
  if (stream.ttl_seconds) header["ttl_seconds"] = *stream.ttl_seconds;
  if (stream.expires_at_ms) header["expires_at_ms"] = *stream.expires_at_ms;
  header["closed"] = stream.closed;
  header["tail"] = streamkeeper::FormatOffset(stream.tail);
  if (!stream.stream_seq.empty()) header["stream_seq"] = stream.stream_seq;
  if (stream.closed_by) {
    json::object closed_by;
    closed_by["id"] = stream.closed_by->producer_id;
    closed_by["epoch"] = stream.closed_by->epoch;
    closed_by["seq"] = stream.closed_by->seq;
    header["closed_by"] = std::move(closed_by);
  }
  json::object producers;
  for (const auto& [id, state] : stream.producers) {
    json::object entry;
    entry["epoch"] = state.epoch;
    entry["seq"] = state.last_seq;
    producers[id] = std::move(entry);
  }
  header["producers"] = std::move(producers);
  json::object line;
  line["stream"] = std::move(header);
  return Line(line);
}

std::string RecordLine(const ExportedRecord& record, std::string_view content_type) {
  json::object line;
  line["offset"] = streamkeeper::FormatOffset(record.position);
  if (streamkeeper::IsTextContentType(content_type) && IsValidUtf8(record.payload)) {
    line["data"] = record.payload;
  } else {
    line["data_base64"] = Base64Encode(record.payload);
  }
  if (streamkeeper::IsJsonContentType(content_type) && record.batch_remaining != 1) {
    line["batch_remaining"] = record.batch_remaining;
  }
  return Line(line);
}

std::string EndLine(const ExportTotals& totals) {
  json::object end;
  end["streams"] = totals.streams;
  end["records"] = totals.records;
  json::object line;
  line["end"] = std::move(end);
  return Line(line);
}

// --- reading -------------------------------------------------------------------------------------

Status ExportReader::LineError(const std::string& message) const {
  return Status::BadRequest(name_ + " line " + std::to_string(line_number_) + ": " + message);
}

Status ExportReader::ReadLine(bool* eof) {
  *eof = false;
  line_.clear();
  if (!std::getline(in_, line_)) {
    if (in_.bad()) return Status::IoError("cannot read " + name_);
    *eof = true;
    return Status::Ok();
  }
  ++line_number_;
  if (line_.size() > kMaxLineBytes) return LineError("line longer than 512 MiB");
  return Status::Ok();
}

Status ExportReader::Start() {
  bool eof = false;
  Status s = ReadLine(&eof);
  if (!s.ok()) return s;
  const std::string not_export = name_ + " is not a Streamkeeper export (its first line must be " +
                                 FormatLine().substr(0, FormatLine().size() - 1) + ")";
  if (eof) return Status::BadRequest(name_ + " is empty: not a Streamkeeper export");
  boost::system::error_code ec;
  json::value value = json::parse(line_, ec);
  if (ec || !value.is_object()) return Status::BadRequest(not_export);
  const json::object& object = value.get_object();
  const json::value* format = object.if_contains("format");
  const json::value* version = object.if_contains("version");
  uint64_t number = 0;
  if (!format || !format->is_string() || format->get_string() != kExportFormatName || !version ||
      !AsUint(*version, &number)) {
    return Status::BadRequest(not_export);
  }
  if (number > kExportFormatVersion) {
    return Status::BadRequest(name_ + " is export format version " + std::to_string(number) +
                              "; this ds-admin reads version " +
                              std::to_string(kExportFormatVersion) +
                              ": import it with a newer ds-admin");
  }
  if (number < 1) return Status::BadRequest(name_ + " has export format version 0: not valid");
  return Status::Ok();
}

Status ExportReader::Next(Item* item) {
  bool eof = false;
  Status s = ReadLine(&eof);
  if (!s.ok()) return s;
  if (eof) {
    if (ended_) {
      *item = Item::kEnd;
      return Status::Ok();
    }
    return Status::BadRequest(name_ + " ends after line " + std::to_string(line_number_) +
                              " without its end line: the file is truncated");
  }
  if (ended_) return LineError("a line after the end line");
  boost::system::error_code ec;
  json::value value = json::parse(line_, ec);
  if (ec) return LineError("not valid JSON (" + ec.message() + ")");
  if (!value.is_object() || value.get_object().size() == 0) {
    return LineError("not a JSON object");
  }
  const json::object& object = value.get_object();
  if (const json::value* header = object.if_contains("stream")) {
    if (object.size() != 1 || !header->is_object()) {
      return LineError("a stream line is {\"stream\":{...}} and nothing else");
    }
    if (in_stream_) {
      if (Status done = FinishStream(); !done.ok()) return done;
    }
    *item = Item::kStream;
    return ParseStream(header->get_object());
  }
  if (object.contains("offset")) {
    if (!in_stream_) return LineError("a record line before any stream line");
    *item = Item::kRecord;
    return ParseRecord(object);
  }
  if (const json::value* end = object.if_contains("end")) {
    if (object.size() != 1 || !end->is_object()) {
      return LineError("the end line is {\"end\":{...}} and nothing else");
    }
    if (in_stream_) {
      if (Status done = FinishStream(); !done.ok()) return done;
    }
    *item = Item::kEnd;
    return ParseEnd(end->get_object());
  }
  if (object.contains("format")) return LineError("a second format line");
  return LineError("neither a stream, a record nor the end line");
}

Status ExportReader::ParseStream(const json::object& header) {
  if (auto unknown = FirstUnknownKey(
          header, {"path", "content_type", "created_at_ms", "last_access_ms", "ttl_seconds",
                   "expires_at_ms", "closed", "tail", "stream_seq", "closed_by", "producers"})) {
    return LineError("unknown stream field \"" + *unknown + "\"");
  }
  ExportedStream stream;
  const json::value* path = header.if_contains("path");
  if (!path || !path->is_string()) return LineError("the stream has no \"path\" string");
  stream.path = std::string(path->get_string());
  if (Status s = streamkeeper::CheckStreamPath(stream.path); !s.ok()) {
    return LineError("stream path '" + stream.path + "': " + s.message());
  }
  const json::value* type = header.if_contains("content_type");
  if (!type || !type->is_string() || type->get_string().empty()) {
    return LineError("the stream has no \"content_type\" string");
  }
  stream.content_type = std::string(type->get_string());
  const json::value* created = header.if_contains("created_at_ms");
  if (!created || !AsInt(*created, &stream.created_at_ms)) {
    return LineError("\"created_at_ms\" must be an integer (milliseconds since the epoch)");
  }
  stream.last_access_ms = stream.created_at_ms;
  if (const json::value* access = header.if_contains("last_access_ms")) {
    if (!AsInt(*access, &stream.last_access_ms)) {
      return LineError("\"last_access_ms\" must be an integer");
    }
  }
  if (const json::value* ttl = header.if_contains("ttl_seconds")) {
    uint64_t seconds = 0;
    if (!AsUint(*ttl, &seconds)) return LineError("\"ttl_seconds\" must be a whole number");
    stream.ttl_seconds = seconds;
  }
  if (const json::value* expires = header.if_contains("expires_at_ms")) {
    int64_t at = 0;
    if (!AsInt(*expires, &at)) return LineError("\"expires_at_ms\" must be an integer");
    stream.expires_at_ms = at;
  }
  if (stream.ttl_seconds && stream.expires_at_ms) {
    return LineError("a stream has \"ttl_seconds\" or \"expires_at_ms\", not both");
  }
  const json::value* closed = header.if_contains("closed");
  if (!closed || !closed->is_bool()) return LineError("\"closed\" must be true or false");
  stream.closed = closed->get_bool();
  const json::value* tail = header.if_contains("tail");
  std::optional<uint64_t> tail_position;
  if (tail && tail->is_string()) tail_position = streamkeeper::ParsePosition(tail->get_string());
  if (!tail_position || tail->get_string() == "-1") {
    return LineError("\"tail\" must be an offset (\"%016u_%016u\")");
  }
  stream.tail = *tail_position;
  if (const json::value* seq = header.if_contains("stream_seq")) {
    if (!seq->is_string()) return LineError("\"stream_seq\" must be a string");
    stream.stream_seq = std::string(seq->get_string());
  }
  if (const json::value* by = header.if_contains("closed_by")) {
    const json::object* tuple = by->if_object();
    streamkeeper::ProducerTuple closer;
    const json::value* id = tuple ? tuple->if_contains("id") : nullptr;
    const json::value* epoch = tuple ? tuple->if_contains("epoch") : nullptr;
    const json::value* seq = tuple ? tuple->if_contains("seq") : nullptr;
    if (!id || !id->is_string() || !epoch || !AsUint(*epoch, &closer.epoch) || !seq ||
        !AsUint(*seq, &closer.seq) || tuple->size() != 3) {
      return LineError("\"closed_by\" must be {\"id\":string,\"epoch\":n,\"seq\":n}");
    }
    closer.producer_id = std::string(id->get_string());
    stream.closed_by = std::move(closer);
  }
  if (const json::value* producers = header.if_contains("producers")) {
    if (!producers->is_object()) return LineError("\"producers\" must be an object");
    for (const auto& entry : producers->get_object()) {
      const json::object* state = entry.value().if_object();
      streamkeeper::ProducerState parsed;
      const json::value* epoch = state ? state->if_contains("epoch") : nullptr;
      const json::value* seq = state ? state->if_contains("seq") : nullptr;
      if (!epoch || !AsUint(*epoch, &parsed.epoch) || !seq || !AsUint(*seq, &parsed.last_seq) ||
          state->size() != 2) {
        return LineError("producer \"" + std::string(entry.key()) +
                         "\" must be {\"epoch\":n,\"seq\":n}");
      }
      stream.producers[std::string(entry.key())] = parsed;
    }
  }
  stream_ = std::move(stream);
  stream_is_json_ = streamkeeper::IsJsonContentType(stream_.content_type);
  in_stream_ = true;
  next_position_ = 0;
  expect_batch_remaining_ = 0;
  ++counted_.streams;
  return Status::Ok();
}

Status ExportReader::ParseRecord(const json::object& object) {
  if (auto unknown =
          FirstUnknownKey(object, {"offset", "data", "data_base64", "batch_remaining"})) {
    return LineError("unknown record field \"" + *unknown + "\"");
  }
  ExportedRecord record;
  const json::value& offset = object.at("offset");
  std::optional<uint64_t> position;
  if (offset.is_string() && offset.get_string() != "-1") {
    position = streamkeeper::ParsePosition(offset.get_string());
  }
  if (!position) return LineError("\"offset\" must be an offset (\"%016u_%016u\")");
  record.position = *position;
  const json::value* text = object.if_contains("data");
  const json::value* base64 = object.if_contains("data_base64");
  if ((text != nullptr) == (base64 != nullptr)) {
    return LineError("a record has one of \"data\" and \"data_base64\"");
  }
  if (text) {
    if (!text->is_string()) return LineError("\"data\" must be a string");
    record.payload = std::string(text->get_string());
  } else if (!base64->is_string() || !Base64Decode(base64->get_string(), &record.payload)) {
    return LineError("\"data_base64\" is not valid base64");
  }
  if (const json::value* remaining = object.if_contains("batch_remaining")) {
    if (!stream_is_json_) return LineError("\"batch_remaining\" belongs to JSON streams only");
    if (!AsUint(*remaining, &record.batch_remaining) || record.batch_remaining == 0) {
      return LineError("\"batch_remaining\" must be at least 1");
    }
  }

  if (record.position != next_position_) {
    return LineError("record at offset " + streamkeeper::FormatOffset(record.position) + " where " +
                     streamkeeper::FormatOffset(next_position_) +
                     " was due (records are contiguous from offset 0)");
  }
  if (stream_is_json_) {
    boost::system::error_code ec;
    json::parse(record.payload, ec);
    if (ec) return LineError("the message is not valid JSON (" + ec.message() + ")");
    if (expect_batch_remaining_ != 0 && record.batch_remaining != expect_batch_remaining_) {
      return LineError("\"batch_remaining\" is " + std::to_string(record.batch_remaining) +
                       " inside a batch that has " + std::to_string(expect_batch_remaining_) +
                       " left");
    }
    expect_batch_remaining_ = record.batch_remaining - 1;
    next_position_ += 1;
  } else {
    if (record.payload.empty()) return LineError("an empty record");
    if (next_position_ + record.payload.size() < next_position_) {
      return LineError("offsets overflow");
    }
    next_position_ += record.payload.size();
  }
  if (next_position_ > stream_.tail) {
    return LineError("the record ends past the stream's tail " +
                     streamkeeper::FormatOffset(stream_.tail));
  }
  record_ = std::move(record);
  ++counted_.records;
  return Status::Ok();
}

Status ExportReader::FinishStream() {
  in_stream_ = false;
  if (next_position_ != stream_.tail) {
    return LineError("stream " + stream_.path + " ends at offset " +
                     streamkeeper::FormatOffset(next_position_) + " before its tail " +
                     streamkeeper::FormatOffset(stream_.tail));
  }
  if (expect_batch_remaining_ != 0) {
    return LineError("stream " + stream_.path + " ends inside a JSON batch");
  }
  return Status::Ok();
}

Status ExportReader::ParseEnd(const json::object& end) {
  const json::value* streams = end.if_contains("streams");
  const json::value* records = end.if_contains("records");
  ExportTotals totals;
  if (!streams || !AsUint(*streams, &totals.streams) || !records ||
      !AsUint(*records, &totals.records) || end.size() != 2) {
    return LineError("the end line is {\"end\":{\"streams\":n,\"records\":n}}");
  }
  if (totals.streams != counted_.streams || totals.records != counted_.records) {
    return LineError("the end line counts " + std::to_string(totals.streams) + " streams and " +
                     std::to_string(totals.records) + " records; the file holds " +
                     std::to_string(counted_.streams) + " and " + std::to_string(counted_.records));
  }
  totals_ = totals;
  ended_ = true;
  return Status::Ok();
}

// --- helpers -------------------------------------------------------------------------------------

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  auto at = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += kBase64Alphabet[(n >> 6) & 63];
    out += kBase64Alphabet[n & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t n = at(i) << 16;
    if (rest == 2) n |= at(i + 1) << 8;
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += rest == 2 ? kBase64Alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool Base64Decode(std::string_view text, std::string* out) {
  out->clear();
  if (text.size() % 4 != 0) return false;
  out->reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    int v[4];
    int padding = 0;
    for (int k = 0; k < 4; ++k) {
      char c = text[i + k];
      if (c == '=' && last && k >= 2) {
        v[k] = 0;
        ++padding;
        continue;
      }
      if (padding > 0) return false;  // a character after '='
      v[k] = Base64Value(c);
      if (v[k] < 0) return false;
    }
    uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out->push_back(static_cast<char>((n >> 16) & 0xFF));
    if (padding < 2) out->push_back(static_cast<char>((n >> 8) & 0xFF));
    if (padding < 1) out->push_back(static_cast<char>(n & 0xFF));
  }
  return true;
}

bool IsValidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    size_t length = streamkeeper::Utf8SequenceLength(text, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

}  // namespace ds_admin
