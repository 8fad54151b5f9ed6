// The Storage contract (include/streamkeeper/storage.h), run against every backend.
//
// A new backend passes by adding one factory class (Open() returning a fresh, empty storage) to
// test_backends.h and to the Backends list below.

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "streamkeeper/storage.h"
#include "test_backends.h"

namespace streamkeeper {
namespace {

using testing::MemoryBackend;
using testing::RocksDbBackend;

StreamMeta Meta(const std::string& path, uint64_t generation) {
  StreamMeta meta;
  meta.path = path;
  meta.generation = generation;
  meta.content_type = "application/octet-stream";
  meta.created_at_ms = 1700000000000;
  meta.last_access_ms = 1700000000500;
  return meta;
}

StreamChange Put(StreamMeta meta, std::vector<Record> records = {}, ProducerMap producers = {}) {
  StreamChange change;
  change.kind = StreamChange::Kind::kPut;
  change.meta = std::move(meta);
  change.records = std::move(records);
  change.producers = std::move(producers);
  return change;
}

StreamChange Erase(const std::string& path, uint64_t generation) {
  StreamChange change;
  change.kind = StreamChange::Kind::kErase;
  change.meta = Meta(path, generation);
  return change;
}

std::vector<uint64_t> Positions(const std::vector<Record>& records) {
  std::vector<uint64_t> positions;
  for (const Record& record : records) positions.push_back(record.position);
  return positions;
}

template <typename Backend>
class StorageContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = backend_.Open();
    ASSERT_NE(storage_, nullptr);
    LoadedState state;
    ASSERT_TRUE(storage_->load(&state).ok());
  }

  void Write(std::vector<StreamChange> changes, uint64_t generation_counter = 10) {
    WriteBatch batch;
    batch.changes = std::move(changes);
    batch.generation_counter = generation_counter;
    Status status = storage_->write(batch);
    ASSERT_TRUE(status.ok()) << status.message();
  }

  std::vector<Record> Read(const std::string& path, uint64_t generation, uint64_t from,
                           uint64_t end = UINT64_MAX, size_t max_bytes = SIZE_MAX) {
    std::vector<Record> out;
    Status status = storage_->read_records(path, generation, from, end, max_bytes, &out);
    EXPECT_TRUE(status.ok()) << status.message();
    return out;
  }

  LoadedState Load() {
    LoadedState state;
    Status status = storage_->load(&state);
    EXPECT_TRUE(status.ok()) << status.message();
    return state;
  }

  // Stream "/s" generation 1 with byte records [0,3) [3,5) [5,9) [9,10).
  void WriteFourRecords() {
    Write({Put(Meta("/s", 1), {{0, "abc"}, {3, "de"}, {5, "fghi"}, {9, "j"}})});
  }

  Backend backend_;
  std::unique_ptr<Storage> storage_;
};

using Backends = ::testing::Types<MemoryBackend, RocksDbBackend>;
TYPED_TEST_SUITE(StorageContractTest, Backends);

TYPED_TEST(StorageContractTest, HasAName) {
  EXPECT_GT(std::string(this->storage_->name()).size(), 0u);
}

TYPED_TEST(StorageContractTest, LoadOnEmptyReturnsNothing) {
  LoadedState state = this->Load();
  EXPECT_TRUE(state.streams.empty());
  EXPECT_EQ(state.generation_counter, 0u);
}

TYPED_TEST(StorageContractTest, LoadReturnsExactlyWhatWasWritten) {
  StreamMeta full = Meta("/a/full", 7);
  full.content_type = "application/json";
  full.ttl_seconds = 3600;
  full.expires_at_ms = -5;
  full.closed = true;
  full.tail = 42;
  full.last_stream_seq = "seq-0009";
  full.closed_by = ProducerTuple{"writer-1", 3, 17};
  full.fork_parent = "/a/parent";
  full.fork_parent_generation = 2;
  full.fork_position = 12;
  full.fork_anchor = 10;
  full.fork_sub_offset = 2;
  full.fork_refcount = 4;
  full.soft_deleted = true;
  ProducerMap producers = {{"writer-1", {3, 17}}, {"writer-2", {0, 0}}};
  StreamMeta plain = Meta("/b", 8);

  this->Write({Put(full, {}, producers), Put(plain)}, 99);

  LoadedState state = this->Load();
  EXPECT_EQ(state.generation_counter, 99u);
  ASSERT_EQ(state.streams.size(), 2u);
  std::map<std::string, LoadedStream> by_path;
  for (const LoadedStream& stream : state.streams) by_path[stream.meta.path] = stream;
  EXPECT_EQ(by_path["/a/full"].meta, full);
  EXPECT_EQ(by_path["/a/full"].producers, producers);
  EXPECT_EQ(by_path["/b"].meta, plain);
  EXPECT_TRUE(by_path["/b"].producers.empty());
}

