// ServiceEndpoints as a function from request to response, over a StreamManager on a
// FaultyStorage whose failures and free space the test sets: which targets it answers, the
// methods it takes, and what /readyz says in each storage state.
#include "service/service_endpoints.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

#include "faulty_storage.h"
#include "streamkeeper/memory_storage.h"
#include "streamkeeper/stream_manager.h"

namespace streamkeeper {
namespace {

using testing::Faults;
using testing::FaultyStorage;

class ServiceEndpointsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ManagerOptions options;
    options.sweep_interval = std::chrono::milliseconds(0);
    options.recovery_interval = std::chrono::milliseconds(5);
    options.min_free_disk_bytes = 8 << 20;
    faults_->free_bytes = 100 << 20;
    Status status;
    manager_ = StreamManager::Open(
        std::make_unique<FaultyStorage>(std::make_unique<MemoryStorage>(), faults_),
        std::move(options), &status);
    ASSERT_TRUE(manager_) << status.message();
    endpoints_ = std::make_unique<ServiceEndpoints>(manager_.get(),
                                                    [] { return std::string("m 1\n"); });
  }

  std::optional<HttpResponse> Get(std::string_view target, std::string_view method = "GET") {
    HttpRequest request;
    request.method = method;
    request.target = target;
    return endpoints_->handle(request);
  }

  std::shared_ptr<Faults> faults_ = std::make_shared<Faults>();
  std::unique_ptr<StreamManager> manager_;
  std::unique_ptr<ServiceEndpoints> endpoints_;
};

TEST_F(ServiceEndpointsTest, OnlyItsThreeRoutesAreAnsweredTheRestGoesToTheProtocol) {
  for (std::string_view target : {"/healthz", "/readyz", "/metrics", "/metrics?x=1"}) {
    std::optional<HttpResponse> response = Get(target);
    ASSERT_TRUE(response) << target;
    EXPECT_EQ(response->status, 200) << target;
    EXPECT_EQ(response->header("Cache-Control"), "no-store") << target;
  }
  EXPECT_EQ(Get("/metrics")->body, "m 1\n");
  EXPECT_EQ(Get("/metrics")->header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  for (std::string_view target : {"/", "/healthz/x", "/metricsx", "/v1/stream/healthz", ""}) {
    EXPECT_FALSE(Get(target)) << target;
  }
  ServiceEndpoints without_metrics(manager_.get(), nullptr);
  HttpRequest request;
  request.method = "GET";
  request.target = "/metrics";
  EXPECT_FALSE(without_metrics.handle(request)) << "no renderer: not served";
}

TEST_F(ServiceEndpointsTest, GetAndHeadAreTakenOtherMethodsGet405WithAllow) {
  EXPECT_EQ(Get("/healthz", "HEAD")->status, 200);
  for (std::string_view method : {"POST", "PUT", "DELETE", "OPTIONS"}) {
    std::optional<HttpResponse> response = Get("/readyz", method);
    ASSERT_TRUE(response) << method;
    EXPECT_EQ(response->status, 405) << method;
    EXPECT_EQ(response->header("Allow"), "GET, HEAD");
    EXPECT_NE(response->body.find("\"METHOD_NOT_ALLOWED\""), std::string::npos);
  }
}

TEST_F(ServiceEndpointsTest, ReadyzSaysWhyWritesWouldBeRefused) {
  EXPECT_EQ(Get("/readyz")->body, R"({"status":"ready"})");

  faults_->free_bytes = 4 << 20;  // below the 8 MiB reserve
  std::optional<HttpResponse> short_of_disk = Get("/readyz");
  EXPECT_EQ(short_of_disk->status, 503);
  EXPECT_EQ(short_of_disk->header("Content-Type"), "application/json");
  EXPECT_NE(short_of_disk->body.find("\"INSUFFICIENT_STORAGE\""), std::string::npos)
      << short_of_disk->body;
  EXPECT_NE(short_of_disk->body.find("free disk space (4 MiB) is below the reserve of 8 MiB"),
            std::string::npos)
      << short_of_disk->body;
  EXPECT_EQ(Get("/healthz")->status, 200);
  faults_->free_bytes = 100 << 20;

  ASSERT_TRUE(manager_->create("/s", {}, nullptr).ok());
  faults_->broken = true;
  faults_->no_space = false;  // an I/O error, not a full disk
  AppendOptions append;
  append.content_type = "application/octet-stream";
  EXPECT_FALSE(manager_->append("/s", "x", append).status.ok());
  std::optional<HttpResponse> degraded = Get("/readyz");
  EXPECT_EQ(degraded->status, 503);
  // Degraded, or a recovery attempt under way (it fails while the storage stays broken).
  bool named = degraded->body.find("\"STORAGE_DEGRADED\"") != std::string::npos ||
               degraded->body.find("\"STORAGE_RECOVERING\"") != std::string::npos;
  EXPECT_TRUE(named) << degraded->body;
  EXPECT_NE(degraded->body.find("Input/output error"), std::string::npos) << degraded->body;

  faults_->broken = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (Get("/readyz")->status != 200 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(Get("/readyz")->status, 200) << "ready again once the storage recovered";
}

}  // namespace
}  // namespace streamkeeper
