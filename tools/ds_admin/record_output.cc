#include "record_output.h"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <ostream>

#include "manager/content_type.h"
#include "text_codec.h"
#include "streamkeeper/offset.h"

namespace ds_admin {

namespace {

void HexDump(std::ostream& out, uint64_t position, std::string_view bytes) {
  out << "offset " << streamkeeper::FormatOffset(position) << ", " << bytes.size() << " bytes\n";
  char line[100];
  for (size_t row = 0; row < bytes.size(); row += 16) {
    int n = std::snprintf(line, sizeof line, "%08zx ", row);
    std::string ascii;
    for (size_t k = 0; k < 16; ++k) {
      if (row + k < bytes.size()) {
        uint8_t c = bytes[row + k];
        n += std::snprintf(line + n, sizeof line - n, " %02x", c);
        ascii += (c >= 0x20 && c < 0x7f) ? char(c) : '.';
      } else {
        n += std::snprintf(line + n, sizeof line - n, "   ");
      }
      if (k == 7) n += std::snprintf(line + n, sizeof line - n, " ");
    }
    out << line << "  |" << ascii << "|\n";
  }
}

}  // namespace

std::string UnitJson(uint64_t position, std::string_view bytes, bool is_json, bool is_text) {
  std::string unit = "{\"offset\":\"" + streamkeeper::FormatOffset(position) + "\",";
  if (is_json) {
    // Validated only; the message is printed as stored (CompactJson), never re-serialized.
    boost::system::error_code ec;
    boost::json::parse(bytes, ec);
    if (!ec) return unit + "\"data\":" + CompactJson(bytes) + "}";
  }
  if ((is_text || is_json) && IsValidUtf8(bytes)) {
    return unit + "\"text\":" + boost::json::serialize(boost::json::string_view(bytes)) + "}";
  }
  return unit + "\"base64\":\"" + Base64Encode(bytes) + "\"}";
}

RecordOutput::RecordOutput(std::ostream& out, ReadFormat format, bool following, std::string path,
                           std::string content_type, bool is_json)
    : out_(out),
      format_(format),
      following_(following),
      path_(std::move(path)),
      content_type_(std::move(content_type)),
      is_json_(is_json),
      is_text_(streamkeeper::IsTextContentType(content_type_)) {}

void RecordOutput::Add(uint64_t position, std::string_view bytes) {
  switch (format_) {
    case ReadFormat::kRaw:
      if (!is_json_) {
        out_.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      } else if (following_) {
        out_ << CompactJson(bytes) << "\n";  // one message per line
      } else {
        if (any_raw_json_) raw_json_elements_.push_back(',');
        raw_json_elements_.append(bytes);
        any_raw_json_ = true;
      }
      break;
    case ReadFormat::kJsonl:
      out_ << UnitJson(position, bytes, is_json_, is_text_) << "\n";
      break;
    case ReadFormat::kJson:
      if (!records_.empty()) records_.push_back(',');
      records_ += UnitJson(position, bytes, is_json_, is_text_);
      break;
    case ReadFormat::kHex:
      HexDump(out_, position, bytes);
      break;
  }
}

void RecordOutput::PrintDocument(uint64_t next) {
  // Built as text: the records hold stored JSON messages verbatim (UnitJson).
  boost::json::object head{{"path", path_},
                           {"content_type", content_type_},
                           {"next_offset", streamkeeper::FormatOffset(next)}};
  std::string document = boost::json::serialize(head);
  document.pop_back();  // the closing brace
  out_ << document << ",\"records\":[" << records_ << "]}\n";
  records_.clear();
}

void RecordOutput::EndBatch(uint64_t next) {
  if (format_ == ReadFormat::kJson && !records_.empty()) {
    PrintDocument(next);
  }
  out_.flush();
}

void RecordOutput::Finish(uint64_t next) {
  if (format_ == ReadFormat::kRaw && is_json_) out_ << "[" << raw_json_elements_ << "]\n";
  if (format_ == ReadFormat::kJson) {
    PrintDocument(next);
  }
  out_.flush();
}

}  // namespace ds_admin
