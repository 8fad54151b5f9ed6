// The Storage contract (include/streamkeeper/storage.h), run against every backend.
//
// A new backend passes by adding one factory class (Open() returning a fresh, empty storage) to
// test_backends.h and to the Backends list below. Each test is one rule of the contract.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <optional>
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

StreamChange Change(StreamChange::Kind kind, StreamMeta meta) {
  StreamChange change;
  change.kind = kind;
  change.meta = std::move(meta);
  return change;
}

StreamChange Put(StreamMeta meta, std::vector<Record> records = {}, ProducerMap producers = {}) {
  StreamChange change = Change(StreamChange::Kind::kPut, std::move(meta));
  change.records = std::move(records);
  change.producers = std::move(producers);
  return change;
}

StreamChange Erase(const std::string& path, uint64_t generation) {
  return Change(StreamChange::Kind::kErase, Meta(path, generation));
}

StreamChange Purge(const std::string& path, uint64_t generation) {
  return Change(StreamChange::Kind::kPurge, Meta(path, generation));
}

StreamChange Reset(StreamMeta meta, ProducerMap producers = {}) {
  StreamChange change = Change(StreamChange::Kind::kReset, std::move(meta));
  change.producers = std::move(producers);
  return change;
}

// A kIndex change: nothing but the expiry index fields.
StreamChange Index(const std::string& path, uint64_t generation, std::optional<int64_t> add,
                   std::optional<int64_t> remove = std::nullopt) {
  StreamChange change = Change(StreamChange::Kind::kIndex, Meta(path, generation));
  change.index_expiry_ms = add;
  change.unindex_expiry_ms = remove;
  return change;
}

std::vector<uint64_t> Positions(const std::vector<Record>& records) {
  std::vector<uint64_t> positions;
  for (const Record& record : records) positions.push_back(record.position);
  return positions;
}

std::vector<std::pair<std::string, uint64_t>> Generations(const RecoveredState& state) {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (const StreamMeta& meta : state.pending_purges) out.emplace_back(meta.path, meta.generation);
  std::sort(out.begin(), out.end());
  return out;
}

template <typename Backend>
class StorageContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = backend_.Open();
    ASSERT_NE(storage_, nullptr);
    RecoveredState state;
    ASSERT_TRUE(storage_->recover(&state).ok());
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

  std::optional<LoadedStream> Load(const std::string& path) {
    std::optional<LoadedStream> stream;
    Status status = storage_->load_stream(path, &stream);
    EXPECT_TRUE(status.ok()) << status.message();
    return stream;
  }

  std::vector<LoadedStream> LoadAll() {
    std::vector<LoadedStream> streams;
    Status status = LoadAllStreams(*storage_, &streams);
    EXPECT_TRUE(status.ok()) << status.message();
    return streams;
  }

  std::vector<std::string> List(std::string_view prefix, std::string_view start_after,
                                size_t limit = 1000) {
    std::vector<StreamMeta> metas;
    Status status = storage_->list_streams(prefix, start_after, limit, &metas);
    EXPECT_TRUE(status.ok()) << status.message();
    std::vector<std::string> paths;
    for (const StreamMeta& meta : metas) paths.push_back(meta.path);
    return paths;
  }

  std::vector<ExpiryEntry> Scan(int64_t due_ms, const ExpiryEntry* after = nullptr,
                                size_t limit = 1000) {
    std::vector<ExpiryEntry> entries;
    Status status = storage_->scan_expiry(due_ms, after, limit, &entries);
    EXPECT_TRUE(status.ok()) << status.message();
    return entries;
  }

  // What start-up would see: a durable backend is closed and opened again first (its
  // recover() is called once per open); the memory backend has no restart and answers again.
  RecoveredState RecoverAfterRestart() {
    if constexpr (Backend::kPersistent) {
      storage_.reset();
      storage_ = backend_.Open();
    }
    RecoveredState state;
    Status status = storage_->recover(&state);
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

// --- recover, load_stream ----------------------------------------------------------------------

TYPED_TEST(StorageContractTest, AnEmptyStoreRecoversNothingAndHoldsNoStream) {
  RecoveredState state = this->RecoverAfterRestart();
  EXPECT_EQ(state.generation_counter, 0u);
  EXPECT_TRUE(state.pending_purges.empty());
  EXPECT_FALSE(this->Load("/s").has_value());
  EXPECT_TRUE(this->List("", "").empty());
  EXPECT_TRUE(this->Scan(INT64_MAX).empty());
  EXPECT_TRUE(this->LoadAll().empty());
}

TYPED_TEST(StorageContractTest, RecoverReturnsTheLastGenerationCounterWritten) {
  this->Write({Put(Meta("/s", 1))}, 41);
  this->Write({}, 99);  // a batch of no changes still persists the counter
  EXPECT_EQ(this->RecoverAfterRestart().generation_counter, 99u);
}

TYPED_TEST(StorageContractTest, LoadStreamReturnsExactlyWhatWasWritten) {
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
  full.indexed_expiry_ms = -5;
  ProducerMap producers = {{"writer-1", {3, 17}}, {"writer-2", {0, 0}}};
  StreamMeta plain = Meta("/b", 8);

  this->Write({Put(full, {{0, "x"}, {40, "yz"}}, producers), Put(plain)}, 99);

  std::optional<LoadedStream> loaded = this->Load("/a/full");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->meta, full);
  EXPECT_EQ(loaded->producers, producers);
  ASSERT_TRUE(loaded->last_record.has_value());
  EXPECT_EQ(loaded->last_record->position, 40u);
  EXPECT_EQ(loaded->last_record->value, "yz");
  loaded = this->Load("/b");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->meta, plain);
  EXPECT_TRUE(loaded->producers.empty());
  EXPECT_FALSE(loaded->last_record.has_value());
}

