// Where each setting's value comes from: flag > environment > file > default, with errors that
// name the key and its source (path:line for the file).
#include "config/resolve_settings.h"

#include <fstream>

#include <gtest/gtest.h>

#include "../storage/temp_dir.h"
#include "config/server_settings.h"

namespace streamkeeper {
namespace {

class ResolveSettingsTest : public ::testing::Test {
 protected:
  std::string WriteConfig(const std::string& text) {
    std::string path = dir_.path() + "/streamkeeper.toml";
    std::ofstream(path, std::ios::trunc) << text;
    return path;
  }

  // The resolved value and source of `name`; fails the test if resolution failed.
  std::pair<SettingValue, std::string> Resolved(const SettingInputs& inputs,
                                                std::string_view name) {
    ResolvedSettings out;
    std::string error;
    EXPECT_TRUE(ResolveSettings(ServerSettings(), inputs, &out, &error)) << error;
    const ResolvedSetting* found = FindResolved(out, name);
    if (found == nullptr) return {SettingValue(), "missing"};
    return {found->value, found->source};
  }

  std::string ErrorOf(const SettingInputs& inputs) {
    ResolvedSettings out;
    std::string error;
    EXPECT_FALSE(ResolveSettings(ServerSettings(), inputs, &out, &error));
    return error;
  }

