// Pins ds-bench's body decoders: every split of the input must decode the same way, since the
// network may cut a response anywhere.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "chunked_decoder.h"
#include "sse_parser.h"

namespace dsbench {
namespace {

using Event = std::pair<std::string, std::string>;

std::vector<Event> ParseInSlices(std::string_view body, size_t slice) {
  SseParser parser;
  std::vector<Event> events;
  const SseEventHandler collect = [&](std::string_view type, std::string_view data) {
    events.emplace_back(type, data);
  };
  for (size_t i = 0; i < body.size(); i += slice) parser.Feed(body.substr(i, slice), collect);
  return events;
}

struct Decoded {
  std::string data;
  ChunkedDecoder::Result result = ChunkedDecoder::Result::kMore;
};

Decoded DechunkInSlices(std::string_view body, size_t slice) {
  ChunkedDecoder decoder;
  Decoded out;
  std::vector<std::string_view> pieces;
  for (size_t i = 0; i < body.size(); i += slice) {
    pieces.clear();
    out.result = decoder.Feed(body.substr(i, slice), &pieces);
    for (auto piece : pieces) out.data.append(piece);
    if (out.result != ChunkedDecoder::Result::kMore) break;
  }
  return out;
}

TEST(SseParserTest, EventsSurviveEverySplit) {
  const std::string body =
      "event: data\ndata:[1,2]\n\n"
      ": heartbeat\n\n"
      "event: control\r\ndata: {\"streamNextOffset\":\"0_5\"}\r\n\r\n"
      "data:first\rdata:second\r\rdata:untyped\n\n";
  const std::vector<Event> expected = {{"data", "[1,2]"},
                                       {"control", "{\"streamNextOffset\":\"0_5\"}"},
                                       {"message", "first\nsecond"},
                                       {"message", "untyped"}};
  for (size_t slice = 1; slice <= body.size(); ++slice) {
    EXPECT_EQ(ParseInSlices(body, slice), expected) << "slice " << slice;
  }
}

TEST(SseParserTest, EventWithoutBlankLineIsNotDispatched) {
  EXPECT_TRUE(ParseInSlices("event: data\ndata:x\n", 4).empty());
}

TEST(SseParserTest, ExtractsStringFieldsOfControlEvents) {
  const std::string json = R"({"streamCursor":"7","streamNextOffset":"0000_0012","upToDate":true})";
  EXPECT_EQ(ExtractJsonStringField(json, "streamNextOffset"), "0000_0012");
  EXPECT_EQ(ExtractJsonStringField(json, "streamCursor"), "7");
  EXPECT_EQ(ExtractJsonStringField(json, "Offset"), "");  // only whole field names match
  EXPECT_EQ(ExtractJsonStringField(json, "missing"), "");
}

TEST(ChunkedDecoderTest, DecodesEverySplit) {
  const std::string body = "5\r\nhello\r\n1;name=value\r\n,\r\nA\r\n0123456789\r\n0\r\n\r\n";
  for (size_t slice = 1; slice <= body.size(); ++slice) {
    const Decoded decoded = DechunkInSlices(body, slice);
    EXPECT_EQ(decoded.result, ChunkedDecoder::Result::kDone) << "slice " << slice;
    EXPECT_EQ(decoded.data, "hello,0123456789") << "slice " << slice;
  }
}

TEST(ChunkedDecoderTest, SkipsTrailerFields) {
  const Decoded decoded = DechunkInSlices("2\r\nab\r\n0\r\nX-Trailer: 1\r\n\r\n", 3);
  EXPECT_EQ(decoded.result, ChunkedDecoder::Result::kDone);
  EXPECT_EQ(decoded.data, "ab");
}

TEST(ChunkedDecoderTest, UnfinishedBodyAsksForMore) {
  const Decoded decoded = DechunkInSlices("a\r\n01234", 100);
  EXPECT_EQ(decoded.result, ChunkedDecoder::Result::kMore);
  EXPECT_EQ(decoded.data, "01234");
}

TEST(ChunkedDecoderTest, RejectsBrokenFraming) {
  EXPECT_EQ(DechunkInSlices("zz\r\n", 100).result, ChunkedDecoder::Result::kError);
  EXPECT_EQ(DechunkInSlices("\r\n", 100).result, ChunkedDecoder::Result::kError);
  EXPECT_EQ(DechunkInSlices("2\r\nabc\r\n", 100).result, ChunkedDecoder::Result::kError);
  EXPECT_EQ(DechunkInSlices("2\nab\r\n", 100).result, ChunkedDecoder::Result::kError);
  EXPECT_EQ(DechunkInSlices("1000000000000000\r\n", 100).result, ChunkedDecoder::Result::kError);
}

}  // namespace
}  // namespace dsbench