TYPED_TEST(StorageContractTest, PutUpsertsMetaAndMergesProducers) {
  this->Write({Put(Meta("/s", 1), {}, {{"p1", {1, 1}}, {"p2", {1, 5}}})});
  StreamMeta updated = Meta("/s", 1);
  updated.tail = 3;
  this->Write({Put(updated, {{0, "abc"}}, {{"p1", {2, 0}}})}, 11);

  LoadedState state = this->Load();
  EXPECT_EQ(state.generation_counter, 11u);
  ASSERT_EQ(state.streams.size(), 1u);
  EXPECT_EQ(state.streams[0].meta, updated);
  ProducerMap expected = {{"p1", {2, 0}}, {"p2", {1, 5}}};
  EXPECT_EQ(state.streams[0].producers, expected);
}

TYPED_TEST(StorageContractTest, RecordsOnlyChangeKeepsStoredMetaAndLoadReportsLastRecord) {
  StreamMeta created = Meta("/s", 1);
  created.last_stream_seq = "a";
  this->Write({Put(created)});
  StreamMeta appended = created;
  appended.tail = 5;
  appended.last_access_ms += 1000;
  StreamChange records_only = Put(appended, {{0, "abc"}, {3, "de"}});
  records_only.write_meta = false;
  this->Write({records_only});

  LoadedState state = this->Load();
  ASSERT_EQ(state.streams.size(), 1u);
  EXPECT_EQ(state.streams[0].meta, created);  // not rewritten
  ASSERT_TRUE(state.streams[0].last_record.has_value());
  EXPECT_EQ(state.streams[0].last_record->position, 3u);
  EXPECT_EQ(state.streams[0].last_record->value, "de");
}

TYPED_TEST(StorageContractTest, LastRecordIsOfTheCurrentGenerationOnly) {
  this->Write({Put(Meta("/s", 1), {{0, "old-data"}})});
  this->Write({Erase("/s", 1), Put(Meta("/s", 2))});
  LoadedState state = this->Load();
  ASSERT_EQ(state.streams.size(), 1u);
  EXPECT_FALSE(state.streams[0].last_record.has_value());
}

TYPED_TEST(StorageContractTest, ReadsRecordsInPositionOrder) {
  this->WriteFourRecords();
  std::vector<Record> records = this->Read("/s", 1, 0);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(Positions(records), (std::vector<uint64_t>{0, 3, 5, 9}));
  EXPECT_EQ(records[0].value, "abc");
  EXPECT_EQ(records[2].value, "fghi");
}

TYPED_TEST(StorageContractTest, RecordsAppendedAcrossBatchesStayOrdered) {
  this->Write({Put(Meta("/s", 1), {{0, "ab"}})});
  this->Write({Put(Meta("/s", 1), {{2, "c"}, {3, "def"}})});
  this->Write({Put(Meta("/s", 1), {{6, "g"}})});
  EXPECT_EQ(Positions(this->Read("/s", 1, 0)), (std::vector<uint64_t>{0, 2, 3, 6}));
}

TYPED_TEST(StorageContractTest, FromInsideARecordReturnsThatRecordFirst) {
  this->WriteFourRecords();
  EXPECT_EQ(Positions(this->Read("/s", 1, 6)), (std::vector<uint64_t>{5, 9}));
  EXPECT_EQ(Positions(this->Read("/s", 1, 5)), (std::vector<uint64_t>{5, 9}));
  EXPECT_EQ(Positions(this->Read("/s", 1, 4)), (std::vector<uint64_t>{3, 5, 9}));
}

TYPED_TEST(StorageContractTest, EndBoundIsExclusive) {
  this->WriteFourRecords();
  EXPECT_EQ(Positions(this->Read("/s", 1, 0, 5)), (std::vector<uint64_t>{0, 3}));
  EXPECT_EQ(Positions(this->Read("/s", 1, 0, 6)), (std::vector<uint64_t>{0, 3, 5}));
  EXPECT_EQ(Positions(this->Read("/s", 1, 4, 5)), (std::vector<uint64_t>{3}));
  EXPECT_TRUE(this->Read("/s", 1, 5, 5).empty());
}

