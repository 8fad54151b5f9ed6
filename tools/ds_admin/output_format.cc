#include "output_format.h"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <iostream>

#include "commands.h"
#include "stream_checks.h"
#include "streamkeeper/offset.h"

namespace ds_admin {

using streamkeeper::StreamMeta;

int ReportError(const std::string& message) {
  std::cerr << "ds-admin: " << message << "\n";
  return kExitError;
}

int ReportError(const streamkeeper::Status& status) { return ReportError(status.message()); }

std::string FormatTimeMs(int64_t ms) {
  int64_t seconds = ms / 1000;
  int64_t millis = ms % 1000;
  if (millis < 0) {
    millis += 1000;
    --seconds;
  }
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  if (!gmtime_r(&t, &tm)) return std::to_string(ms) + "ms";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis));
  return buf;
}

std::string FormatSize(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  std::string out = std::to_string(bytes) + " bytes";
  if (bytes < 1024) return out;
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  for (value /= 1024; value >= 1024 && unit + 1 < std::size(kUnits); value /= 1024) ++unit;
  char buf[32];
  std::snprintf(buf, sizeof buf, " (%.1f %s)", value, kUnits[unit]);
  return out + buf;
}

std::string FormatLifetime(const StreamMeta& meta, int64_t now_ms) {
  std::string out;
  if (meta.ttl_seconds) out = "ttl " + std::to_string(*meta.ttl_seconds) + "s";
  if (meta.expires_at_ms) {
    if (!out.empty()) out += ", ";
    out += "expires " + FormatTimeMs(*meta.expires_at_ms);
  }
  if (out.empty()) return "-";
  if (IsExpired(meta, now_ms)) out += " (expired)";
  return out;
}

TextTable::TextTable(std::vector<std::string> header) { rows_.push_back(std::move(header)); }

void TextTable::AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

void TextTable::Print(std::ostream& out) const {
  std::vector<size_t> widths;
  for (const auto& row : rows_) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows_) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    out << line << "\n";
  }
}

boost::json::object StreamMetaJson(const StreamMeta& meta, int64_t now_ms) {
  boost::json::object o;
  o["path"] = meta.path;
  o["generation"] = meta.generation;
  o["content_type"] = meta.content_type;
  o["tail"] = meta.tail;
  o["tail_offset"] = streamkeeper::FormatOffset(meta.tail);
  o["closed"] = meta.closed;
  o["ttl_seconds"] = meta.ttl_seconds ? boost::json::value(*meta.ttl_seconds) : nullptr;
  o["expires_at_ms"] = meta.expires_at_ms ? boost::json::value(*meta.expires_at_ms) : nullptr;
  o["expired"] = IsExpired(meta, now_ms);
  o["created_at_ms"] = meta.created_at_ms;
  o["created_at"] = FormatTimeMs(meta.created_at_ms);
  o["last_access_ms"] = meta.last_access_ms;
  o["last_stream_seq"] = meta.last_stream_seq;
  if (meta.closed_by) {
    o["closed_by"] = {{"producer_id", meta.closed_by->producer_id},
                      {"epoch", meta.closed_by->epoch},
                      {"seq", meta.closed_by->seq}};
  } else {
    o["closed_by"] = nullptr;
  }
  o["soft_deleted"] = meta.soft_deleted;
  o["fork_parent"] =
      meta.fork_parent.empty() ? boost::json::value(nullptr) : boost::json::value(meta.fork_parent);
  o["fork_parent_generation"] = meta.fork_parent_generation;
  o["fork_position"] = meta.fork_position;
  o["fork_anchor"] = meta.fork_anchor;
  o["fork_sub_offset"] = meta.fork_sub_offset;
  o["fork_refcount"] = meta.fork_refcount;
  return o;
}

namespace {

void PrintIndented(std::ostream& out, const boost::json::value& value, int depth) {
  auto indent = [&](int d) { out << std::string(static_cast<size_t>(d) * 2, ' '); };
  if (value.is_object() && !value.get_object().empty()) {
    out << "{\n";
    const auto& object = value.get_object();
    size_t i = 0;
    for (const auto& [key, member] : object) {
      indent(depth + 1);
      out << boost::json::serialize(boost::json::string(key)) << ": ";
      PrintIndented(out, member, depth + 1);
      out << (++i < object.size() ? ",\n" : "\n");
    }
    indent(depth);
    out << "}";
    return;
  }
  if (value.is_array() && !value.get_array().empty()) {
    out << "[\n";
    const auto& array = value.get_array();
    for (size_t i = 0; i < array.size(); ++i) {
      indent(depth + 1);
      PrintIndented(out, array[i], depth + 1);
      out << (i + 1 < array.size() ? ",\n" : "\n");
    }
    indent(depth);
    out << "]";
    return;
  }
  out << boost::json::serialize(value);
}

}  // namespace

void PrintJson(std::ostream& out, const boost::json::value& value) {
  PrintIndented(out, value, 0);
  out << "\n";
}

}  // namespace ds_admin
