// The server's logs and configuration as a process shows them: the JSON event log, the access
// log's lines (and what they must never contain), SIGHUP reopening both files, and settings
// from a --config file and the environment.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "http_test_client.h"
#include "server_process_fixture.h"

namespace streamkeeper::testing {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// Waits (at most `timeout`) until the file at `path` contains `needle`.
bool WaitForFile(const std::string& path, const std::string& needle, Millis timeout) {
  auto deadline = Clock::now() + timeout;
  while (ReadFile(path).find(needle) == std::string::npos) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(Millis(20));
  }
  return true;
}

std::string StopAndCollectErr(ServerProcess* server) {
  server->signal(SIGTERM);
  auto code = server->wait_exit(Millis(5000));
  EXPECT_TRUE(code.has_value() && *code == 0) << server->err();
  return server->err();
}

TEST_F(ServerProcessTest, JsonLogIsOneObjectPerLineWithTsLevelMsgAndFields) {
  uint16_t port = 0;
  auto server = Start({"--log-format", "json"}, &port);
  ASSERT_NE(port, 0);
  ASSERT_EQ(Request(port, "PUT", "/v1/stream/j").status, 201);
  std::string err = StopAndCollectErr(server.get());
  std::vector<std::string> lines = Lines(err);
  ASSERT_GE(lines.size(), 4u) << err;
  bool saw_configuration = false, saw_listening = false, saw_stopped = false;
  for (const std::string& line : lines) {
    boost::system::error_code ec;
    json::value parsed = json::parse(line, ec);
    ASSERT_FALSE(ec) << "not JSON: " << line;
    ASSERT_TRUE(parsed.is_object()) << line;
    const json::object& event = parsed.as_object();
    ASSERT_TRUE(event.contains("ts") && event.at("ts").is_string()) << line;
    ASSERT_TRUE(event.contains("level") && event.at("level").is_string()) << line;
    ASSERT_TRUE(event.contains("msg") && event.at("msg").is_string()) << line;
    std::string msg(event.at("msg").as_string());
    if (msg == "configuration") {
      saw_configuration = true;
      // Every setting, typed: integers as numbers, strings as strings.
      EXPECT_EQ(event.at("port").as_int64(), 0) << line;
      EXPECT_EQ(event.at("storage").as_string(), "memory") << line;
      EXPECT_EQ(event.at("log-format").as_string(), "json") << line;
      EXPECT_EQ(event.at("shutdown-timeout-ms").as_int64(), 10000) << line;
    }
    if (msg.starts_with(std::string("listening on ") + (TlsTestMode() ? "https" : "http") +
                        "://127.0.0.1:" + std::to_string(port))) {
      saw_listening = true;
      EXPECT_EQ(event.at("storage").as_string(), "memory") << line;
    }
    if (msg == "stopped") saw_stopped = true;
  }
  EXPECT_TRUE(saw_configuration && saw_listening && saw_stopped) << err;
}

TEST_F(ServerProcessTest, LogLevelWarnKeepsWarningsAndDropsInfoLines) {
  // At warn the listening line (info) is not written, so the test picks the port: one the
  // kernel just gave out and took back.
  uint16_t port = FreeLoopbackPort();
  ASSERT_NE(port, 0);
  ::setenv("STREAMKEEPER_NO_SUCH_SETTING", "1", 1);  // warned about, not refused
  ServerProcess quiet;
  bool spawned = quiet.spawn(STREAMKEEPER_BINARY,
                             {"--host", "127.0.0.1", "--port", std::to_string(port), "--storage",
                              "memory", "--log-level", "warn", "--threads", "1"});
  ::unsetenv("STREAMKEEPER_NO_SUCH_SETTING");
  ASSERT_TRUE(spawned);
  auto deadline = Clock::now() + Millis(5000);
  while (Request(port, "PUT", "/v1/stream/q").status != 201 && Clock::now() < deadline) {
    std::this_thread::sleep_for(Millis(20));
  }
  std::string err = StopAndCollectErr(&quiet);
  EXPECT_NE(err.find(" warn environment variable STREAMKEEPER_NO_SUCH_SETTING is not a "
                     "streamkeeper setting; ignored"),
            std::string::npos)
      << err;
  EXPECT_EQ(err.find(" info "), std::string::npos) << err;
}