TYPED_TEST(StorageContractTest, LoadStreamOfAnUnknownPathIsNullopt) {
  this->WriteFourRecords();
  EXPECT_FALSE(this->Load("/nope").has_value());
  EXPECT_FALSE(this->Load("/s/").has_value());  // paths that extend or prefix a stored one
  EXPECT_FALSE(this->Load("/").has_value());
  EXPECT_FALSE(this->Load("/s0").has_value());
}

TYPED_TEST(StorageContractTest, LoadMetaReturnsTheStoredMetaAlone) {
  StreamMeta meta = Meta("/s", 3);
  meta.ttl_seconds = 60;
  meta.indexed_expiry_ms = 1700000060500;
  meta.tail = 1;  // trails the records, as after plain appends
  this->Write({Put(meta, {{0, "a"}, {1, "bcd"}}, {{"p", {0, 4}}})});
  std::optional<StreamMeta> loaded;
  ASSERT_TRUE(this->storage_->load_meta("/s", &loaded).ok());
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(*loaded, meta) << "as stored: the tail is not recovered";
  ASSERT_TRUE(this->storage_->load_meta("/s/", &loaded).ok());
  EXPECT_FALSE(loaded.has_value());
  this->Write({Erase("/s", 3)});
  ASSERT_TRUE(this->storage_->load_meta("/s", &loaded).ok());
  EXPECT_FALSE(loaded.has_value());
}

TYPED_TEST(StorageContractTest, PutUpsertsMetaAndMergesProducers) {
  this->Write({Put(Meta("/s", 1), {}, {{"p1", {1, 1}}, {"p2", {1, 5}}})});
  StreamMeta updated = Meta("/s", 1);
  updated.tail = 3;
  this->Write({Put(updated, {{0, "abc"}}, {{"p1", {2, 0}}})}, 11);

  std::optional<LoadedStream> loaded = this->Load("/s");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->meta, updated);
  EXPECT_EQ(loaded->producers, (ProducerMap{{"p1", {2, 0}}, {"p2", {1, 5}}}));
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

  std::optional<LoadedStream> loaded = this->Load("/s");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->meta, created);  // not rewritten
  ASSERT_TRUE(loaded->last_record.has_value());
  EXPECT_EQ(loaded->last_record->position, 3u);
  EXPECT_EQ(loaded->last_record->value, "de");
}

