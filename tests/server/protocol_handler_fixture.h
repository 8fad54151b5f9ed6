// ProtocolHandlerFixture: a ProtocolHandler over a StreamManager over MemoryStorage (no sweep
// thread), and Call() to send it one request and wait, bounded, for its reply. The base of the
// tests of the protocol layer as a function (protocol_handler_test.cc, live_read_test.cc,
// stream_path_property_test.cc).
#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "protocol/protocol_handler.h"
#include "streamkeeper/memory_storage.h"
#include "streamkeeper/stream_manager.h"

namespace streamkeeper::testing {

class ProtocolHandlerFixture : public ::testing::Test {
 protected:
  void SetUp() override { Start(ProtocolOptions{}); }

  // (Re)starts the handler and an empty manager with `options`.
  void Start(ProtocolOptions options) {
    handler_.reset();
    if (manager_) manager_->shutdown();
    manager_.reset();
    ManagerOptions manager_options;
    manager_options.sweep_interval = std::chrono::milliseconds(0);
    Status status;
    manager_ = StreamManager::Open(std::make_unique<MemoryStorage>(), manager_options, &status);
    ASSERT_TRUE(manager_) << status.message();
    handler_ = std::make_unique<ProtocolHandler>(manager_.get(), std::move(options));
  }

  void TearDown() override {
    handler_.reset();
    if (manager_) manager_->shutdown();
  }

  // Sends one request and waits (at most 5 s: then a test failure and status -1) for the reply.
  HttpResponse Call(std::string method, std::string target, HeaderList headers = {},
                    std::string body = {}) {
    HttpRequest request;  // its views point into the arguments, alive until we return
    request.method = method;
    request.target = target;
    for (const auto& [name, value] : headers) request.headers.emplace_back(name, value);
    request.body = std::move(body);
    auto promise = std::make_shared<std::promise<HttpResponse>>();
    auto future = promise->get_future();
    handler_->handle(request, [promise](HttpResponse response) {
      promise->set_value(std::move(response));
    });
    if (future.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
      ADD_FAILURE() << request.method << " " << request.target << ": no reply within 5 s";
      HttpResponse none;
      none.status = -1;
      return none;
    }
    return future.get();
  }

  std::unique_ptr<StreamManager> manager_;
  std::unique_ptr<ProtocolHandler> handler_;
};

}  // namespace streamkeeper::testing
