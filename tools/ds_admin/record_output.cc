#include "record_output.h"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <ostream>

#include "manager/content_type.h"
#include "streamkeeper/offset.h"

namespace ds_admin {

namespace {

std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (size_t left = bytes.size() - i; left > 0) {
    uint32_t n = uint8_t(bytes[i]) << 16;
    if (left == 2) n |= uint8_t(bytes[i + 1]) << 8;
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += left == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// Well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF): what a JSON
// string may carry. A record cut inside a character (a fork's sub-offset) is not.
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    uint8_t c = s[i];
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated
    for (size_t k = 1; k <= n; ++k) {
      uint8_t cc = s[i + k];
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

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

boost::json::object UnitJson(uint64_t position, std::string_view bytes, bool is_json,
                             bool is_text) {
  boost::json::object unit;
  unit["offset"] = streamkeeper::FormatOffset(position);
  if (is_json) {
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(bytes, ec);
    if (!ec) {
      unit["data"] = std::move(value);
      return unit;
    }
  }
  if ((is_text || is_json) && IsValidUtf8(bytes)) {
    unit["text"] = bytes;
  } else {
    unit["base64"] = Base64(bytes);
  }
  return unit;
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
        out_ << bytes << "\n";
      } else {
        if (any_raw_json_) raw_json_elements_.push_back(',');
        raw_json_elements_.append(bytes);
        any_raw_json_ = true;
      }
      break;
    case ReadFormat::kJsonl:
      out_ << boost::json::serialize(UnitJson(position, bytes, is_json_, is_text_)) << "\n";
      break;
    case ReadFormat::kJson:
      records_.push_back(UnitJson(position, bytes, is_json_, is_text_));
      break;
    case ReadFormat::kHex:
      HexDump(out_, position, bytes);
      break;
  }
}

void RecordOutput::PrintDocument(uint64_t next) {
  boost::json::object document{{"path", path_},
                               {"content_type", content_type_},
                               {"next_offset", streamkeeper::FormatOffset(next)},
                               {"records", std::move(records_)}};
  records_ = {};
  out_ << boost::json::serialize(document) << "\n";
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