TYPED_TEST(StorageContractTest, LastRecordIsOfTheCurrentGenerationOnly) {
  this->Write({Put(Meta("/s", 1), {{0, "old-data"}})});
  this->Write({Erase("/s", 1), Put(Meta("/s", 2))});
  // Neither the erased generation's records nor a longer path's count.
  this->Write({Put(Meta("/s0", 3), {{0, "other"}}), Put(Meta("/s/x", 4), {{0, "other"}})});
  std::optional<LoadedStream> loaded = this->Load("/s");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->meta.generation, 2u);
  EXPECT_FALSE(loaded->last_record.has_value());
}

TYPED_TEST(StorageContractTest, LoadStreamIsNulloptOnceErased) {
  this->Write({Put(Meta("/s", 1), {{0, "abc"}}, {{"p", {1, 1}}})});
  this->Write({Erase("/s", 1)});
  EXPECT_FALSE(this->Load("/s").has_value());
  EXPECT_TRUE(this->List("", "").empty());
}

// --- list_streams ------------------------------------------------------------------------------

// Paths that prefix one another, and bytes on both sides of '/' and '0'.
const std::vector<std::string> kTrickyPaths = {"/a",     "/a\x01",     "/a/b", "/a0",
                                               "/a\xff", "/a\xff\xff", "/b"};

TYPED_TEST(StorageContractTest, ListStreamsReturnsEveryPathInBytewiseOrder) {
  std::vector<StreamChange> changes;
  for (auto it = kTrickyPaths.rbegin(); it != kTrickyPaths.rend(); ++it) {
    changes.push_back(Put(Meta(*it, 1)));
  }
  this->Write(std::move(changes));
  EXPECT_EQ(this->List("", ""), kTrickyPaths);
}

TYPED_TEST(StorageContractTest, ListStreamsPagesWithStartAfterAndLimit) {
  std::vector<StreamChange> changes;
  for (const std::string& path : kTrickyPaths) changes.push_back(Put(Meta(path, 1)));
  this->Write(std::move(changes));

  std::vector<std::string> all;
  std::string start_after;
  for (;;) {
    std::vector<std::string> page = this->List("", start_after, 2);
    all.insert(all.end(), page.begin(), page.end());
    if (page.size() < 2) break;  // fewer than the limit: no more
    start_after = page.back();
  }
  EXPECT_EQ(all, kTrickyPaths);
  EXPECT_EQ(this->List("", "/a/b", 2), (std::vector<std::string>{"/a0", "/a\xff"}));
  EXPECT_EQ(this->List("", "/a\xff\xff"), (std::vector<std::string>{"/b"}));
  EXPECT_TRUE(this->List("", "/b").empty());
  // start_after need not be a stored path.
  EXPECT_EQ(this->List("", "/a/", 1), (std::vector<std::string>{"/a/b"}));
  EXPECT_TRUE(this->List("", "", 0).empty());
}

TYPED_TEST(StorageContractTest, ListStreamsKeepsOnlyPathsStartingWithThePrefix) {
  std::vector<StreamChange> changes;
  for (const std::string& path : kTrickyPaths) changes.push_back(Put(Meta(path, 1)));
  this->Write(std::move(changes));
  using Paths = std::vector<std::string>;
  EXPECT_EQ(this->List("/a", ""), (Paths{"/a", "/a\x01", "/a/b", "/a0", "/a\xff", "/a\xff\xff"}));
  EXPECT_EQ(this->List("/a/", ""), (Paths{"/a/b"}));
  EXPECT_EQ(this->List("/a\xff", ""), (Paths{"/a\xff", "/a\xff\xff"}));
  EXPECT_EQ(this->List("/a\xff\xff", ""), (Paths{"/a\xff\xff"}));
  EXPECT_EQ(this->List("/b", ""), (Paths{"/b"}));
  EXPECT_TRUE(this->List("/c", "").empty());
  EXPECT_TRUE(this->List("/a/b/", "").empty());
  // With start_after: inside the prefix's range, before it, and past it.
  EXPECT_EQ(this->List("/a", "/a/b"), (Paths{"/a0", "/a\xff", "/a\xff\xff"}));
  EXPECT_EQ(this->List("/a", "/a/b", 1), (Paths{"/a0"}));
  EXPECT_EQ(this->List("/a\xff", "/"), (Paths{"/a\xff", "/a\xff\xff"}));
  EXPECT_TRUE(this->List("/a", "/a\xff\xff").empty());
  EXPECT_TRUE(this->List("/a", "/b").empty());
}

