// One setting's text and TOML forms: parsing flag and environment text, checks, and the TOML
// values --print-config writes.
#include "config/setting.h"

#include <gtest/gtest.h>

namespace streamkeeper {
namespace {

Setting Integer(int64_t min, int64_t max) {
  return Setting{.name = "n", .type = SettingType::kInteger, .default_value = int64_t{0},
                 .min = min, .max = max};
}

TEST(SettingTest, EnvironmentNameIsPrefixedUpperSnakeCase) {
  EXPECT_EQ(EnvironmentName("port"), "STREAMKEEPER_PORT");
  EXPECT_EQ(EnvironmentName("data-dir"), "STREAMKEEPER_DATA_DIR");
  EXPECT_EQ(EnvironmentName("long-poll-timeout-ms"), "STREAMKEEPER_LONG_POLL_TIMEOUT_MS");
}

TEST(SettingTest, IntegerTextMustBeWholeDecimalInRange) {
  Setting port = Integer(0, 65535);
  std::string error;
  EXPECT_EQ(ParseSettingText(port, "4437", &error), SettingValue(int64_t{4437}));
  for (const char* bad : {"", "44x", "x", "4437 ", " 4437", "0x10", "1e3"}) {
    EXPECT_FALSE(ParseSettingText(port, bad, &error)) << bad;
    EXPECT_NE(error.find("expected an integer"), std::string::npos) << bad << ": " << error;
  }
  EXPECT_FALSE(ParseSettingText(port, "65536", &error));
  EXPECT_EQ(error, "must be between 0 and 65535, got 65536");
  EXPECT_FALSE(ParseSettingText(port, "-1", &error));
  EXPECT_FALSE(ParseSettingText(port, "99999999999999999999", &error));
  EXPECT_NE(error.find("out of range"), std::string::npos) << error;
  Setting positive = Integer(1, std::numeric_limits<int64_t>::max());
  EXPECT_FALSE(ParseSettingText(positive, "0", &error));
  EXPECT_EQ(error, "must be at least 1, got 0");
}

TEST(SettingTest, StringChoicesAreEnforced) {
  Setting sync{.name = "sync", .type = SettingType::kString, .default_value = "always",
               .choices = {"always", "none"}};
  std::string error;
  EXPECT_EQ(ParseSettingText(sync, "none", &error), SettingValue(std::string("none")));
  EXPECT_FALSE(ParseSettingText(sync, "sometimes", &error));
  EXPECT_EQ(error, "must be always or none, got \"sometimes\"");
  Setting any{.name = "host", .type = SettingType::kString, .default_value = ""};
  EXPECT_EQ(ParseSettingText(any, "", &error), SettingValue(std::string()));
}

TEST(SettingTest, BooleanTextIsTrueOrFalse) {
  Setting flag{.name = "b", .type = SettingType::kBoolean, .default_value = false};
  std::string error;
  EXPECT_EQ(ParseSettingText(flag, "true", &error), SettingValue(true));
  EXPECT_EQ(ParseSettingText(flag, "false", &error), SettingValue(false));
  EXPECT_FALSE(ParseSettingText(flag, "yes", &error));
  EXPECT_EQ(error, "expected true or false, got \"yes\"");
}

TEST(SettingTest, ValueOfTheWrongTypeIsRefused) {
  std::string error;
  EXPECT_FALSE(CheckSettingValue(Integer(0, 10), SettingValue(std::string("5")), &error));
  EXPECT_EQ(error, "expected an integer");
  Setting text{.name = "s", .type = SettingType::kString, .default_value = ""};
  EXPECT_FALSE(CheckSettingValue(text, SettingValue(int64_t{5}), &error));
  EXPECT_EQ(error, "expected a string");
}

TEST(SettingTest, TomlValuesAreQuotedAndEscaped) {
  EXPECT_EQ(FormatTomlValue(int64_t{-12}), "-12");
  EXPECT_EQ(FormatTomlValue(true), "true");
  EXPECT_EQ(FormatTomlValue(std::string("a \"b\" \\ c\n\x01")), R"("a \"b\" \\ c\n\u0001")");
  EXPECT_EQ(FormatPlainValue(std::string("plain text")), "plain text");
}

}  // namespace
}  // namespace streamkeeper
