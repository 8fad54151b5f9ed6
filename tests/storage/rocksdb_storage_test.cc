// RocksDbStorage behaviour beyond the shared contract: durability across reopen, locking,
// format versioning and the generation compaction filter.

#include "storage_rocksdb/rocksdb_storage.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "temp_dir.h"

namespace streamkeeper {
namespace {

StreamMeta Meta(const std::string& path, uint64_t generation, uint64_t tail = 0) {
  StreamMeta meta;
  meta.path = path;
  meta.generation = generation;
  meta.content_type = "text/plain";
  meta.tail = tail;
  return meta;
}

StreamChange Put(StreamMeta meta, std::vector<Record> records, ProducerMap producers = {}) {
  StreamChange change;
  change.meta = std::move(meta);
  change.records = std::move(records);
  change.producers = std::move(producers);
  return change;
}

class RocksDbStorageTest : public ::testing::Test {
 protected:
  std::string DbPath() const { return dir_.path() + "/data/db"; }

  Status OpenAt(const std::string& path, std::unique_ptr<Storage>* out,
                bool create_if_missing = true) {
    RocksDbOptions options;
    options.path = path;
    options.create_if_missing = create_if_missing;
    options.block_cache_bytes = 1 << 20;
    return RocksDbStorage::Open(options, out);
  }

  // Opens DbPath() and, unless told not to, runs load() as the server does.
  std::unique_ptr<Storage> Open(bool load = true) {
    std::unique_ptr<Storage> storage;
    Status status = OpenAt(DbPath(), &storage);
    EXPECT_TRUE(status.ok()) << status.message();
    if (storage && load) {
      LoadedState state;
      EXPECT_TRUE(storage->load(&state).ok());
    }
    return storage;
  }

  static void Write(Storage* storage, std::vector<StreamChange> changes, bool sync = true,
                    uint64_t generation_counter = 5) {
    WriteBatch batch;
    batch.changes = std::move(changes);
    batch.sync = sync;
    batch.generation_counter = generation_counter;
    Status status = storage->write(batch);
    ASSERT_TRUE(status.ok()) << status.message();
  }

  static std::vector<Record> Read(Storage* storage, const std::string& path, uint64_t generation) {
    std::vector<Record> out;
    EXPECT_TRUE(storage->read_records(path, generation, 0, UINT64_MAX, SIZE_MAX, &out).ok());
    return out;
  }

  static LoadedState Load(Storage* storage) {
    LoadedState state;
    Status status = storage->load(&state);
    EXPECT_TRUE(status.ok()) << status.message();
    return state;
  }

  static Status Compact(Storage* storage) {
    return static_cast<RocksDbStorage*>(storage)->Compact();
  }

  // Rewrites the format version key with a raw RocksDB handle.
  void SetFormatVersion(const std::string& version) {
    rocksdb::Options options;
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
        {"meta", rocksdb::ColumnFamilyOptions()},
        {"producers", rocksdb::ColumnFamilyOptions()},
        {"data", rocksdb::ColumnFamilyOptions()}};
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, DbPath(), families, &handles, &db).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[0], "streamkeeper.format", version).ok());
    for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
    delete db;
  }

  testing::TempDir dir_;
};

TEST_F(RocksDbStorageTest, CreatesMissingParentDirectories) {
  auto storage = Open();
  ASSERT_NE(storage, nullptr);
  EXPECT_STREQ(storage->name(), "rocksdb");
  EXPECT_TRUE(std::filesystem::exists(DbPath() + "/CURRENT"));
}

TEST_F(RocksDbStorageTest, StateSurvivesReopen) {
  StreamMeta meta = Meta("/durable", 3, 5);
  meta.ttl_seconds = 60;
  meta.closed_by = ProducerTuple{"p", 1, 2};
  {
    auto storage = Open();
    Write(storage.get(), {Put(meta, {{0, "hel"}, {3, "lo"}}, {{"p", {1, 2}}})}, true, 77);
  }
  auto storage = Open(false);
  LoadedState state = Load(storage.get());
  EXPECT_EQ(state.generation_counter, 77u);
  ASSERT_EQ(state.streams.size(), 1u);
  EXPECT_EQ(state.streams[0].meta, meta);
  EXPECT_EQ(state.streams[0].producers, (ProducerMap{{"p", {1, 2}}}));
  std::vector<Record> records = Read(storage.get(), "/durable", 3);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].value + records[1].value, "hello");
}

