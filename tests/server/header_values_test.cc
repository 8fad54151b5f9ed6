// The protocol's header value parsers (protocol/header_values.h): the cases the fuzz target
// tests/fuzz/header_values_fuzzer.cc found or pins.
#include <gtest/gtest.h>

#include "protocol/header_values.h"

namespace streamkeeper {
namespace {

// Found with the fuzz target's property "a parsed time formats back to text that parses": a
// numeric offset moved year 0000 into year -1 and year 9999 into year 10000, which HEAD then
// rendered as "-001-12-31T23:00:00.000Z" / "10000-01-01T00:59:59.000Z".
TEST(HeaderValuesTest, ExpiresAtWhoseUtcYearLeavesFourDigitsIsRejected) {
  EXPECT_EQ(ParseRfc3339("0000-01-01T00:00:00+01:00"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("9999-12-31T23:59:59-01:00"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("9999-12-31T23:30:00.000-00:30"), std::nullopt);
}

TEST(HeaderValuesTest, ExpiresAtAtTheEdgesOfFourDigitYearsRoundTrips) {
  for (const char* text : {"0000-01-01T00:00:00Z", "0000-01-01T01:00:00+01:00",
                           "9999-12-31T23:59:59.999Z", "9999-12-31T22:59:59.999-01:00"}) {
    auto ms = ParseRfc3339(text);
    ASSERT_TRUE(ms.has_value()) << text;
    EXPECT_EQ(ParseRfc3339(FormatRfc3339(*ms)), ms) << text;
  }
  EXPECT_EQ(ParseRfc3339("0000-01-01T00:00:00Z"), kMinRfc3339Ms);
  EXPECT_EQ(ParseRfc3339("9999-12-31T23:59:59.999Z"), kMaxRfc3339Ms);
  EXPECT_EQ(FormatRfc3339(kMinRfc3339Ms), "0000-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339(kMaxRfc3339Ms), "9999-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace streamkeeper
