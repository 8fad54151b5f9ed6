// StreamManager under concurrent appenders: every acknowledged record is stored exactly once, at
// the position its acknowledgement named, and each writer's records keep their order.

#include <atomic>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "manager_test_fixture.h"

namespace streamkeeper::manager_test {
namespace {

constexpr size_t kRecordSize = 12;  // "t%03d-%06d;"

std::string RecordText(int thread, int index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "t%03d-%06d;", thread, index);
  return std::string(buf, kRecordSize);
}

struct Ack {
  int thread = 0;
  int index = 0;
  std::string path;
  uint64_t tail = 0;
};

template <typename Fixture>
void AppendConcurrentlyAndVerify(Fixture* test, int threads, int per_thread, int streams) {
  std::vector<std::string> paths;
  for (int s = 0; s < streams; ++s) {
    paths.push_back("/c" + std::to_string(s));
    test->MustCreate(paths.back());
  }
  std::vector<std::vector<Ack>> acks(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        const std::string& path = paths[static_cast<size_t>((t + i) % streams)];
        AppendResult result = test->manager().append(path, RecordText(t, i), Bytes());
        if (!result.status.ok()) {
          ADD_FAILURE() << "append failed: " << result.status.message();
          return;
        }
        acks[t].push_back(Ack{t, i, path, result.tail});
      }
    });
  }
  for (auto& worker : workers) worker.join();

  // Read every stream back and index its records by position.
  std::map<std::string, std::string> contents;
  size_t total_bytes = 0;
  for (const std::string& path : paths) {
    contents[path] = test->ReadAll(path, 0, 64 << 10);
    EXPECT_EQ(contents[path].size() % kRecordSize, 0u) << path;
    EXPECT_EQ(test->Metadata(path).tail, contents[path].size()) << path;
    total_bytes += contents[path].size();
  }
  EXPECT_EQ(total_bytes, static_cast<size_t>(threads) * per_thread * kRecordSize);

  // Each acknowledgement names the position of exactly its own record.
  for (int t = 0; t < threads; ++t) {
    ASSERT_EQ(acks[t].size(), static_cast<size_t>(per_thread)) << "thread " << t;
    std::map<std::string, uint64_t> last_tail;
    for (const Ack& ack : acks[t]) {
      const std::string& data = contents[ack.path];
      ASSERT_GE(ack.tail, kRecordSize);
      ASSERT_LE(ack.tail, data.size());
      EXPECT_EQ(data.substr(ack.tail - kRecordSize, kRecordSize), RecordText(t, ack.index))
          << ack.path << " tail " << ack.tail;
      EXPECT_GT(ack.tail, last_tail[ack.path]) << "a writer's records keep their order";
      last_tail[ack.path] = ack.tail;
    }
  }

  // Every record is stored exactly once, and each writer's records appear in order.
  std::vector<int> seen(static_cast<size_t>(threads) * per_thread, 0);
  for (const auto& [path, data] : contents) {
    std::map<int, int> last_index;
    for (size_t pos = 0; pos + kRecordSize <= data.size(); pos += kRecordSize) {
      int thread = -1;
      int index = -1;
      ASSERT_EQ(std::sscanf(data.c_str() + pos, "t%3d-%6d;", &thread, &index), 2)
          << path << "@" << pos;
      ASSERT_GE(thread, 0);
      ASSERT_LT(thread, threads);
      ASSERT_GE(index, 0);
      ASSERT_LT(index, per_thread);
      EXPECT_EQ(path, paths[static_cast<size_t>((thread + index) % streams)]);
      ++seen[static_cast<size_t>(thread) * per_thread + index];
      auto it = last_index.find(thread);
      if (it != last_index.end()) {
        EXPECT_GT(index, it->second) << path << "@" << pos;
      }
      last_index[thread] = index;
    }
  }
  for (size_t k = 0; k < seen.size(); ++k) {
    EXPECT_EQ(seen[k], 1) << "record t" << k / per_thread << "-" << k % per_thread;
  }
}

TYPED_TEST(StreamManagerContractTest, ConcurrentAppendsToOneStream) {
  this->Reopen(/*sync=*/false);
  AppendConcurrentlyAndVerify(this, 16, 500, 1);
}

TYPED_TEST(StreamManagerContractTest, ConcurrentAppendsToManyStreams) {
  this->Reopen(/*sync=*/false);
  AppendConcurrentlyAndVerify(this, 16, 500, 32);
}

TYPED_TEST(StreamManagerContractTest, ConcurrentSyncedAppends) {
  AppendConcurrentlyAndVerify(this, 8, 40, 1);
}

TYPED_TEST(StreamManagerContractTest, ConcurrentSyncedAppendsToManyStreams) {
  AppendConcurrentlyAndVerify(this, 8, 40, 8);
}

// Concurrent producers with retries: each retry is a duplicate, nothing is stored twice.
TYPED_TEST(StreamManagerContractTest, ConcurrentProducersWithRetries) {
  this->Reopen(/*sync=*/false);
  this->MustCreate("/p");
  constexpr int kProducers = 8;
  constexpr int kPerProducer = 100;
  std::vector<std::thread> workers;
  for (int t = 0; t < kProducers; ++t) {
    workers.emplace_back([this, t] {
      std::string id = "producer-" + std::to_string(t);
      for (int i = 0; i < kPerProducer; ++i) {
        AppendOptions options = WithProducer(Bytes(), id, 0, static_cast<uint64_t>(i));
        AppendResult first = this->manager().append("/p", RecordText(t, i), options);
        AppendResult retry = this->manager().append("/p", RecordText(t, i), options);
        if (!first.status.ok() || first.duplicate || !retry.status.ok() || !retry.duplicate) {
          ADD_FAILURE() << id << " seq " << i << ": " << first.status.message() << " / "
                        << retry.status.message();
          return;
        }
      }
    });
  }
  for (auto& worker : workers) worker.join();
  std::string data = this->ReadAll("/p");
  ASSERT_EQ(data.size(), static_cast<size_t>(kProducers) * kPerProducer * kRecordSize);
  std::map<std::string, int> count;
  for (size_t pos = 0; pos < data.size(); pos += kRecordSize) ++count[data.substr(pos, kRecordSize)];
  EXPECT_EQ(count.size(), static_cast<size_t>(kProducers) * kPerProducer);
  for (const auto& [record, n] : count) EXPECT_EQ(n, 1) << record;
}

// Readers running alongside writers only ever see a prefix of the final content.
TYPED_TEST(StreamManagerContractTest, ConcurrentReadersSeeConsistentPrefixes) {
  this->Reopen(/*sync=*/false);
  this->MustCreate("/r");
  std::atomic<bool> done{false};
  std::vector<std::string> snapshots;
  std::thread reader([&] {
    while (!done.load()) {
      ReadResult read = this->manager().read("/r", 0);
      if (!read.status.ok()) {
        ADD_FAILURE() << read.status.message();
        return;
      }
      EXPECT_EQ(read.next, read.data.size());
      if (snapshots.size() < 200) snapshots.push_back(read.data);
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([this, t] {
      for (int i = 0; i < 300; ++i) this->MustAppend("/r", RecordText(t, i));
    });
  }
  for (auto& writer : writers) writer.join();
  done = true;
  reader.join();
  std::string final_data = this->ReadAll("/r");
  EXPECT_EQ(final_data.size(), 4u * 300 * kRecordSize);
  for (const std::string& snapshot : snapshots) {
    EXPECT_EQ(final_data.compare(0, snapshot.size(), snapshot), 0) << "not a prefix";
  }
}

}  // namespace
}  // namespace streamkeeper::manager_test
