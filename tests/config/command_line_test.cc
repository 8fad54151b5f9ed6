// The command line over the settings table: --help, --print-config (TOML that --config reads
// back to the same values), the ServerConfig it fills, and secrets kept out of what it prints.
#include "config/command_line.h"

#include <fstream>

#include <gtest/gtest.h>

#include "../storage/temp_dir.h"

namespace streamkeeper {
namespace {

using Environment = std::vector<std::pair<std::string, std::string>>;

CommandLine Parse(std::vector<std::string> args, const Environment& environment = {}) {
  args.insert(args.begin(), "streamkeeper");
  std::vector<const char*> argv;
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  return ParseCommandLine(static_cast<int>(argv.size()), argv.data(), environment);
}

TEST(CommandLineTest, HelpListsEverySettingAndTheConfigFlags) {
  CommandLine help = Parse({"--help"});
  ASSERT_EQ(help.action, CommandLine::Action::kPrintHelp);
  for (const Setting& setting : ServerSettings()) {
    EXPECT_NE(help.output.find("--" + std::string(setting.name) + " "), std::string::npos)
        << setting.name;
  }
  EXPECT_NE(help.output.find("--config"), std::string::npos);
  EXPECT_NE(help.output.find("--print-config"), std::string::npos);
  EXPECT_NE(help.output.find("STREAMKEEPER_DATA_DIR"), std::string::npos);
}

TEST(CommandLineTest, TlsFilesFillTheServerConfig) {
  CommandLine command = Parse({"--tls-cert", "/c.pem", "--tls-key", "/k.pem"},
                              {{"STREAMKEEPER_TLS_CLIENT_CA", "/ca.pem"}});
  ASSERT_EQ(command.action, CommandLine::Action::kRun) << command.error;
  EXPECT_TRUE(command.config.tls.enabled());
  EXPECT_EQ(command.config.tls.cert_file, "/c.pem");
  EXPECT_EQ(command.config.tls.key_file, "/k.pem");
  EXPECT_EQ(command.config.tls.client_ca_file, "/ca.pem");
  EXPECT_FALSE(Parse({}).config.tls.enabled());  // plain HTTP by default
}

// A certificate without its key (or the reverse), or a client CA without either, is a
// configuration error (exit 2) naming the flags, not a server that starts half-configured.
TEST(CommandLineTest, TlsFilesMustComeTogether) {
  CommandLine cert_only = Parse({"--tls-cert", "/c.pem"});
  EXPECT_EQ(cert_only.action, CommandLine::Action::kFail);
  EXPECT_EQ(cert_only.error, "--tls-cert needs --tls-key (the certificate's private key)");
  CommandLine key_only = Parse({}, {{"STREAMKEEPER_TLS_KEY", "/k.pem"}});
  EXPECT_EQ(key_only.action, CommandLine::Action::kFail);
  EXPECT_NE(key_only.error.find("--tls-key needs --tls-cert"), std::string::npos)
      << key_only.error;
  CommandLine ca_only = Parse({"--tls-client-ca", "/ca.pem"});
  EXPECT_EQ(ca_only.action, CommandLine::Action::kFail);
  EXPECT_NE(ca_only.error.find("--tls-client-ca needs --tls-cert and --tls-key"),
            std::string::npos)
      << ca_only.error;
}

TEST(CommandLineTest, SettingsFillTheServerConfig) {
  CommandLine command = Parse({"--sync", "none", "--long-poll-timeout-ms", "1234", "--port", "0",
                               "--log-level", "debug", "--log-format", "json"},
                              {{"STREAMKEEPER_SHUTDOWN_TIMEOUT_MS", "777"},
                               {"STREAMKEEPER_ACCESS_LOG", "-"}});
  ASSERT_EQ(command.action, CommandLine::Action::kRun) << command.error;
  const ServerConfig& config = command.config;
  EXPECT_FALSE(config.sync);
  EXPECT_EQ(config.server.long_poll_timeout, std::chrono::milliseconds(1234));
  EXPECT_EQ(config.server.port, 0);
  EXPECT_EQ(config.server.shutdown_timeout, std::chrono::milliseconds(777));
  EXPECT_EQ(config.log.level, LogLevel::kDebug);
  EXPECT_EQ(config.log.format, log::Format::kJson);
  EXPECT_EQ(config.access_log, "-");
  // Defaults, as they were before the table (src/main.cc's flags).
  EXPECT_EQ(config.server.host, "127.0.0.1");
  EXPECT_EQ(config.data_dir, "./data");
  EXPECT_EQ(config.storage, "rocksdb");
  EXPECT_EQ(config.server.max_body_bytes, 64u << 20);
  EXPECT_EQ(config.server.max_header_bytes, 16u << 10);
  EXPECT_EQ(config.max_read_bytes, 1u << 20);
  EXPECT_EQ(config.server.idle_timeout, std::chrono::milliseconds(120000));
  EXPECT_EQ(config.min_free_disk_mb, 256u);
  EXPECT_EQ(config.expiry_max_per_second, 50000u);
}

TEST(CommandLineTest, PrintConfigRoundTripsThroughConfig) {
  testing::TempDir dir;
  CommandLine printed =
      Parse({"--print-config", "--port", "0", "--sync", "none", "--access-log",
             "/var/log/a \"quoted\" \\ path.log"},
            {{"STREAMKEEPER_THREADS", "3"}, {"STREAMKEEPER_LOG_FORMAT", "json"}});
  ASSERT_EQ(printed.action, CommandLine::Action::kPrintConfig) << printed.error;
  std::string path = dir.path() + "/printed.toml";
  std::ofstream(path) << printed.output;
  CommandLine reread = Parse({"--config", path, "--print-config"});
  ASSERT_EQ(reread.action, CommandLine::Action::kPrintConfig) << reread.error;
  ASSERT_EQ(reread.settings.settings.size(), printed.settings.settings.size());
  for (size_t i = 0; i < printed.settings.settings.size(); ++i) {
    const ResolvedSetting& before = printed.settings.settings[i];
    const ResolvedSetting& after = reread.settings.settings[i];
    EXPECT_EQ(after.value, before.value) << before.setting->name;
    EXPECT_EQ(after.source.rfind(path + ":", 0), 0u) << before.setting->name << ": "
                                                     << after.source;
  }
  EXPECT_NE(printed.output.find("threads = 3  # STREAMKEEPER_THREADS\n"), std::string::npos)
      << printed.output;
}

TEST(CommandLineTest, ConfigFileFromEnvironmentUnlessTheFlagGivesOne) {
  testing::TempDir dir;
  std::string from_env = dir.path() + "/env.toml";
  std::string from_flag = dir.path() + "/flag.toml";
  std::ofstream(from_env) << "port = 1\n";
  std::ofstream(from_flag) << "port = 2\n";
  CommandLine command = Parse({}, {{"STREAMKEEPER_CONFIG", from_env}});
  ASSERT_EQ(command.action, CommandLine::Action::kRun) << command.error;
  EXPECT_EQ(command.config.server.port, 1);
  EXPECT_TRUE(command.settings.warnings.empty());
  command = Parse({"--config", from_flag}, {{"STREAMKEEPER_CONFIG", from_env}});
  ASSERT_EQ(command.action, CommandLine::Action::kRun) << command.error;
  EXPECT_EQ(command.config.server.port, 2);
  EXPECT_EQ(command.config_file, from_flag);
}

TEST(CommandLineTest, UnknownFlagAndBadValueFail) {
  CommandLine unknown = Parse({"--no-such-flag"});
  EXPECT_EQ(unknown.action, CommandLine::Action::kFail);
  EXPECT_NE(unknown.error.find("no-such-flag"), std::string::npos) << unknown.error;
  CommandLine stray = Parse({"--port", "1", "4437"});
  EXPECT_EQ(stray.action, CommandLine::Action::kFail);
  EXPECT_NE(stray.error.find("unexpected argument \"4437\""), std::string::npos) << stray.error;
  CommandLine bad = Parse({"--log-format", "xml"});
  EXPECT_EQ(bad.action, CommandLine::Action::kFail);
  EXPECT_EQ(bad.error, "bad value for log-format (--log-format): must be text or json, got \"xml\"");
}

TEST(CommandLineTest, SecretValuesAreNeitherPrintedNorLogged) {
  const Setting token{.name = "auth-token", .type = SettingType::kString, .default_value = "",
                      .help = "a bearer token", .secret = true};
  const Setting host{.name = "host", .type = SettingType::kString, .default_value = "",
                     .help = "an address"};
  ResolvedSettings settings;
  settings.settings = {{&token, std::string("s3cr3t-value"), "STREAMKEEPER_AUTH_TOKEN"},
                       {&host, std::string("10.1.1.1"), "--host"}};
  std::string toml = RenderToml(settings);
  EXPECT_EQ(toml.find("s3cr3t"), std::string::npos) << toml;
  EXPECT_NE(toml.find("# auth-token: secret, set by STREAMKEEPER_AUTH_TOKEN; not printed"),
            std::string::npos)
      << toml;
  EXPECT_NE(toml.find("host = \"10.1.1.1\"  # --host"), std::string::npos) << toml;
  std::vector<log::Field> fields = SettingsAsLogFields(settings);
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(std::get<std::string_view>(fields[0].value), "<redacted>");
  EXPECT_EQ(std::get<std::string_view>(fields[1].value), "10.1.1.1");
  // Unset, a secret is shown as such: empty.
  settings.settings[0].value = std::string();
  EXPECT_NE(RenderToml(settings).find("auth-token = \"\""), std::string::npos);
}

}  // namespace
}  // namespace streamkeeper