TEST_F(ServerProcessTest, AccessLogLineCarriesTheRequestIdSentBackAndNoBodyOrToken) {
  const std::string path = dir_.path() + "/access.log";
  uint16_t port = 0;
  auto server = Start({"--access-log", path, "--log-format", "json"}, &port);
  ASSERT_NE(port, 0);
  const Headers secret = {{"Content-Type", "text/plain"},
                          {"Authorization", "Bearer tok-very-secret-123"}};
  HttpResult create = Request(port, "PUT", "/v1/stream/acc", secret, "body-text-never-logged");
  ASSERT_EQ(create.status, 201);
  HttpResult append = Request(port, "POST", "/v1/stream/acc",
                              {{"Content-Type", "text/plain"}, {"X-Request-Id", "client-id-42"}},
                              "more-body-never-logged");
  ASSERT_EQ(append.status, 204);
  HttpResult read = Request(port, "GET", "/v1/stream/acc?offset=-1");
  ASSERT_EQ(read.status, 200);
  std::string created_id = create.header("X-Request-Id").value_or("");
  ASSERT_FALSE(created_id.empty());
  EXPECT_EQ(append.header("X-Request-Id").value_or(""), "client-id-42");
  StopAndCollectErr(server.get());  // flushes the access log

  std::string text = ReadFile(path);
  EXPECT_EQ(text.find("never-logged"), std::string::npos) << text;
  EXPECT_EQ(text.find("tok-very-secret"), std::string::npos) << text;
  EXPECT_EQ(text.find("Bearer"), std::string::npos) << text;
  std::vector<std::string> lines = Lines(text);
  ASSERT_EQ(lines.size(), 3u) << text;
  struct Expected {
    const char* method;
    std::string target;
    int status;
    uint64_t bytes_in;
    std::string request_id;
    const char* route;
  };
  const std::vector<Expected> expected = {
      {"PUT", "/v1/stream/acc", 201, 22, created_id, "create"},
      {"POST", "/v1/stream/acc", 204, 22, "client-id-42", "append"},
      {"GET", "/v1/stream/acc?offset=-1", 200, 0, read.header("X-Request-Id").value_or(""),
       "read"},
  };
  // Lines are written as responses complete, so requests on different connections (and IO
  // threads) may be logged in either order: each is found by its request id.
  std::map<std::string, json::object> by_id;
  for (const std::string& text_line : lines) {
    json::object line = json::parse(text_line).as_object();
    by_id[std::string(line.at("request_id").as_string())] = line;
  }
  for (const Expected& want : expected) {
    SCOPED_TRACE(want.request_id);
    ASSERT_TRUE(by_id.contains(want.request_id)) << text;
    const json::object& line = by_id[want.request_id];
    EXPECT_TRUE(line.at("ts").is_string());
    EXPECT_EQ(line.at("method").as_string(), want.method);
    EXPECT_EQ(line.at("path").as_string(), want.target);
    EXPECT_EQ(line.at("status").as_int64(), want.status);
    EXPECT_EQ(line.at("bytes_in").to_number<uint64_t>(), want.bytes_in);
    EXPECT_GT(line.at("bytes_out").to_number<uint64_t>(), 0u);
    EXPECT_GE(line.at("duration_ms").to_number<double>(), 0.0);
    EXPECT_EQ(line.at("route").as_string(), want.route);
  }
}

TEST_F(ServerProcessTest, AccessLogToStdoutInTextFormat) {
  uint16_t port = 0;
  auto server = Start({"--access-log", "-"}, &port);
  ASSERT_NE(port, 0);
  HttpResult create = Request(port, "PUT", "/v1/stream/t", {{"X-Request-Id", "text-id-7"}});
  ASSERT_EQ(create.status, 201);
  StopAndCollectErr(server.get());
  std::vector<std::string> lines = Lines(server->out());
  ASSERT_EQ(lines.size(), 1u) << server->out();
  // "<ts> PUT /v1/stream/t 201 bytes_in=0 bytes_out=N duration_ms=D route=create request_id=..."
  EXPECT_NE(lines[0].find("Z PUT /v1/stream/t 201 bytes_in=0 bytes_out="), std::string::npos)
      << lines[0];
  EXPECT_NE(lines[0].find(" route=create request_id=text-id-7"), std::string::npos) << lines[0];
}