TYPED_TEST(StorageContractTest, MaxBytesStopsAfterTheRecordThatReachesIt) {
  this->WriteFourRecords();
  // 3 bytes reach 3: one record.
  EXPECT_EQ(Positions(this->Read("/s", 1, 0, UINT64_MAX, 3)), (std::vector<uint64_t>{0}));
  // 3 < 4: the second record (total 5) reaches it.
  EXPECT_EQ(Positions(this->Read("/s", 1, 0, UINT64_MAX, 4)), (std::vector<uint64_t>{0, 3}));
  // Always at least one record, however small the budget.
  EXPECT_EQ(Positions(this->Read("/s", 1, 5, UINT64_MAX, 1)), (std::vector<uint64_t>{5}));
  EXPECT_EQ(Positions(this->Read("/s", 1, 0, UINT64_MAX, 0)), (std::vector<uint64_t>{0}));
}

TYPED_TEST(StorageContractTest, ReadAppendsToExistingOutput) {
  this->WriteFourRecords();
  std::vector<Record> out = {{100, "already there"}};
  ASSERT_TRUE(this->storage_->read_records("/s", 1, 9, UINT64_MAX, SIZE_MAX, &out).ok());
  EXPECT_EQ(Positions(out), (std::vector<uint64_t>{100, 9}));
}

TYPED_TEST(StorageContractTest, UnknownStreamReadsNothing) {
  this->WriteFourRecords();
  EXPECT_TRUE(this->Read("/nope", 1, 0).empty());
  EXPECT_TRUE(this->Read("/s/", 1, 0).empty());
  EXPECT_TRUE(this->Read("/", 1, 0).empty());
}

TYPED_TEST(StorageContractTest, OtherGenerationsAreNeverReturned) {
  this->Write({Put(Meta("/s", 1), {{0, "old0"}, {4, "old4"}})});
  this->Write({Put(Meta("/s", 2), {{0, "new0"}})});
  // A path that extends "/s" must not leak into it either.
  this->Write({Put(Meta("/s2", 1), {{0, "x"}})});

  std::vector<Record> gen2 = this->Read("/s", 2, 0);
  ASSERT_EQ(gen2.size(), 1u);
  EXPECT_EQ(gen2[0].value, "new0");
  EXPECT_EQ(Positions(this->Read("/s", 2, 10)), (std::vector<uint64_t>{0}));
  EXPECT_TRUE(this->Read("/s", 3, 0).empty());
  EXPECT_EQ(Positions(this->Read("/s", 1, 0)), (std::vector<uint64_t>{0, 4}));
}

TYPED_TEST(StorageContractTest, EraseRemovesThatGenerationOnly) {
  this->Write({Put(Meta("/s", 1), {{0, "abc"}}, {{"p", {1, 1}}}),
               Put(Meta("/other", 2), {{0, "keep"}}, {{"q", {1, 2}}})});
  this->Write({Erase("/s", 1)}, 12);
  // The records go with the next write after the erase is durable (until then a kReset could
  // bring the stream back); nobody reads an erased generation meanwhile.
  this->Write({Put(Meta("/other", 2), {})}, 12);

  LoadedState state = this->Load();
  EXPECT_EQ(state.generation_counter, 12u);
  ASSERT_EQ(state.streams.size(), 1u);
  EXPECT_EQ(state.streams[0].meta.path, "/other");
  EXPECT_EQ(state.streams[0].producers, (ProducerMap{{"q", {1, 2}}}));
  EXPECT_TRUE(this->Read("/s", 1, 0).empty());
  EXPECT_EQ(this->Read("/other", 2, 0).size(), 1u);
}

TYPED_TEST(StorageContractTest, RecreatedPathSeesNoOldRecordsOrProducers) {
  this->Write({Put(Meta("/s", 1), {{0, "abc"}, {3, "def"}}, {{"p", {4, 9}}})});
  this->Write({Erase("/s", 1)});
  this->Write({Put(Meta("/s", 2), {}, {{"other", {0, 0}}})});

  EXPECT_TRUE(this->Read("/s", 2, 0).empty());
  EXPECT_TRUE(this->Read("/s", 1, 0).empty());
  LoadedState state = this->Load();
  ASSERT_EQ(state.streams.size(), 1u);
  EXPECT_EQ(state.streams[0].meta.generation, 2u);
  EXPECT_EQ(state.streams[0].producers, (ProducerMap{{"other", {0, 0}}}));
}

