// The two formats of a log line, shared by the event log (util/log.h) and the access log
// (http/access_log.h). For the event log spdlog writes the timestamp (LinePattern); the access
// log, which builds whole lines itself, frames its payload with BeginLine/EndLine, which write
// exactly what that pattern does (a test holds them to it). The other functions format the rest
// of the line, the part spdlog calls the payload.
//
//   text:  2026-12-07T16:55:09.123Z info listening on http://127.0.0.1:4437 storage=rocksdb
//   json:  {"ts":"2026-12-07T16:55:09.123Z","level":"info","msg":"listening on ...","storage":"rocksdb"}
//
// Text field values are written bare when they hold only printable ASCII other than space, quote
// and backslash (a value's '=' is no ambiguity: a field ends at a space); otherwise quoted, with
// the JSON escapes. JSON strings are always
// valid JSON, whatever bytes they are given: control characters are escaped and bytes that are
// not UTF-8 become U+FFFD, so one line is always one parseable object.
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>

#include "util/log.h"

namespace streamkeeper::log {

// The spdlog pattern of a line in `format` (the timestamp in UTC, then the payload).
std::string LinePattern(Format format);

// What comes before and after the payload of a line in `format`, as LinePattern(format) writes
// it for a line logged at `time`: text "2026-12-07T16:55:09.123Z " and "\n"; JSON
// "{\"ts\":\"2026-12-07T16:55:09.123Z\"," and "}\n". Thread-safe.
void BeginLine(Format format, std::chrono::system_clock::time_point time, std::string* out);
void EndLine(Format format, std::string* out);

// The payload of an event line: text "LEVEL MESSAGE k=v ...", json "\"level\":...,\"msg\":...".
std::string FormatEvent(Format format, LogLevel level, std::string_view message,
                        std::span<const Field> fields);

// Appends each field: text " key=value", json ",\"key\":value".
void AppendFields(Format format, std::span<const Field> fields, std::string* out);

// Appends `text` as a JSON string, quotes included.
void AppendJsonString(std::string_view text, std::string* out);

// Appends `text` as a text-format value: bare, or quoted and escaped (see above).
void AppendTextValue(std::string_view text, std::string* out);

}  // namespace streamkeeper::log
