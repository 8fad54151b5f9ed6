// SplitJsonMessages (src/manager/json_messages.h): what a JSON append stores.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "manager/json_messages.h"

namespace streamkeeper {
namespace {

std::vector<std::string> Split(std::string_view body) {
  std::vector<std::string> messages;
  Status s = SplitJsonMessages(body, &messages);
  EXPECT_TRUE(s.ok()) << body << ": " << s.message();
  return messages;
}

// Found by tests/fuzz/json_messages_fuzzer: Boost.JSON 1.81 parses 111111113.111111111 to a
// double one ulp apart depending on what follows it in the body. Harmless only because each
// message is stored as its original text, never re-serialised from the parsed value: pinned here.
TEST(JsonMessagesTest, MessagesKeepTheirOriginalText) {
  EXPECT_EQ(Split(R"([111111113.111111111,"a",111,null])"),
            (std::vector<std::string>{"111111113.111111111", R"("a")", "111", "null"}));
  EXPECT_EQ(Split(" 1.50e+2 "), std::vector<std::string>{"1.50e+2"});
  EXPECT_EQ(Split(R"([ {"k" : "\u00e9"} ,[1, 2]])"),
            (std::vector<std::string>{R"({"k" : "\u00e9"})", "[1, 2]"}));
}

// Found by the json_messages fuzz target: Boost.JSON 1.81 parses a zero with a huge exponent
// (0e400) to NaN, which compares unequal to itself. It is still valid JSON, accepted, and kept
// as written, so readers get exactly "0e9442" back.
TEST(JsonMessagesTest, AZeroWithAHugeExponentIsKeptAsWritten) {
  EXPECT_EQ(Split("     0e9442"), std::vector<std::string>{"0e9442"});
  EXPECT_EQ(Split("[0e400,1]"), (std::vector<std::string>{"0e400", "1"}));
}

TEST(JsonMessagesTest, OnlyTheTopLevelArrayIsFlattened) {
  EXPECT_EQ(Split("[[1],[2,3]]"), (std::vector<std::string>{"[1]", "[2,3]"}));
  EXPECT_EQ(Split(R"(["a,]b", "\"]"])"), (std::vector<std::string>{R"("a,]b")", R"("\"]")"}));
  EXPECT_TRUE(Split("[ ]").empty());
}

TEST(JsonMessagesTest, InvalidJsonIsABadRequest) {
  for (std::string_view body : {"", "[1,", "[1,]", "{} {}", "nul", "\"\xff\""}) {
    std::vector<std::string> messages;
    EXPECT_EQ(SplitJsonMessages(body, &messages).code(), StatusCode::kBadRequest) << body;
  }
}

}  // namespace
}  // namespace streamkeeper