TEST_F(RocksDbStorageTest, ProducerStateRewrittenByEveryAppendKeepsItsLastValue) {
  // The producers family updates values in place in the memtable. Pin what that must not
  // change: the last write wins, whether the value grew (varint seq past 127), shrank (a new
  // epoch restarts seq) or was flushed and then rewritten, and it survives a reopen.
  StreamMeta meta = Meta("/producers", 1);
  {
    auto storage = Open();
    uint64_t tail = 0;
    auto append = [&](ProducerMap producers) {
      Write(storage.get(), {Put(Meta("/producers", 1, tail + 1), {{tail, "x"}}, producers)},
            /*sync=*/false);
      ++tail;
    };
    for (uint64_t seq = 0; seq < 200; ++seq) {
      append({{"p", {1, seq}}});
      if (seq < 150) append({{"q", {1, seq}}});
    }
    ASSERT_TRUE(Compact(storage.get()).ok());
    for (uint64_t seq = 200; seq < 300; ++seq) append({{"p", {1, seq}}});
    for (uint64_t seq = 0; seq < 6; ++seq) append({{"q", {2, seq}}});
    ASSERT_TRUE(storage->sync().ok());
  }
  auto storage = Open(false);
  LoadedState state = Load(storage.get());
  ASSERT_EQ(state.streams.size(), 1u);
  EXPECT_EQ(state.streams[0].producers, (ProducerMap{{"p", {1, 299}}, {"q", {2, 5}}}));
  EXPECT_EQ(state.streams[0].meta.tail, 456u);
}

TEST_F(RocksDbStorageTest, UnsyncedWritesSurviveACleanReopen) {
  {
    auto storage = Open();
    for (uint64_t position = 0; position < 50; ++position) {
      Write(storage.get(), {Put(Meta("/fast", 1, position + 1), {{position, "x"}})}, false);
    }
  }
  auto storage = Open(false);
  LoadedState state = Load(storage.get());
  ASSERT_EQ(state.streams.size(), 1u);
  EXPECT_EQ(state.streams[0].meta.tail, 50u);
  EXPECT_EQ(Read(storage.get(), "/fast", 1).size(), 50u);
}

TEST_F(RocksDbStorageTest, SecondOpenInThisProcessFailsClearly) {
  auto first = Open();
  std::unique_ptr<Storage> second;
  Status status = OpenAt(DbPath(), &second);
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kIoError);
  EXPECT_EQ(second, nullptr);
  EXPECT_NE(status.message().find("locked"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find(DbPath()), std::string::npos) << status.message();
}