TYPED_TEST(StorageContractTest, ListStreamsReturnsMetasAsStoredAndNeverReservedKeys) {
  StreamMeta meta = Meta("/s", 1);
  meta.ttl_seconds = 60;
  meta.indexed_expiry_ms = 1700000060500;
  this->Write({Put(meta), Put(Meta("/gone", 2))}, 77);
  this->Write({Erase("/gone", 2)});  // leaves a purge to be reported: reserved bookkeeping
  std::vector<StreamMeta> metas;
  ASSERT_TRUE(this->storage_->list_streams("", "", 100, &metas).ok());
  ASSERT_EQ(metas.size(), 1u);
  EXPECT_EQ(metas[0], meta);
  // No path starts with NUL (nor is empty), so these select nothing.
  EXPECT_TRUE(this->List(std::string_view("\0", 1), "").empty());
  EXPECT_TRUE(this->List(std::string_view("\0purge", 6), "").empty());
  EXPECT_EQ(this->List("", std::string_view("\0", 1)), (std::vector<std::string>{"/s"}));
}

TYPED_TEST(StorageContractTest, LoadAllStreamsPagesThroughEveryStream) {
  std::vector<StreamChange> changes;
  for (int i = 0; i < 2345; ++i) {  // more than two of its pages
    std::string path = "/many/" + std::to_string(i);
    changes.push_back(Put(Meta(path, 100 + i), {{0, path}}));
  }
  this->Write(std::move(changes));
  std::vector<LoadedStream> streams = this->LoadAll();
  ASSERT_EQ(streams.size(), 2345u);
  for (size_t i = 1; i < streams.size(); ++i) {
    ASSERT_LT(streams[i - 1].meta.path, streams[i].meta.path);
  }
  for (const LoadedStream& stream : streams) {
    ASSERT_TRUE(stream.last_record.has_value());
    ASSERT_EQ(stream.last_record->value, stream.meta.path);
  }
}

// --- scan_expiry -------------------------------------------------------------------------------

StreamChange Indexed(StreamChange change, std::optional<int64_t> add,
                     std::optional<int64_t> remove = std::nullopt) {
  change.index_expiry_ms = add;
  change.unindex_expiry_ms = remove;
  return change;
}

TYPED_TEST(StorageContractTest, ScanExpiryReturnsDueEntriesByTimePathGeneration) {
  this->Write({Index("/b", 1, 500), Index("/a", 2, 500), Index("/a", 1, 500), Index("/a/b", 1, 500),
               Index("/a0", 1, 500), Index("/late", 1, 501), Index("/neg", 1, -7),
               Index("/min", 1, INT64_MIN), Index("/zero", 1, 0)});
  std::vector<ExpiryEntry> expected = {{INT64_MIN, "/min", 1}, {-7, "/neg", 1}, {0, "/zero", 1},
                                       {500, "/a", 1},         {500, "/a", 2},  {500, "/a/b", 1},
                                       {500, "/a0", 1},        {500, "/b", 1}};
  EXPECT_EQ(this->Scan(500), expected);  // at_ms <= due_ms: 500 is due at 500
  expected.push_back({501, "/late", 1});
  EXPECT_EQ(this->Scan(INT64_MAX), expected);
  EXPECT_EQ(this->Scan(-1), (std::vector<ExpiryEntry>{{INT64_MIN, "/min", 1}, {-7, "/neg", 1}}));
  EXPECT_TRUE(this->Scan(INT64_MIN + 1).size() == 1u);
}