TEST_F(ServerProcessTest, SighupReopensTheLogFilesAtTheirPaths) {
  const std::string event_path = dir_.path() + "/events.log";
  const std::string access_path = dir_.path() + "/access.log";
  auto server = std::make_unique<ServerProcess>();
  ASSERT_TRUE(server->spawn(STREAMKEEPER_BINARY,
                            {"--host", "127.0.0.1", "--port", "0", "--storage", "memory",
                             "--threads", "1", "--log-file", event_path, "--access-log",
                             access_path}));
  // The listening line is in the log file, not on stderr.
  ASSERT_TRUE(WaitForFile(event_path, "listening on", Millis(5000))) << server->err();
  uint16_t port = ListeningPort(ReadFile(event_path));
  ASSERT_NE(port, 0);
  std::string first = Request(port, "PUT", "/v1/stream/r").header("X-Request-Id").value_or("");
  ASSERT_TRUE(WaitForFile(access_path, first, Millis(3000))) << "the access log is flushed";
  // As logrotate does: move the files away, then SIGHUP.
  std::filesystem::rename(event_path, event_path + ".1");
  std::filesystem::rename(access_path, access_path + ".1");
  server->signal(SIGHUP);
  ASSERT_TRUE(WaitForFile(event_path, "log files reopened", Millis(3000)));
  std::string second =
      Request(port, "GET", "/v1/stream/r?offset=-1").header("X-Request-Id").value_or("");
  ASSERT_TRUE(WaitForFile(access_path, second, Millis(3000))) << ReadFile(access_path);
  StopAndCollectErr(server.get());

  std::string old_access = ReadFile(access_path + ".1");
  std::string new_access = ReadFile(access_path);
  EXPECT_NE(old_access.find(first), std::string::npos);
  EXPECT_EQ(old_access.find(second), std::string::npos);
  EXPECT_EQ(new_access.find(first), std::string::npos);
  std::string old_events = ReadFile(event_path + ".1");
  std::string new_events = ReadFile(event_path);
  EXPECT_NE(old_events.find("listening on"), std::string::npos) << old_events;
  EXPECT_NE(new_events.find("stopped"), std::string::npos) << new_events;
  EXPECT_EQ(new_events.find("listening on"), std::string::npos) << new_events;
}

TEST_F(ServerProcessTest, ConfigFileAndEnvironmentSetTheServer) {
  const std::string config = dir_.path() + "/streamkeeper.toml";
  // The file asks for long-polls of 300 ms and port 1 (which the flag overrides); the
  // environment for JSON logs.
  WriteFile(config, "port = 1\nlong-poll-timeout-ms = 300\nlog-format = \"text\"\n");
  ::setenv("STREAMKEEPER_LOG_FORMAT", "json", 1);
  uint16_t port = 0;
  auto server = Start({"--config", config}, &port);
  ::unsetenv("STREAMKEEPER_LOG_FORMAT");
  ASSERT_NE(port, 0);
  ASSERT_EQ(Request(port, "PUT", "/v1/stream/c").status, 201);
  auto start = Clock::now();
  HttpResult poll = Request(port, "GET", "/v1/stream/c?offset=now&live=long-poll");
  EXPECT_EQ(poll.status, 204);
  EXPECT_LT(std::chrono::duration_cast<Millis>(Clock::now() - start).count(), 2000);
  std::string err = StopAndCollectErr(server.get());
  EXPECT_EQ(err.rfind("{\"ts\":", 0), 0u) << "JSON from the environment: " << err;
  EXPECT_NE(err.find("\"config\":\"" + config + "\""), std::string::npos) << err;
}

TEST_F(ServerProcessTest, BadConfigFileExitsTwoNamingTheKeyAndLine) {
  const std::string config = dir_.path() + "/bad.toml";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"port = 0\nprot = 4437\n", "unknown key \"prot\" (" + config + ":2)"},
      {"\n\nport = \"4437\"\n", "bad value for port (" + config + ":3): expected an integer"},
      {"sync = \"sometimes\"\n", "bad value for sync (" + config + ":1): must be always or none"},
      {"port = \n", config + ":1:"},
  };
  for (const auto& [text, message] : cases) {
    WriteFile(config, text);
    ServerProcess process;
    auto code = RunToExit({"--config", config}, &process);
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(*code, 2) << text;
    EXPECT_NE(process.err().find("streamkeeper: " + message), std::string::npos)
        << text << "\n" << process.err();
  }
}

TEST_F(ServerProcessTest, PrintConfigPrintsTomlThatConfigReadsBack) {
  ServerProcess print;
  auto code = RunToExit({"--print-config", "--port", "0", "--storage", "memory",
                         "--access-log", "/tmp/a \"quoted\" path.log"},
                        &print);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  const std::string config = dir_.path() + "/printed.toml";
  WriteFile(config, print.out());
  ServerProcess again;
  code = RunToExit({"--config", config, "--print-config"}, &again);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << again.err();
  // Same keys and values; only the sources (the comments after each value) differ.
  auto values = [](const std::string& toml) {
    std::vector<std::string> out;
    for (const std::string& line : Lines(toml)) {
      if (line[0] != '#') out.push_back(line.substr(0, line.rfind("  # ")));
    }
    return out;
  };
  EXPECT_EQ(values(print.out()), values(again.out()));
  EXPECT_NE(again.out().find("port = 0  # " + config + ":"), std::string::npos) << again.out();
}

}  // namespace
}  // namespace streamkeeper::testing
