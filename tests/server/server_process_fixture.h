// ServerProcessTest: a gtest fixture that starts the real streamkeeper binary (STREAMKEEPER_BINARY)
// as a child on 127.0.0.1 with --port 0 and test defaults, and waits for the port it reports.
// Shared by the process tests of tests/server/. With STREAMKEEPER_TEST_TLS=1 (tests/tls/
// test_certs.h) the server serves HTTPS with the test certificate and every TestConnection made
// after Start() speaks TLS to it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../storage/temp_dir.h"
#include "../tls/test_certs.h"
#include "http_test_client.h"

#ifndef STREAMKEEPER_BINARY
#error "STREAMKEEPER_BINARY must name the server binary"
#endif

namespace streamkeeper::testing {

class ServerProcessTest : public ::testing::Test {
 protected:
  // Starts a server with `extra` flags plus a test default for every flag `extra` leaves out
  // (no flag is ever given twice). Waits for the port it reports.
  std::unique_ptr<ServerProcess> Start(std::vector<std::string> extra, uint16_t* port,
                                       const std::string& data_dir = "") {
    auto has = [&](const std::string& flag) {
      for (const auto& arg : extra) {
        if (arg == flag) return true;
      }
      return false;
    };
    std::vector<std::string> args = extra;
    auto add_default = [&](const std::string& flag, const std::string& value) {
      if (!has(flag)) {
        args.push_back(flag);
        args.push_back(value);
      }
    };
    add_default("--host", "127.0.0.1");
    add_default("--port", "0");
    add_default("--storage", "memory");
    add_default("--data-dir", data_dir.empty() ? dir_.path() + "/data" : data_dir);
    add_default("--sync", "none");
    add_default("--threads", "2");
    if (TlsTestMode()) {
      const TestCerts& certs = SharedTestCerts();
      add_default("--tls-cert", certs.server_cert);
      add_default("--tls-key", certs.server_key);
      SetDefaultClientTls(ClientTls{.ca_file = certs.ca});
    }
    auto server = std::make_unique<ServerProcess>();
    if (!server->spawn(STREAMKEEPER_BINARY, args)) {
      ADD_FAILURE() << "cannot spawn " << STREAMKEEPER_BINARY;
      *port = 0;
      return server;
    }
    *port = server->wait_listening(Millis(10000));
    EXPECT_NE(*port, 0) << "server did not report its port; stdout:\n"
                        << server->out() << "\nstderr:\n"
                        << server->err();
    return server;
  }

  // The client TLS Start() set is for this test's server only: a later test that spawns its own
  // plain server (not through Start) must not speak TLS to it.
  void TearDown() override { SetDefaultClientTls(std::nullopt); }

  // Runs the binary to completion (bounded) and returns its exit code.
  std::optional<int> RunToExit(const std::vector<std::string>& args, ServerProcess* process,
                               Millis timeout = Millis(10000)) {
    if (!process->spawn(STREAMKEEPER_BINARY, args)) return std::nullopt;
    auto code = process->wait_exit(timeout);
    if (!code) ADD_FAILURE() << "process did not exit within " << timeout.count() << " ms";
    return code;
  }

  TempDir dir_;
};

}  // namespace streamkeeper::testing