TYPED_TEST(StorageContractTest, ScanExpiryPagesWithAfterAndLimit) {
  std::vector<StreamChange> changes;
  std::vector<ExpiryEntry> expected;
  for (int i = 0; i < 7; ++i) {
    int64_t at = -300 + 100 * (i / 2);  // two entries per time, negative times first
    std::string path = "/p" + std::to_string(i);
    changes.push_back(Index(path, 1, at));
    expected.push_back({at, path, 1});
  }
  this->Write(std::move(changes));

  std::vector<ExpiryEntry> all;
  const ExpiryEntry* after = nullptr;
  ExpiryEntry last;
  for (;;) {
    std::vector<ExpiryEntry> page = this->Scan(INT64_MAX, after, 3);
    all.insert(all.end(), page.begin(), page.end());
    if (page.size() < 3) break;
    last = page.back();
    after = &last;
  }
  EXPECT_EQ(all, expected);
  // `after` need not be stored; past the due time there is nothing.
  ExpiryEntry between{-300, "/p0\x01", 0};
  EXPECT_EQ(this->Scan(INT64_MAX, &between, 1), (std::vector<ExpiryEntry>{expected[1]}));
  ExpiryEntry beyond{0, "/p", 0};
  EXPECT_TRUE(this->Scan(-1, &beyond).empty());
  EXPECT_TRUE(this->Scan(INT64_MAX, nullptr, 0).empty());
}

TYPED_TEST(StorageContractTest, UnindexThenIndexInOneChangeMovesTheEntry) {
  StreamMeta meta = Meta("/s", 1);
  meta.ttl_seconds = 60;
  this->Write({Indexed(Put(meta), 1000)});
  this->Write({Indexed(Put(meta), 2000, 1000)});
  EXPECT_EQ(this->Scan(INT64_MAX), (std::vector<ExpiryEntry>{{2000, "/s", 1}}));
  this->Write({Indexed(Put(meta), 2000, 2000)});  // removed, then added: kept
  EXPECT_EQ(this->Scan(INT64_MAX), (std::vector<ExpiryEntry>{{2000, "/s", 1}}));
}

TYPED_TEST(StorageContractTest, IndexChangeWritesOnlyTheIndex) {
  StreamMeta meta = Meta("/s", 1);
  this->Write({Put(meta, {{0, "abc"}}, {{"p", {1, 1}}})});
  StreamChange index = Index("/s", 1, 300);
  index.meta.tail = 999;  // ignored, like everything of a kIndex but the index fields
  index.records = {{3, "ignored"}};
  index.producers = {{"ignored", {9, 9}}};
  this->Write({index, Index("/never-stored", 4, 100)});

  EXPECT_EQ(this->Scan(INT64_MAX),
            (std::vector<ExpiryEntry>{{100, "/never-stored", 4}, {300, "/s", 1}}));
  std::optional<LoadedStream> loaded = this->Load("/s");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->meta, meta);
  EXPECT_EQ(loaded->producers, (ProducerMap{{"p", {1, 1}}}));
  EXPECT_EQ(Positions(this->Read("/s", 1, 0)), (std::vector<uint64_t>{0}));
  EXPECT_FALSE(this->Load("/never-stored").has_value());

  this->Write({Index("/s", 1, std::nullopt, 300)});
  EXPECT_EQ(this->Scan(INT64_MAX), (std::vector<ExpiryEntry>{{100, "/never-stored", 4}}));
}

TYPED_TEST(StorageContractTest, UnindexingAnAbsentEntryIsNoError) {
  this->Write({Index("/s", 1, 100)});
  this->Write({Index("/s", 1, std::nullopt, 101), Index("/s", 2, std::nullopt, 100),
               Index("/t", 1, std::nullopt, 100)});
  EXPECT_EQ(this->Scan(INT64_MAX), (std::vector<ExpiryEntry>{{100, "/s", 1}}));
}

