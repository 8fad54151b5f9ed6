// DsAdminTest: the fixture of the ds-admin end-to-end tests. A template data directory is built
// once per suite with RocksDbStorage and the StreamManager (BuildDataDir says what is in it);
// each test gets its own copy and runs the ds-admin binary (DS_ADMIN_BINARY) on it.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "streamkeeper/rocksdb_storage.h"
#include "streamkeeper/offset.h"
#include "streamkeeper/stream_manager.h"

namespace streamkeeper::testing {


namespace fs = std::filesystem;

// Bytes no text tool would pass through unchanged.
inline const std::string kBinary{'\0', '\x01', '\xff', '\n', '\r', 'z', '\0'};

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::string ShellQuote(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

inline std::unique_ptr<Storage> OpenStorage(const std::string& dir) {
  RocksDbOptions options;
  options.path = dir;
  options.block_cache_bytes = 1 << 20;
  std::unique_ptr<Storage> storage;
  Status s = RocksDbStorage::Open(options, &storage);
  EXPECT_TRUE(s.ok()) << s.message();
  return storage;
}

inline std::unique_ptr<StreamManager> OpenManager(const std::string& dir) {
  ManagerOptions options;
  options.sweep_interval = std::chrono::milliseconds(0);
  Status s;
  auto manager = StreamManager::Open(OpenStorage(dir), std::move(options), &s);
  EXPECT_TRUE(s.ok()) << s.message();
  return manager;
}

inline void Create(StreamManager& m, const std::string& path, CreateOptions options) {
  Status s = m.create(path, std::move(options), nullptr);
  ASSERT_TRUE(s.ok()) << path << ": " << s.message();
}

inline void Append(StreamManager& m, const std::string& path, const std::string& type, std::string data,
            std::optional<Producer> producer = std::nullopt) {
  AppendOptions options;
  options.content_type = type;
  options.producer = std::move(producer);
  AppendResult r = m.append(path, std::move(data), std::move(options));
  ASSERT_TRUE(r.status.ok()) << path << ": " << r.status.message();
}

inline CreateOptions Typed(const std::string& type) {
  CreateOptions options;
  options.content_type = type;
  return options;
}

// The healthy directory every test starts from (7 streams, 11 records, 45 payload bytes):
//   /bytes     text/plain "hello" " world", closed
//   /bin       octet-stream kBinary
//   /json      application/json {"a":1},{"b":2} then 3
//   /src       octet-stream "abcdef", soft-deleted (the fork still reads from it)
//   /fork      fork of /src at 3, own "XYZ"
//   /ttl       text/plain "t", ttl 3600 s
//   /producer  text/plain "p", "q" from producer p1 epoch 0 seqs 0, 1
inline void BuildDataDir(const std::string& dir) {
  auto m = OpenManager(dir);
  ASSERT_TRUE(m);
  const std::string kOctet = "application/octet-stream";
  Create(*m, "/bytes", Typed("text/plain"));
  Append(*m, "/bytes", "text/plain", "hello");
  Append(*m, "/bytes", "text/plain", " world");
  ASSERT_TRUE(m->close("/bytes").status.ok());

  Create(*m, "/bin", Typed(kOctet));
  Append(*m, "/bin", kOctet, kBinary);

  Create(*m, "/json", Typed("application/json"));
  Append(*m, "/json", "application/json", R"([{"a":1},{"b":2}])");
  Append(*m, "/json", "application/json", "3");

  Create(*m, "/src", Typed(kOctet));
  Append(*m, "/src", kOctet, "abcdef");
  CreateOptions fork = Typed(kOctet);
  fork.fork_from = "/src";
  fork.fork_offset = 3;
  Create(*m, "/fork", fork);
  Append(*m, "/fork", kOctet, "XYZ");
  ASSERT_TRUE(m->remove("/src").ok());

  CreateOptions ttl = Typed("text/plain");
  ttl.ttl_seconds = 3600;
  Create(*m, "/ttl", ttl);
  Append(*m, "/ttl", "text/plain", "t");

  Create(*m, "/producer", Typed("text/plain"));
  Append(*m, "/producer", "text/plain", "p", Producer{"p1", 0, 0});
  Append(*m, "/producer", "text/plain", "q", Producer{"p1", 0, 1});
}

// Runs ds-admin to completion with `args`, capturing both outputs in files under `scratch`.
inline RunResult RunDsAdmin(const std::vector<std::string>& args, const fs::path& scratch) {
  std::string command = ShellQuote(DS_ADMIN_BINARY);
  for (const std::string& arg : args) command.append(" ").append(ShellQuote(arg));
  const fs::path out = scratch / "stdout";
  const fs::path err = scratch / "stderr";
  command.append(" >").append(ShellQuote(out.string()));
  command.append(" 2>").append(ShellQuote(err.string()));
  int status = std::system(command.c_str());
  RunResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = ReadFile(out);
  result.err = ReadFile(err);
  return result;
}

class DsAdminTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string pattern = (fs::temp_directory_path() / "ds_admin_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    suite_root_ = new fs::path(pattern);
    BuildDataDir((*suite_root_ / "template").string());
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*suite_root_, ec);
    delete suite_root_;
    suite_root_ = nullptr;
  }

  // Each test works on its own copy of the template, so changes never leak between tests.
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = *suite_root_ / info->name();
    fs::create_directories(root_);
    dir_ = (root_ / "data").string();
    fs::copy(*suite_root_ / "template", dir_, fs::copy_options::recursive);
  }

  RunResult Run(const std::vector<std::string>& args) { return RunDsAdmin(args, root_); }

  // Runs `command` on this test's data directory.
  RunResult RunOnDir(const std::string& command, std::vector<std::string> args = {}) {
    args.insert(args.begin(), {command, "--data-dir", dir_});
    return Run(args);
  }

  static boost::json::value ParseJson(const std::string& text) {
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(text, ec);
    EXPECT_FALSE(ec) << text;
    return value;
  }

  static inline fs::path* suite_root_ = nullptr;
  fs::path root_;
  std::string dir_;
};

}  // namespace streamkeeper::testing