TEST_F(RocksDbStorageTest, OpenFailsWhileAnotherProcessHoldsTheLock) {
  Open().reset();  // create the database, then release it
  int ready[2];
  int release[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(release), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child takes the same POSIX record lock RocksDB takes on LOCK, then waits.
    int fd = ::open((DbPath() + "/LOCK").c_str(), O_RDWR | O_CREAT, 0644);
    struct flock lock = {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    char byte = (fd >= 0 && ::fcntl(fd, F_SETLK, &lock) == 0) ? 'y' : 'n';
    (void)!::write(ready[1], &byte, 1);
    (void)!::read(release[0], &byte, 1);
    ::_exit(0);
  }
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ASSERT_EQ(byte, 'y');

  std::unique_ptr<Storage> storage;
  Status status = OpenAt(DbPath(), &storage);

  (void)!::write(release[1], "x", 1);
  int child_status = 0;
  ::waitpid(child, &child_status, 0);
  for (int fd : {ready[0], ready[1], release[0], release[1]}) ::close(fd);

  EXPECT_FALSE(status.ok());
  EXPECT_EQ(storage, nullptr);
  EXPECT_NE(status.message().find("is locked"), std::string::npos) << status.message();
  EXPECT_TRUE(Open() != nullptr);  // the lock is free again once the holder exits
}

TEST_F(RocksDbStorageTest, UncreatableDirectoryFailsClearly) {
  std::string file = dir_.path() + "/plain-file";
  std::ofstream(file) << "not a directory";
  std::unique_ptr<Storage> storage;
  Status status = OpenAt(file + "/db", &storage);
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(storage, nullptr);
  EXPECT_NE(status.message().find(file), std::string::npos) << status.message();
}

TEST_F(RocksDbStorageTest, MissingDatabaseWithoutCreateIfMissingFails) {
  std::unique_ptr<Storage> storage;
  Status status = OpenAt(DbPath(), &storage, /*create_if_missing=*/false);
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(storage, nullptr);
}

TEST_F(RocksDbStorageTest, UnknownFormatVersionIsRefused) {
  Open().reset();
  SetFormatVersion("2");
  std::unique_ptr<Storage> storage;
  Status status = OpenAt(DbPath(), &storage);
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(storage, nullptr);
  EXPECT_NE(status.message().find("format version '2'"), std::string::npos) << status.message();
  SetFormatVersion("1");
  EXPECT_TRUE(Open() != nullptr);
}

TEST_F(RocksDbStorageTest, EraseSurvivesReopen) {
  {
    auto storage = Open();
    Write(storage.get(),
          {Put(Meta("/gone", 1), {{0, "a"}}, {{"p", {0, 1}}}), Put(Meta("/kept", 2), {{0, "b"}})});
    StreamChange erase;
    erase.kind = StreamChange::Kind::kErase;
    erase.meta = Meta("/gone", 1);
    Write(storage.get(), {erase});
    Write(storage.get(), {Put(Meta("/kept", 2), {})});  // carries the erase's range deletion
  }
  auto storage = Open(false);
  LoadedState state = Load(storage.get());
  ASSERT_EQ(state.streams.size(), 1u);
  EXPECT_EQ(state.streams[0].meta.path, "/kept");
  EXPECT_TRUE(Read(storage.get(), "/gone", 1).empty());
}

TEST_F(RocksDbStorageTest, CompactionDropsDeadGenerations) {
  {
    auto storage = Open();
    Write(storage.get(), {Put(Meta("/s", 1), {{0, "old"}, {3, "data"}}, {{"p", {1, 1}}})});
    // Replacing the generation without an erase leaves generation 1 for the filter alone.
    Write(storage.get(), {Put(Meta("/s", 2), {{0, "new"}})});
    ASSERT_EQ(Read(storage.get(), "/s", 1).size(), 2u);
  }
  {
    // Before load() the filter cannot judge liveness and must keep everything.
    auto storage = Open(/*load=*/false);
    ASSERT_TRUE(Compact(storage.get()).ok());
    EXPECT_EQ(Read(storage.get(), "/s", 1).size(), 2u);
  }
  auto storage = Open();
  ASSERT_TRUE(Compact(storage.get()).ok());
  EXPECT_TRUE(Read(storage.get(), "/s", 1).empty());
  ASSERT_EQ(Read(storage.get(), "/s", 2).size(), 1u);
  LoadedState state = Load(storage.get());
  ASSERT_EQ(state.streams.size(), 1u);
  EXPECT_EQ(state.streams[0].meta.generation, 2u);
  EXPECT_TRUE(state.streams[0].producers.empty());
}

TEST_F(RocksDbStorageTest, CompactionKeepsDataWrittenAfterLoad) {
  auto storage = Open();
  Write(storage.get(), {Put(Meta("/fresh", 9), {{0, "abc"}}, {{"p", {1, 1}}})});
  ASSERT_TRUE(Compact(storage.get()).ok());
  EXPECT_EQ(Read(storage.get(), "/fresh", 9).size(), 1u);
  LoadedState state = Load(storage.get());
  ASSERT_EQ(state.streams.size(), 1u);
  EXPECT_EQ(state.streams[0].producers.size(), 1u);
}

TEST_F(RocksDbStorageTest, RejectsPositionsBeyondSixteenDigits) {
  auto storage = Open();
  WriteBatch batch;
  batch.changes.push_back(Put(Meta("/big", 1), {{10'000'000'000'000'000ULL, "x"}}));
  Status status = storage->write(batch);
  EXPECT_EQ(status.code(), StatusCode::kBadRequest);
  EXPECT_TRUE(Load(storage.get()).streams.empty());
}

}  // namespace
}  // namespace streamkeeper