TYPED_TEST(StorageContractTest, EveryKindAppliesTheIndexFieldsAfterItself) {
  StreamMeta meta = Meta("/s", 1);
  this->Write({Indexed(Put(meta, {{0, "a"}}), 100)});
  // The sweeper's erase of an expired stream drops its entry in the same change.
  this->Write({Indexed(Erase("/s", 1), std::nullopt, 100)});
  EXPECT_TRUE(this->Scan(INT64_MAX).empty());
  // A rollback's kReset files it again.
  this->Write({Indexed(Reset(meta), 100)});
  EXPECT_EQ(this->Scan(INT64_MAX), (std::vector<ExpiryEntry>{{100, "/s", 1}}));
  this->Write({Erase("/s", 1)});
  this->Write({Indexed(Purge("/s", 1), std::nullopt, 100)});
  EXPECT_TRUE(this->Scan(INT64_MAX).empty());
  // Entries belong to a generation: two incarnations of one path are two entries.
  this->Write({Indexed(Put(Meta("/t", 1)), 100), Indexed(Put(Meta("/t", 2)), 100)});
  this->Write({Index("/t", 1, std::nullopt, 100)});
  EXPECT_EQ(this->Scan(INT64_MAX), (std::vector<ExpiryEntry>{{100, "/t", 2}}));
}

// --- read_records ------------------------------------------------------------------------------

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

// --- erase, purge, reset -----------------------------------------------------------------------

TYPED_TEST(StorageContractTest, EraseRemovesThatGenerationOnly) {
  this->Write({Put(Meta("/s", 1), {{0, "abc"}}, {{"p", {1, 1}}}),
               Put(Meta("/other", 2), {{0, "keep"}}, {{"q", {1, 2}}})});
  this->Write({Erase("/s", 1)}, 12);
  // The records stay until the purge (a kReset could still bring the stream back).
  EXPECT_EQ(this->Read("/s", 1, 0).size(), 1u);
  this->Write({Purge("/s", 1)}, 12);

  EXPECT_FALSE(this->Load("/s").has_value());
  std::optional<LoadedStream> other = this->Load("/other");
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->producers, (ProducerMap{{"q", {1, 2}}}));
  EXPECT_TRUE(this->Read("/s", 1, 0).empty());
  EXPECT_EQ(this->Read("/other", 2, 0).size(), 1u);
  EXPECT_EQ(this->List("", ""), (std::vector<std::string>{"/other"}));
}

TYPED_TEST(StorageContractTest, AnErasedGenerationAwaitsItsPurgeAcrossARestart) {
  this->Write({Put(Meta("/s", 1), {{0, "abc"}}), Put(Meta("/t", 5)), Put(Meta("/u", 6))});
  this->Write({Erase("/s", 1), Erase("/t", 5), Erase("/u", 6)}, 12);
  RecoveredState state = this->RecoverAfterRestart();
  EXPECT_EQ(state.generation_counter, 12u);
  using Pending = std::vector<std::pair<std::string, uint64_t>>;
  EXPECT_EQ(Generations(state), (Pending{{"/s", 1}, {"/t", 5}, {"/u", 6}}));

  // A kPurge clears it, and so does a kReset of that generation (the erase undone).
  this->Write({Purge("/s", 1), Reset(Meta("/t", 5))});
  EXPECT_EQ(Generations(this->RecoverAfterRestart()), (Pending{{"/u", 6}}));
  EXPECT_TRUE(this->Load("/t").has_value());
  // A purge of another generation of the path leaves it.
  this->Write({Purge("/u", 7)});
  EXPECT_EQ(Generations(this->RecoverAfterRestart()), (Pending{{"/u", 6}}));
  this->Write({Purge("/u", 6)});
  EXPECT_TRUE(this->RecoverAfterRestart().pending_purges.empty());
}

