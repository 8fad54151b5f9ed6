// The fixture of the StreamManager contract suite: one StreamManager over a fresh backend
// (MemoryStorage, or RocksDbStorage in a fresh temp dir), driven by a test-owned clock.
//
// Every typed test runs once per backend. The clock is a std::atomic the test advances by hand,
// and the sweeper thread is disabled, so TTL tests never sleep and expiry happens exactly when
// the test says so (lazily on access, or through sweep_expired()).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "streamkeeper/stream_manager.h"
#include "test_backends.h"

namespace streamkeeper {

// Lets gtest print status codes by name in failure messages.
inline void PrintTo(StatusCode code, std::ostream* os) {
  static const char* const kNames[] = {
      "kOk",        "kNotFound",      "kGone",        "kBadRequest",
      "kConfigMismatch", "kContentTypeMismatch", "kSeqConflict", "kClosed",
      "kProducerSeqGap", "kStaleEpoch", "kPayloadTooLarge", "kIoError",
      "kNoSpace",   "kUnavailable"};
  auto index = static_cast<size_t>(code);
  *os << (index < std::size(kNames) ? kNames[index] : "StatusCode(?)");
}

namespace manager_test {

inline constexpr char kBytes[] = "application/octet-stream";
inline constexpr char kJson[] = "application/json";
inline constexpr char kText[] = "text/plain";

using testing::MemoryBackend;
using testing::RocksDbBackend;

// A backend run with a stream cache that keeps nothing it may drop (stream_cache_bytes = 0):
// every operation meets a stream evicted since the one before, and loads it from storage.
template <typename Base>
struct Uncached : Base {
  static constexpr bool kUncached = true;
};

template <typename Backend>
constexpr size_t CacheBytesOf() {
  if constexpr (requires { Backend::kUncached; }) {
    return 0;
  } else {
    return ManagerOptions().stream_cache_bytes;
  }
}

using ManagerBackends = ::testing::Types<MemoryBackend, RocksDbBackend, Uncached<MemoryBackend>,
                                         Uncached<RocksDbBackend>>;

class BackendNames {
 public:
  template <typename Backend>
  static std::string GetName(int) {
    std::string name = Backend::kPersistent ? "RocksDb" : "Memory";
    return CacheBytesOf<Backend>() == 0 ? name + "Uncached" : name;
  }
};

inline AppendOptions Bytes() {
  AppendOptions options;
  options.content_type = kBytes;
  return options;
}

inline AppendOptions Json() {
  AppendOptions options;
  options.content_type = kJson;
  return options;
}

inline AppendOptions Text() {
  AppendOptions options;
  options.content_type = kText;
  return options;
}

inline AppendOptions WithProducer(AppendOptions options, const std::string& id, uint64_t epoch,
                                  uint64_t seq) {
  options.producer = Producer{id, epoch, seq};
  return options;
}

inline AppendOptions WithSeq(AppendOptions options, std::string seq) {
  options.stream_seq = std::move(seq);
  return options;
}

inline AppendOptions Closing(AppendOptions options) {
  options.close = true;
  return options;
}

inline CreateOptions TypeOnly(const std::string& content_type) {
  CreateOptions options;
  options.content_type = content_type;
  return options;
}

inline CreateOptions ForkOf(const std::string& source, std::optional<uint64_t> offset = {},
                            uint64_t sub_offset = 0) {
  CreateOptions options;
  options.fork_from = source;
  options.fork_offset = offset;
  options.fork_sub_offset = sub_offset;
  options.content_type_given = false;
  return options;
}

template <typename Backend>
class StreamManagerContractTest : public ::testing::Test {
 public:  // helpers are used by free functions too (concurrency test)
  static constexpr int64_t kStartMs = 1'700'000'000'000;

  void SetUp() override { Open(); }
  void TearDown() override { manager_.reset(); }

  void Open(bool sync = true) {
    ManagerOptions options;
    options.sync = sync;
    options.clock = [this] { return now_ms_.load(); };
    options.sweep_interval = std::chrono::milliseconds(0);
    options.stream_cache_bytes = CacheBytesOf<Backend>();
    Status status;
    manager_ = StreamManager::Open(backend_.Open(), std::move(options), &status);
    ASSERT_TRUE(status.ok()) << status.message();
    ASSERT_NE(manager_, nullptr);
  }