  testing::TempDir dir_;
};

TEST_F(ResolveSettingsTest, FlagBeatsEnvironmentBeatsFileBeatsDefault) {
  SettingInputs inputs;
  inputs.config_file = WriteConfig(
      "port = 3\n"
      "host = \"10.0.0.3\"\n"
      "data-dir = \"/from/file\"\n");
  inputs.environment = {{"STREAMKEEPER_PORT", "2"}, {"STREAMKEEPER_HOST", "10.0.0.2"},
                        {"PATH", "/usr/bin"}};
  inputs.flags = {{"port", "1"}};
  const std::string& file = inputs.config_file;
  EXPECT_EQ(Resolved(inputs, "port"), std::make_pair(SettingValue(int64_t{1}), std::string("--port")));
  EXPECT_EQ(Resolved(inputs, "host"),
            std::make_pair(SettingValue(std::string("10.0.0.2")), std::string("STREAMKEEPER_HOST")));
  EXPECT_EQ(Resolved(inputs, "data-dir"),
            std::make_pair(SettingValue(std::string("/from/file")), file + ":3"));
  EXPECT_EQ(Resolved(inputs, "storage"),
            std::make_pair(SettingValue(std::string("rocksdb")), std::string("default")));
}

TEST_F(ResolveSettingsTest, EverySettingHasADefaultThatPassesItsOwnChecks) {
  ResolvedSettings out;
  std::string error;
  ASSERT_TRUE(ResolveSettings(ServerSettings(), SettingInputs{}, &out, &error)) << error;
  ASSERT_EQ(out.settings.size(), ServerSettings().size());
  for (const ResolvedSetting& resolved : out.settings) {
    EXPECT_EQ(resolved.source, "default");
    EXPECT_TRUE(CheckSettingValue(*resolved.setting, resolved.value, &error))
        << resolved.setting->name << ": " << error;
    EXPECT_NE(resolved.setting->store, nullptr) << resolved.setting->name;
    EXPECT_FALSE(resolved.setting->help.empty()) << resolved.setting->name;
  }
}

TEST_F(ResolveSettingsTest, UnknownFileKeyIsAnErrorNamingFileAndLine) {
  SettingInputs inputs;
  inputs.config_file = WriteConfig("port = 1\n\nprot = 4437\n");
  EXPECT_EQ(ErrorOf(inputs), "unknown key \"prot\" (" + inputs.config_file + ":3)");
  inputs.config_file = WriteConfig("[server]\nport = 1\n");
  EXPECT_EQ(ErrorOf(inputs), "unknown key \"server\" (" + inputs.config_file + ":1)");
}

TEST_F(ResolveSettingsTest, FileValuesMustHaveTheirTomlType) {
  SettingInputs inputs;
  inputs.config_file = WriteConfig("port = \"4437\"\n");
  EXPECT_EQ(ErrorOf(inputs), "bad value for port (" + inputs.config_file +
                                 ":1): expected an integer, got a string");
  inputs.config_file = WriteConfig("host = 127\n");
  EXPECT_EQ(ErrorOf(inputs),
            "bad value for host (" + inputs.config_file + ":1): expected a string, got an integer");
  inputs.config_file = WriteConfig("max-read-bytes = 1.5\n");
  EXPECT_EQ(ErrorOf(inputs), "bad value for max-read-bytes (" + inputs.config_file +
                                 ":1): expected an integer, got a float");
}

TEST_F(ResolveSettingsTest, BadValueIsAnErrorNamingKeyAndSource) {
  SettingInputs inputs;
  inputs.config_file = WriteConfig("\nlong-poll-timeout-ms = 0\n");
  EXPECT_EQ(ErrorOf(inputs), "bad value for long-poll-timeout-ms (" + inputs.config_file +
                                 ":2): must be between 1 and 604800000, got 0");
  // Timeouts stop at a week, far from where a deadline in nanoseconds would overflow.
  SettingInputs too_long;
  too_long.environment = {{"STREAMKEEPER_SHUTDOWN_TIMEOUT_MS", "604800001"}};
  EXPECT_EQ(ErrorOf(too_long), "bad value for shutdown-timeout-ms (STREAMKEEPER_SHUTDOWN_TIMEOUT_MS)"
                               ": must be between 1 and 604800000, got 604800001");
  // Even when a flag overrides it: a bad line in a file is found before it matters.
  inputs.flags = {{"long-poll-timeout-ms", "5"}};
  EXPECT_NE(ErrorOf(inputs).find(inputs.config_file + ":2"), std::string::npos);

  SettingInputs environment;
  environment.environment = {{"STREAMKEEPER_STORAGE", "floppy"}};
  EXPECT_EQ(ErrorOf(environment),
            "bad value for storage (STREAMKEEPER_STORAGE): must be rocksdb or memory, got "
            "\"floppy\"");
  SettingInputs flags;
  flags.flags = {{"port", "70000"}};
  EXPECT_EQ(ErrorOf(flags), "bad value for port (--port): must be between 0 and 65535, got 70000");
}

TEST_F(ResolveSettingsTest, FileThatIsNotTomlOrMissingIsAnErrorWithItsPosition) {
  SettingInputs inputs;
  inputs.config_file = WriteConfig("port = 1\nhost = \n");
  EXPECT_EQ(ErrorOf(inputs).rfind(inputs.config_file + ":2:", 0), 0u) << ErrorOf(inputs);
  inputs.config_file = dir_.path() + "/missing.toml";
  EXPECT_EQ(ErrorOf(inputs).rfind(inputs.config_file + ": ", 0), 0u) << ErrorOf(inputs);
}

TEST_F(ResolveSettingsTest, UnknownPrefixedEnvironmentVariableIsAWarningNotAnError) {
  SettingInputs inputs;
  inputs.environment = {{"STREAMKEEPER_URL", "http://x"}, {"STREAMKEEPER_CONFIG", "/x.toml"},
                        {"OTHER_PORT", "1"}};
  inputs.reserved_environment = {"STREAMKEEPER_CONFIG"};
  ResolvedSettings out;
  std::string error;
  ASSERT_TRUE(ResolveSettings(ServerSettings(), inputs, &out, &error)) << error;
  ASSERT_EQ(out.warnings.size(), 1u);
  EXPECT_EQ(out.warnings[0],
            "environment variable STREAMKEEPER_URL is not a streamkeeper setting; ignored");
}

TEST_F(ResolveSettingsTest, BooleanSettingsTakeTomlBooleansAndTrueFalseText) {
  const Setting table[] = {
      {.name = "verbose", .type = SettingType::kBoolean, .default_value = false, .help = "h"}};
  SettingInputs inputs;
  inputs.config_file = WriteConfig("verbose = true\n");
  ResolvedSettings out;
  std::string error;
  ASSERT_TRUE(ResolveSettings(table, inputs, &out, &error)) << error;
  EXPECT_EQ(out.settings[0].value, SettingValue(true));
  inputs.environment = {{"STREAMKEEPER_VERBOSE", "false"}};
  ASSERT_TRUE(ResolveSettings(table, inputs, &out, &error)) << error;
  EXPECT_EQ(out.settings[0].value, SettingValue(false));
  inputs.config_file = WriteConfig("verbose = \"true\"\n");
  EXPECT_FALSE(ResolveSettings(table, inputs, &out, &error));
  EXPECT_EQ(error, "bad value for verbose (" + inputs.config_file +
                       ":1): expected a boolean, got a string");
}

}  // namespace
}  // namespace streamkeeper