// Purges of a few keys and of many take different paths in a backend (point deletes or a range
// delete in RocksDB); either must remove exactly that generation.
TYPED_TEST(StorageContractTest, PurgeRemovesProducersAndRecordsOfOneGenerationOnly) {
  uint64_t generation = 0;  // each round uses generations of its own
  for (int records : {1, 32, 33, 500}) {
    SCOPED_TRACE(std::to_string(records) + " records and producers");
    generation += 10;
    std::vector<Record> values;
    ProducerMap producers;
    for (int i = 0; i < records; ++i) {
      values.push_back({uint64_t(i), std::to_string(i)});
      producers[std::to_string(i)] = {1, uint64_t(i)};
    }
    // Neighbours on both sides: the generations before and after, longer paths.
    const std::vector<std::pair<std::string, uint64_t>> neighbours = {
        {"/s", generation - 1}, {"/s", generation + 1}, {"/s0", generation}, {"/s/x", generation}};
    std::vector<StreamChange> changes = {Put(Meta("/s", generation), values, producers)};
    for (const auto& [path, other] : neighbours) {
      changes.push_back(Put(Meta(path, other), {{0, "neighbour"}}, {{"q", {1, 1}}}));
    }
    this->Write(std::move(changes));
    this->Write({Erase("/s", generation)});
    this->Write({Purge("/s", generation)});

    EXPECT_TRUE(this->Read("/s", generation, 0).empty());
    // The generation's meta written again shows no producer and no record left.
    this->Write({Put(Meta("/s", generation))});
    std::optional<LoadedStream> purged = this->Load("/s");
    ASSERT_TRUE(purged.has_value());
    EXPECT_TRUE(purged->producers.empty());
    EXPECT_FALSE(purged->last_record.has_value());
    // New records of that path still land and read back (RocksDB: insert hints after a range
    // tombstone, data_key_prefix.h).
    this->Write({Put(Meta("/s", generation + 5), {{0, "new"}, {3, "er"}})});
    EXPECT_EQ(Positions(this->Read("/s", generation + 5, 0)), (std::vector<uint64_t>{0, 3}));

    for (const auto& [path, other] : neighbours) {
      EXPECT_EQ(this->Read(path, other, 0).size(), 1u) << path << " " << other;
      this->Write({Put(Meta(path, other))});  // its meta, to load its producers
      std::optional<LoadedStream> loaded = this->Load(path);
      ASSERT_TRUE(loaded.has_value());
      EXPECT_EQ(loaded->producers.size(), 1u) << path << " " << other;
    }
  }
}

// The StreamManager's rollback of an erase whose batch failed (it may have reached the store).
TYPED_TEST(StorageContractTest, ResetAfterAFailedEraseBringsTheStreamBackWhole) {
  StreamMeta meta = Meta("/s", 1);
  meta.tail = 6;
  ProducerMap producers = {{"p", {2, 7}}};
  this->Write({Put(meta, {{0, "abc"}, {3, "def"}}, producers)});
  this->Write({Erase("/s", 1)});
  this->Write({Reset(meta, producers)});

  std::optional<LoadedStream> loaded = this->Load("/s");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->meta, meta);
  EXPECT_EQ(loaded->producers, producers);
  ASSERT_TRUE(loaded->last_record.has_value());
  EXPECT_EQ(loaded->last_record->position, 3u);
  EXPECT_EQ(Positions(this->Read("/s", 1, 0)), (std::vector<uint64_t>{0, 3}));
  EXPECT_TRUE(this->RecoverAfterRestart().pending_purges.empty());
}

TYPED_TEST(StorageContractTest, RecreatedPathSeesNoOldRecordsOrProducers) {
  this->Write({Put(Meta("/s", 1), {{0, "abc"}, {3, "def"}}, {{"p", {4, 9}}})});
  this->Write({Erase("/s", 1)});
  this->Write({Put(Meta("/s", 2), {}, {{"other", {0, 0}}}), Purge("/s", 1)});

  EXPECT_TRUE(this->Read("/s", 2, 0).empty());
  EXPECT_TRUE(this->Read("/s", 1, 0).empty());
  std::optional<LoadedStream> loaded = this->Load("/s");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->meta.generation, 2u);
  EXPECT_EQ(loaded->producers, (ProducerMap{{"other", {0, 0}}}));
}

