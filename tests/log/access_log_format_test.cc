// Access log lines: the fields of a CompletedRequest, and nothing else.
#include "http/access_log.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace streamkeeper {
namespace {

// The payload as the JSON object spdlog's pattern makes of it (without the timestamp).
boost::json::object ParseJsonPayload(const CompletedRequest& request) {
  std::string line = "{";
  line += AccessLog::FormatPayload(log::Format::kJson, request);
  line += "}";
  return boost::json::parse(line).as_object();
}

CompletedRequest Append() {
  CompletedRequest request;
  request.method = "POST";
  request.target = "/v1/stream/a?x=1";
  request.route = RouteKind::kAppend;
  request.status = 204;
  request.bytes_in = 5;
  request.bytes_out = 180;
  request.duration = std::chrono::microseconds(412);
  request.request_id = "6f1c0a9e2b7d4c11";
  return request;
}

TEST(AccessLogFormatTest, TextLine) {
  EXPECT_EQ(AccessLog::FormatPayload(log::Format::kText, Append()),
            "POST /v1/stream/a?x=1 204 bytes_in=5 bytes_out=180 duration_ms=0.412 route=append "
            "request_id=6f1c0a9e2b7d4c11");
}

TEST(AccessLogFormatTest, JsonLine) {
  boost::json::object line = ParseJsonPayload(Append());
  EXPECT_EQ(line.size(), 8u) << boost::json::serialize(line);
  EXPECT_EQ(line.at("method").as_string(), "POST");
  EXPECT_EQ(line.at("path").as_string(), "/v1/stream/a?x=1");
  EXPECT_EQ(line.at("status").as_int64(), 204);
  EXPECT_EQ(line.at("bytes_in").to_number<int64_t>(), 5);
  EXPECT_EQ(line.at("bytes_out").to_number<int64_t>(), 180);
  EXPECT_DOUBLE_EQ(line.at("duration_ms").as_double(), 0.412);
  EXPECT_EQ(line.at("route").as_string(), "append");
  EXPECT_EQ(line.at("request_id").as_string(), "6f1c0a9e2b7d4c11");
}

TEST(AccessLogFormatTest, RefusedConnectionHasNoMethodOrPath) {
  CompletedRequest refused;
  refused.status = 503;
  refused.request_id = "r1";
  EXPECT_EQ(AccessLog::FormatPayload(log::Format::kText, refused).rfind("- - 503 bytes_in=0", 0),
            0u);
  boost::json::object line = ParseJsonPayload(refused);
  EXPECT_EQ(line.at("method").as_string(), "");
  EXPECT_EQ(line.at("path").as_string(), "");
}

TEST(AccessLogFormatTest, OddTargetIsQuotedInTextAndValidInJson) {
  CompletedRequest odd = Append();
  odd.target = "/v1/stream/\"q\"\\\x01";
  std::string text = AccessLog::FormatPayload(log::Format::kText, odd);
  EXPECT_EQ(text.rfind(R"(POST "/v1/stream/\"q\"\\\u0001" 204)", 0), 0u) << text;
  boost::json::object line = ParseJsonPayload(odd);
  EXPECT_EQ(line.at("path").as_string(), odd.target);
}

}  // namespace
}  // namespace streamkeeper