  // Destroys the manager (draining its writes) and opens the same storage again. Only
  // persistent backends keep anything across this.
  void Reopen(bool sync = true) {
    manager_.reset();
    Open(sync);
  }

  void Advance(std::chrono::milliseconds by) { now_ms_ += by.count(); }
  void AdvanceSeconds(int64_t seconds) { now_ms_ += seconds * 1000; }
  int64_t Now() const { return now_ms_.load(); }

  StreamManager& manager() { return *manager_; }

  Status Create(const std::string& path, CreateOptions options = {},
                CreateResult* result = nullptr) {
    return manager_->create(path, std::move(options), result);
  }

  // Creates `path`, expecting a new stream; returns its info.
  StreamInfo MustCreate(const std::string& path, CreateOptions options = {}) {
    CreateResult result;
    Status status = manager_->create(path, std::move(options), &result);
    EXPECT_TRUE(status.ok()) << path << ": " << status.message();
    EXPECT_TRUE(result.created) << path;
    return result.info;
  }

  AppendResult Append(const std::string& path, std::string data, AppendOptions options = Bytes()) {
    return manager_->append(path, std::move(data), std::move(options));
  }

  // Appends, expecting success; returns the new tail.
  uint64_t MustAppend(const std::string& path, std::string data, AppendOptions options = Bytes()) {
    AppendResult result = manager_->append(path, std::move(data), std::move(options));
    EXPECT_TRUE(result.status.ok()) << path << ": " << result.status.message();
    return result.tail;
  }

  StatusCode MetadataCode(const std::string& path) {
    StreamInfo info;
    return manager_->get_metadata(path, &info).code();
  }

  StreamInfo Metadata(const std::string& path) {
    StreamInfo info;
    Status status = manager_->get_metadata(path, &info);
    EXPECT_TRUE(status.ok()) << path << ": " << status.message();
    return info;
  }

  // Reads a byte stream from `from` to its tail, page by page; checks that pages are contiguous.
  std::string ReadAll(const std::string& path, uint64_t from = 0, size_t max_bytes = 1 << 20) {
    std::string out;
    ReadOptions options;
    options.max_bytes = max_bytes;
    for (int pages = 0; pages < 1'000'000; ++pages) {
      ReadResult result = manager_->read(path, from, options);
      EXPECT_TRUE(result.status.ok()) << path << "@" << from << ": " << result.status.message();
      if (!result.status.ok()) break;
      EXPECT_EQ(result.next, from + result.data.size()) << path << "@" << from;
      out += result.data;
      if (result.up_to_date) break;
      EXPECT_GT(result.next, from) << "a page that is not up to date must make progress";
      if (result.next <= from) break;
      from = result.next;
    }
    return out;
  }

  // Reads every JSON message of `path` from `from`, page by page.
  std::vector<std::string> ReadMessages(const std::string& path, uint64_t from = 0,
                                        size_t max_bytes = 1 << 20) {
    std::vector<std::string> out;
    ReadOptions options;
    options.max_bytes = max_bytes;
    for (int pages = 0; pages < 1'000'000; ++pages) {
      ReadResult result = manager_->read_messages(path, from, options);
      EXPECT_TRUE(result.status.ok()) << path << "@" << from << ": " << result.status.message();
      if (!result.status.ok()) break;
      EXPECT_EQ(result.next, from + result.messages.size()) << path << "@" << from;
      out.insert(out.end(), result.messages.begin(), result.messages.end());
      if (result.up_to_date) break;
      EXPECT_GT(result.next, from);
      if (result.next <= from) break;
      from = result.next;
    }
    return out;
  }

  // Declared before manager_: the manager's clock reads it, and the storage lives in backend_.
  std::atomic<int64_t> now_ms_{kStartMs};
  Backend backend_;
  std::unique_ptr<StreamManager> manager_;
};

TYPED_TEST_SUITE(StreamManagerContractTest, ManagerBackends, BackendNames);

}  // namespace manager_test
}  // namespace streamkeeper