TYPED_TEST(StorageContractTest, EraseThenPutInOneBatch) {
  this->Write({Put(Meta("/s", 1), {{0, "old"}})});
  this->Write({Erase("/s", 1), Put(Meta("/s", 2), {{0, "new"}})});
  this->Write({Purge("/s", 1)});

  std::optional<LoadedStream> loaded = this->Load("/s");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->meta.generation, 2u);
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

  this->Write({Reset(meta, {{"kept", {1, 1}}})});

  std::optional<LoadedStream> loaded = this->Load("/s");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->meta, meta);
  EXPECT_EQ(loaded->producers, (ProducerMap{{"kept", {1, 1}}}));
  ASSERT_TRUE(loaded->last_record.has_value());
  EXPECT_EQ(loaded->last_record->position, 3u);
  EXPECT_EQ(Positions(this->Read("/s", 1, 0)), (std::vector<uint64_t>{0, 3}));
}

TYPED_TEST(StorageContractTest, ResetWithoutProducersRemovesThemAll) {
  this->Write({Put(Meta("/s", 1), {}, {{"p", {0, 0}}})});
  this->Write({Reset(Meta("/s", 1))});
  std::optional<LoadedStream> loaded = this->Load("/s");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_TRUE(loaded->producers.empty());
}

// --- batches, values, concurrency --------------------------------------------------------------

TYPED_TEST(StorageContractTest, ABatchOfSeveralStreamsIsVisibleWhole) {
  std::vector<StreamChange> changes;
  for (int i = 0; i < 20; ++i) {
    std::string path = "/batch/" + std::to_string(i);
    changes.push_back(Indexed(Put(Meta(path, 100 + i), {{0, path}}, {{"p", {1, uint64_t(i)}}}), i));
  }
  this->Write(std::move(changes), 120);

  EXPECT_EQ(this->RecoverAfterRestart().generation_counter, 120u);
  std::vector<LoadedStream> streams = this->LoadAll();
  ASSERT_EQ(streams.size(), 20u);
  EXPECT_EQ(this->Scan(INT64_MAX).size(), 20u);
  for (const LoadedStream& stream : streams) {
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

// Every read runs beside write(); each sees a batch whole or not at all.
TYPED_TEST(StorageContractTest, ReadsRunConcurrentlyWithWrites) {
  this->Write({Indexed(Put(Meta("/c", 1), {{0, "x"}}), 0)});
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done) {
      std::vector<Record> records = this->Read("/c", 1, 0);
      ASSERT_FALSE(records.empty());
      for (size_t i = 1; i < records.size(); ++i) {
        ASSERT_LT(records[i - 1].position, records[i].position);
      }
      std::optional<LoadedStream> loaded = this->Load("/c");
      ASSERT_TRUE(loaded.has_value());
      ASSERT_TRUE(loaded->last_record.has_value());
      // A batch moves the index entry and writes the record together.
      std::vector<ExpiryEntry> entries = this->Scan(INT64_MAX);
      ASSERT_EQ(entries.size(), 1u);
      ASSERT_EQ(this->List("", "").size(), 1u);
    }
  });
  for (uint64_t position = 1; position < 200; ++position) {
    this->Write(
        {Indexed(Put(Meta("/c", 1), {{position, "x"}}), int64_t(position), int64_t(position - 1))});
  }
  done = true;
  reader.join();
  EXPECT_EQ(this->Read("/c", 1, 0).size(), 200u);
  EXPECT_EQ(this->Scan(INT64_MAX), (std::vector<ExpiryEntry>{{199, "/c", 1}}));
}

}  // namespace
}  // namespace streamkeeper
