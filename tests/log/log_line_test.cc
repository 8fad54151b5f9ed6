// Event log lines: text fields are one token each or quoted; JSON payloads are valid JSON
// whatever bytes a message or field holds (control characters, invalid UTF-8).
#include "util/log_line.h"

#include <spdlog/details/log_msg.h>
#include <spdlog/pattern_formatter.h>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace streamkeeper::log {
namespace {

// A JSON payload as the object spdlog's pattern makes of it (without the timestamp).
boost::json::object ParsePayload(const std::string& payload) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse("{" + payload + "}", ec);
  EXPECT_FALSE(ec) << payload;
  return ec ? boost::json::object() : value.as_object();
}

TEST(LogLineTest, TextIsLevelMessageAndKeyValueFields) {
  const Field fields[] = {{"port", 4437}, {"path", "/v1/stream/a b"}, {"ok", true},
                          {"ms", 1.5}, {"empty", ""}, {"big", uint64_t{18446744073709551615u}}};
  EXPECT_EQ(FormatEvent(Format::kText, LogLevel::kWarn, "hello world", fields),
            "warn hello world port=4437 path=\"/v1/stream/a b\" ok=true ms=1.500 empty=\"\" "
            "big=18446744073709551615");
}

TEST(LogLineTest, TextMessageStaysOnOneLine) {
  EXPECT_EQ(FormatEvent(Format::kText, LogLevel::kInfo, "two\nlines\r", {}), "info two lines ");
}

TEST(LogLineTest, JsonHasLevelMsgAndTypedFields) {
  const Field fields[] = {{"port", 4437}, {"host", "127.0.0.1"}, {"ok", false}, {"ms", 0.25}};
  boost::json::object line =
      ParsePayload(FormatEvent(Format::kJson, LogLevel::kError, "cannot \"open\"", fields));
  EXPECT_EQ(line.at("level").as_string(), "error");
  EXPECT_EQ(line.at("msg").as_string(), "cannot \"open\"");
  EXPECT_EQ(line.at("port").as_int64(), 4437);
  EXPECT_EQ(line.at("host").as_string(), "127.0.0.1");
  EXPECT_EQ(line.at("ok").as_bool(), false);
  EXPECT_DOUBLE_EQ(line.at("ms").as_double(), 0.25);
}

TEST(LogLineTest, JsonStaysValidForAnyBytes) {
  std::string every_byte;
  for (int c = 0; c < 256; ++c) every_byte.push_back(static_cast<char>(c));
  const std::string samples[] = {
      every_byte,
      "\xC3\xA9t\xC3\xA9",  // valid UTF-8 is kept
      "\xC0\xAF",           // overlong
      "\xED\xA0\x80",       // surrogate
      "\xF4\x90\x80\x80",   // past U+10FFFF
      "\xE2\x82",           // cut short
  };
  for (const std::string& sample : samples) {
    const Field fields[] = {{"field", sample}};
    std::string payload = FormatEvent(Format::kJson, LogLevel::kInfo, sample, fields);
    EXPECT_EQ(payload.find('\n'), std::string::npos);
    boost::json::object line = ParsePayload(payload);
    EXPECT_TRUE(line.contains("msg") && line.contains("field")) << payload;
  }
  std::string out;
  AppendJsonString("\xC3\xA9t\xC3\xA9", &out);
  EXPECT_EQ(out, "\"\xC3\xA9t\xC3\xA9\"");
  out.clear();
  AppendJsonString("a\xFF" "b", &out);
  EXPECT_EQ(out, "\"a\\ufffdb\"");
}

TEST(LogLineTest, PatternsPutATimestampFirst) {
  EXPECT_EQ(LinePattern(Format::kText), "%Y-%m-%dT%H:%M:%S.%eZ %v");
  EXPECT_EQ(LinePattern(Format::kJson), R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ",%v})");
}

// The access log frames its own lines; they must read exactly like the event log's, which
// spdlog writes from LinePattern.
TEST(LogLineTest, BeginAndEndLineWriteWhatThePatternWrites) {
  using std::chrono::milliseconds;
  // 2026-12-07T16:55:09.123Z, then the same second's 5 ms (the cached part reused, the
  // milliseconds zero-padded), then a second later.
  const auto base = std::chrono::system_clock::time_point(milliseconds(1796662509123));
  for (Format format : {Format::kText, Format::kJson}) {
    spdlog::pattern_formatter spdlog_line(LinePattern(format), spdlog::pattern_time_type::utc);
    for (auto time : {base, base - milliseconds(118), base + milliseconds(1000)}) {
      const std::string payload = format == Format::kJson ? R"("msg":"x")" : "info x";
      spdlog::details::log_msg message(time, spdlog::source_loc{}, "", spdlog::level::info,
                                       payload);
      spdlog::memory_buf_t expected;
      spdlog_line.format(message, expected);
      std::string ours;
      BeginLine(format, time, &ours);
      ours += payload;
      EndLine(format, &ours);
      EXPECT_EQ(ours, std::string(expected.data(), expected.size()));
    }
  }
  std::string ours;
  BeginLine(Format::kText, base, &ours);
  EXPECT_EQ(ours, "2026-12-07T16:55:09.123Z ");
}

}  // namespace
}  // namespace streamkeeper::log