TYPED_TEST(StorageContractTest, EraseThenPutInOneBatch) {
  this->Write({Put(Meta("/s", 1), {{0, "old"}})});
  this->Write({Erase("/s", 1), Put(Meta("/s", 2), {{0, "new"}})});
  this->Write({Put(Meta("/s", 2), {})});  // the durable erase's records go with the next write

  LoadedState state = this->Load();
  ASSERT_EQ(state.streams.size(), 1u);
  EXPECT_EQ(state.streams[0].meta.generation, 2u);
  EXPECT_TRUE(this->Read("/s", 1, 0).empty());
  ASSERT_EQ(this->Read("/s", 2, 0).size(), 1u);
}

// kReset undoes what a failed batch may have left: the meta as given, exactly the given
// producers, and no record at or above the given tail.
TYPED_TEST(StorageContractTest, ResetMakesTheStreamExactlyTheGivenState) {
  StreamMeta meta = Meta("/s", 1);
  meta.tail = 6;
  this->Write({Put(meta, {{0, "abc"}, {3, "def"}}, {{"kept", {1, 1}}})});
  StreamMeta failed = meta;
  failed.tail = 12;
  failed.closed = true;
  this->Write({Put(failed, {{6, "ghi"}, {9, "jkl"}}, {{"kept", {1, 5}}, {"new", {0, 0}}})});

  StreamChange reset;
  reset.kind = StreamChange::Kind::kReset;
  reset.meta = meta;
  reset.producers = {{"kept", {1, 1}}};
  this->Write({reset});

  LoadedState state = this->Load();
  ASSERT_EQ(state.streams.size(), 1u);
  EXPECT_EQ(state.streams[0].meta, meta);
  EXPECT_EQ(state.streams[0].producers, (ProducerMap{{"kept", {1, 1}}}));
  ASSERT_TRUE(state.streams[0].last_record.has_value());
  EXPECT_EQ(state.streams[0].last_record->position, 3u);
  EXPECT_EQ(Positions(this->Read("/s", 1, 0)), (std::vector<uint64_t>{0, 3}));
}

TYPED_TEST(StorageContractTest, ResetWithoutProducersRemovesThemAll) {
  this->Write({Put(Meta("/s", 1), {}, {{"p", {0, 0}}})});
  StreamChange reset;
  reset.kind = StreamChange::Kind::kReset;
  reset.meta = Meta("/s", 1);
  this->Write({reset});
  LoadedState state = this->Load();
  ASSERT_EQ(state.streams.size(), 1u);
  EXPECT_TRUE(state.streams[0].producers.empty());
}

TYPED_TEST(StorageContractTest, ABatchOfSeveralStreamsIsVisibleWhole) {
  std::vector<StreamChange> changes;
  for (int i = 0; i < 20; ++i) {
    std::string path = "/batch/" + std::to_string(i);
    changes.push_back(Put(Meta(path, 100 + i), {{0, path}}, {{"p", {1, uint64_t(i)}}}));
  }
  this->Write(std::move(changes), 120);

  LoadedState state = this->Load();
  EXPECT_EQ(state.generation_counter, 120u);
  ASSERT_EQ(state.streams.size(), 20u);
  for (const LoadedStream& stream : state.streams) {
    EXPECT_EQ(stream.producers.size(), 1u);
    std::vector<Record> records = this->Read(stream.meta.path, stream.meta.generation, 0);
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].value, stream.meta.path);
  }
}

TYPED_TEST(StorageContractTest, BinaryValuesRoundTrip) {
  std::string value("\0\xff\x01zero\0", 8);
  this->Write({Put(Meta("/bin", 1), {{0, value}, {8, ""}})});
  std::vector<Record> records = this->Read("/bin", 1, 0);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].value, value);
  EXPECT_EQ(records[1].value, "");
}

TYPED_TEST(StorageContractTest, ReadsRunConcurrentlyWithWrites) {
  this->Write({Put(Meta("/c", 1), {{0, "x"}})});
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done) {
      std::vector<Record> records = this->Read("/c", 1, 0);
      ASSERT_FALSE(records.empty());
      for (size_t i = 1; i < records.size(); ++i) {
        ASSERT_LT(records[i - 1].position, records[i].position);
      }
    }
  });
  for (uint64_t position = 1; position < 200; ++position) {
    this->Write({Put(Meta("/c", 1), {{position, "x"}})});
  }
  done = true;
  reader.join();
  EXPECT_EQ(this->Read("/c", 1, 0).size(), 200u);
}

}  // namespace
}  // namespace streamkeeper
