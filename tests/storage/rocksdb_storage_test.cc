// RocksDbStorage behaviour beyond the shared contract: durability across reopen, locking, the
// key layouts of the purge markers and the expiry index, how a purge deletes, corrupt values and
// format versioning. (The format-1 migration: format_migration_test.cc.)

#include "streamkeeper/rocksdb_storage.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/table_properties.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "raw_rocksdb.h"
#include "storage_rocksdb/key_codec.h"
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

  // Opens DbPath() and runs recover() as the server does.
  std::unique_ptr<Storage> Open() {
    std::unique_ptr<Storage> storage;
    Status status = OpenAt(DbPath(), &storage);
    EXPECT_TRUE(status.ok()) << status.message();
    if (storage) {
      RecoveredState state;
      EXPECT_TRUE(storage->recover(&state).ok());
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

  static std::optional<LoadedStream> Load(Storage* storage, const std::string& path) {
    std::optional<LoadedStream> stream;
    Status status = storage->load_stream(path, &stream);
    EXPECT_TRUE(status.ok()) << status.message();
    return stream;
  }

  static RecoveredState Recover(Storage* storage) {
    RecoveredState state;
    Status status = storage->recover(&state);
    EXPECT_TRUE(status.ok()) << status.message();
    return state;
  }

  static Status Compact(Storage* storage) {
    return static_cast<RocksDbStorage*>(storage)->Compact();
  }

  void SetFormatVersion(const std::string& version) {
    testing::RawRocksDb raw(DbPath());
    raw.Put("default", "streamkeeper.format", version);
  }

  testing::TempDir dir_;
};

TEST_F(RocksDbStorageTest, CreatesMissingParentDirectoriesAndWritesFormatVersion2) {
  Open().reset();
  EXPECT_TRUE(std::filesystem::exists(DbPath() + "/CURRENT"));
  testing::RawRocksDb raw(DbPath());
  EXPECT_EQ(raw.Get("default", "streamkeeper.format"), "2");
  EXPECT_TRUE(raw.Has("expiry"));
}

TEST_F(RocksDbStorageTest, StateSurvivesReopen) {
  StreamMeta meta = Meta("/durable", 3, 5);
  meta.ttl_seconds = 60;
  meta.indexed_expiry_ms = 60'000;
  meta.closed_by = ProducerTuple{"p", 1, 2};
  {
    auto storage = Open();
    StreamChange put = Put(meta, {{0, "hel"}, {3, "lo"}}, {{"p", {1, 2}}});
    put.index_expiry_ms = 60'000;
    Write(storage.get(), {put}, true, 77);
  }
  auto storage = Open();
  EXPECT_EQ(Recover(storage.get()).generation_counter, 77u);
  std::optional<LoadedStream> loaded = Load(storage.get(), "/durable");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->meta, meta);
  EXPECT_EQ(loaded->producers, (ProducerMap{{"p", {1, 2}}}));
  std::vector<Record> records = Read(storage.get(), "/durable", 3);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].value + records[1].value, "hello");
  std::vector<ExpiryEntry> entries;
  ASSERT_TRUE(storage->scan_expiry(INT64_MAX, nullptr, 10, &entries).ok());
  EXPECT_EQ(entries, (std::vector<ExpiryEntry>{{60'000, "/durable", 3}}));
}

TEST_F(RocksDbStorageTest, ProducerStateRewrittenByEveryAppendKeepsItsLastValue) {
  // The producers family updates values in place in the memtable. Pin what that must not
  // change: the last write wins, whether the value grew (varint seq past 127), shrank (a new
  // epoch restarts seq) or was flushed and then rewritten, and it survives a reopen.
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
  auto storage = Open();
  std::optional<LoadedStream> loaded = Load(storage.get(), "/producers");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->producers, (ProducerMap{{"p", {1, 299}}, {"q", {2, 5}}}));
  EXPECT_EQ(loaded->meta.tail, 456u);
}

TEST_F(RocksDbStorageTest, UnsyncedWritesSurviveACleanReopen) {
  {
    auto storage = Open();
    for (uint64_t position = 0; position < 50; ++position) {
      Write(storage.get(), {Put(Meta("/fast", 1, position + 1), {{position, "x"}})}, false);
    }
  }
  auto storage = Open();
  std::optional<LoadedStream> loaded = Load(storage.get(), "/fast");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->meta.tail, 50u);
  EXPECT_EQ(Read(storage.get(), "/fast", 1).size(), 50u);
}

TEST_F(RocksDbStorageTest, StatsReportMemtableBytesThenLiveSstBytesOnceFlushed) {
  auto storage = Open();
  StorageStats empty = storage->stats();
  ASSERT_TRUE(empty.live_sst_bytes && empty.memtable_bytes && empty.pending_compaction_bytes);
  EXPECT_EQ(*empty.live_sst_bytes, 0u);
  std::string value(64 << 10, 'v');
  for (uint64_t i = 0; i < 16; ++i) {
    Write(storage.get(), {Put(Meta("/stats", 1, (i + 1) * value.size()),
                              {{i * value.size(), value}})});
  }
  StorageStats written = storage->stats();
  EXPECT_GE(*written.memtable_bytes, 16u * value.size()) << "a megabyte sits in the memtable";
  EXPECT_EQ(*written.live_sst_bytes, 0u);
  ASSERT_TRUE(Compact(storage.get()).ok());  // flushes the memtables to table files
  StorageStats flushed = storage->stats();
  EXPECT_GT(*flushed.live_sst_bytes, 0u);
  EXPECT_LT(*flushed.memtable_bytes, *written.memtable_bytes);
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
  SetFormatVersion("3");
  std::unique_ptr<Storage> storage;
  Status status = OpenAt(DbPath(), &storage);
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(storage, nullptr);
  EXPECT_NE(status.message().find("format version '3'"), std::string::npos) << status.message();
  SetFormatVersion("2");
  EXPECT_TRUE(Open() != nullptr);
}

TEST_F(RocksDbStorageTest, EraseAndPurgeSurviveReopen) {
  {
    auto storage = Open();
    Write(storage.get(),
          {Put(Meta("/gone", 1), {{0, "a"}}, {{"p", {0, 1}}}), Put(Meta("/kept", 2), {{0, "b"}})});
    StreamChange erase;
    erase.kind = StreamChange::Kind::kErase;
    erase.meta = Meta("/gone", 1);
    Write(storage.get(), {erase});
    StreamChange purge = erase;
    purge.kind = StreamChange::Kind::kPurge;
    Write(storage.get(), {purge});
  }
  auto storage = Open();
  EXPECT_TRUE(Recover(storage.get()).pending_purges.empty());
  EXPECT_FALSE(Load(storage.get(), "/gone").has_value());
  EXPECT_TRUE(Load(storage.get(), "/kept").has_value());
  EXPECT_TRUE(Read(storage.get(), "/gone", 1).empty());
}

// The layouts README.md documents: a kErase puts "\0purge\0<path>\0<generation>" in meta (the
// path's own key gone), and an index entry is a key of the expiry family; both values empty.
TEST_F(RocksDbStorageTest, PurgeMarkersAndIndexEntriesHaveTheDocumentedKeys) {
  {
    auto storage = Open();
    StreamChange put = Put(Meta("/s", 258), {{0, "a"}});
    put.index_expiry_ms = -5;
    Write(storage.get(), {put});
    StreamChange erase = Put(Meta("/s", 258), {});
    erase.kind = StreamChange::Kind::kErase;
    Write(storage.get(), {erase});
  }
  testing::RawRocksDb raw(DbPath());
  std::vector<std::pair<std::string, std::string>> meta = raw.Entries("meta");
  ASSERT_EQ(meta.size(), 2u);
  EXPECT_EQ(meta[0].first, std::string("\0generation_counter", 19));
  EXPECT_EQ(meta[1].first, std::string("\0purge\0/s\0\0\0\0\0\0\0\x01\x02", 7 + 3 + 8));
  EXPECT_EQ(meta[1].second, "");
  std::vector<std::pair<std::string, std::string>> expiry = raw.Entries("expiry");
  ASSERT_EQ(expiry.size(), 1u);
  EXPECT_EQ(expiry[0].first,
            std::string("\x7f\xff\xff\xff\xff\xff\xff\xfb/s\0\0\0\0\0\0\0\x01\x02", 8 + 3 + 8));
  EXPECT_EQ(expiry[0].second, "");
}

// A purge deletes up to 32 keys of a family one by one, and more with one DeleteRange: a point
// delete costs reads nothing once compacted, each range tombstone is consulted by reads until
// then. Counted in the flushed tables' properties.
TEST_F(RocksDbStorageTest, PurgeDeletesFewKeysOneByOneAndManyWithOneRange) {
  {
    auto storage = Open();
    std::vector<Record> records;
    ProducerMap producers;
    for (uint64_t i = 0; i < 100; ++i) {
      records.push_back({i, "x"});
      producers["p" + std::to_string(i)] = {1, i};
    }
    Write(storage.get(), {Put(Meta("/short", 1), {{0, "x"}}, {{"p", {1, 1}}}),
                          Put(Meta("/long", 2), records, producers)});
    std::vector<StreamChange> erases, purges;
    for (auto [path, generation] : {std::pair<std::string, uint64_t>{"/short", 1}, {"/long", 2}}) {
      StreamChange change = Put(Meta(path, generation), {});
      change.kind = StreamChange::Kind::kErase;
      erases.push_back(change);
      change.kind = StreamChange::Kind::kPurge;
      purges.push_back(change);
    }
    Write(storage.get(), erases);
    Write(storage.get(), purges);
  }
  testing::RawRocksDb raw(DbPath());
  auto deletions = [&](const std::string& family) {
    EXPECT_TRUE(raw.db()->Flush(rocksdb::FlushOptions(), raw.Family(family)).ok());
    rocksdb::TablePropertiesCollection tables;
    EXPECT_TRUE(raw.db()->GetPropertiesOfAllTables(raw.Family(family), &tables).ok());
    std::pair<uint64_t, uint64_t> points_and_ranges{0, 0};
    for (const auto& [file, properties] : tables) {  // num_deletions counts ranges too
      points_and_ranges.first += properties->num_deletions - properties->num_range_deletions;
      points_and_ranges.second += properties->num_range_deletions;
    }
    return points_and_ranges;
  };
  EXPECT_EQ(deletions("data"), (std::pair<uint64_t, uint64_t>{1, 1}));
  EXPECT_EQ(deletions("producers"), (std::pair<uint64_t, uint64_t>{1, 1}));
}

TEST_F(RocksDbStorageTest, CorruptValuesFailReadsNamingTheStream) {
  {
    auto storage = Open();
    Write(storage.get(), {Put(Meta("/bad-meta", 1), {}), Put(Meta("/bad-producer", 2), {})});
  }
  {
    testing::RawRocksDb raw(DbPath());
    raw.Put("meta", "/bad-meta", "\x01garbage");
    raw.Put("producers", rocksdb_keys::ProducerKey("/bad-producer", 2, "p"), "\x09");
    raw.Put("meta", rocksdb_keys::PurgeMarkerKey("/x", 1).substr(0, 10), "");
  }
  std::unique_ptr<Storage> storage;
  ASSERT_TRUE(OpenAt(DbPath(), &storage).ok());
  std::optional<LoadedStream> stream;
  Status status = storage->load_stream("/bad-meta", &stream);
  EXPECT_EQ(status.code(), StatusCode::kIoError);
  EXPECT_NE(status.message().find("'/bad-meta'"), std::string::npos) << status.message();
  status = storage->load_stream("/bad-producer", &stream);
  EXPECT_EQ(status.code(), StatusCode::kIoError);
  EXPECT_NE(status.message().find("'/bad-producer'"), std::string::npos) << status.message();
  std::vector<StreamMeta> metas;
  status = storage->list_streams("", "", 10, &metas);
  EXPECT_EQ(status.code(), StatusCode::kIoError);
  EXPECT_NE(status.message().find("'/bad-meta'"), std::string::npos) << status.message();
  RecoveredState state;
  status = storage->recover(&state);
  EXPECT_EQ(status.code(), StatusCode::kIoError);
  EXPECT_NE(status.message().find("purge marker"), std::string::npos) << status.message();
}

TEST_F(RocksDbStorageTest, ReadOnlyOpenServesReadsAndRefusesWrites) {
  {
    auto storage = Open();
    Write(storage.get(), {Put(Meta("/s", 1), {{0, "abc"}})});
  }
  RocksDbOptions options;
  options.path = DbPath();
  options.read_only = true;
  std::unique_ptr<Storage> storage;
  ASSERT_TRUE(RocksDbStorage::Open(options, &storage).ok());
  EXPECT_TRUE(Load(storage.get(), "/s").has_value());
  WriteBatch batch;
  batch.changes.push_back(Put(Meta("/t", 2), {}));
  EXPECT_FALSE(storage->write(batch).ok());
}

// --- secondary instances (RocksDbOptions::secondary_path, for ds-admin on a live directory) ---

std::unique_ptr<Storage> OpenSecondary(const std::string& path, const std::string& scratch,
                                       Status* status) {
  RocksDbOptions options;
  options.path = path;
  options.secondary_path = scratch;
  options.block_cache_bytes = 1 << 20;
  std::unique_ptr<Storage> storage;
  *status = RocksDbStorage::Open(options, &storage);
  return storage;
}

std::vector<std::string> FileNames(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string() + ":" +
                    std::to_string(entry.is_regular_file() ? entry.file_size() : 0));
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The secondary sees the primary as of its open, then as of each CatchUp(): writes in the WAL,
// and tables that flushes and compactions made (deleting the files it had opened).
TEST_F(RocksDbStorageTest, SecondarySeesThePrimaryAsOfEachCatchUp) {
  auto primary = Open();
  Write(primary.get(), {Put(Meta("/s", 1, 3), {{0, "abc"}})});
  testing::TempDir scratch;
  Status status;
  auto secondary = OpenSecondary(DbPath(), scratch.path(), &status);
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_EQ(Read(secondary.get(), "/s", 1).size(), 1u);

  Write(primary.get(), {Put(Meta("/s", 1, 6), {{3, "def"}})});
  EXPECT_EQ(Read(secondary.get(), "/s", 1).size(), 1u);  // a stable view until it catches up
  auto* follower = static_cast<RocksDbStorage*>(secondary.get());
  ASSERT_TRUE(follower->CatchUp().ok());
  EXPECT_EQ(Read(secondary.get(), "/s", 1).size(), 2u);
  EXPECT_EQ(Load(secondary.get(), "/s")->meta.tail, 6u);

  // A flush and compaction on the primary (new WAL, new tables, old ones deleted), then more.
  ASSERT_TRUE(Compact(primary.get()).ok());
  Write(primary.get(), {Put(Meta("/s", 1, 9), {{6, "ghi"}}), Put(Meta("/t", 2, 1), {{0, "x"}})});
  ASSERT_TRUE(follower->CatchUp().ok());
  std::vector<Record> records = Read(secondary.get(), "/s", 1);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2].value, "ghi");
  std::vector<StreamMeta> metas;
  ASSERT_TRUE(secondary->list_streams("", "", 10, &metas).ok());
  EXPECT_EQ(metas.size(), 2u);

  // Unsynced writes are seen too: they are in the WAL file, if not yet on the disk.
  Write(primary.get(), {Put(Meta("/u", 3, 1), {{0, "y"}})}, /*sync=*/false);
  ASSERT_TRUE(follower->CatchUp().ok());
  EXPECT_TRUE(Load(secondary.get(), "/u").has_value());
}

TEST_F(RocksDbStorageTest, SecondaryRefusesWritesAndChangesNothingInTheDirectory) {
  {
    auto primary = Open();
    Write(primary.get(), {Put(Meta("/s", 1, 3), {{0, "abc"}})}, /*sync=*/false);
  }
  const std::vector<std::string> before = FileNames(DbPath());
  testing::TempDir scratch;
  {
    Status status;
    auto secondary = OpenSecondary(DbPath(), scratch.path(), &status);
    ASSERT_TRUE(status.ok()) << status.message();
    auto* rocks = static_cast<RocksDbStorage*>(secondary.get());
    WriteBatch batch;
    batch.changes.push_back(Put(Meta("/t", 2), {}));
    EXPECT_EQ(secondary->write(batch).code(), StatusCode::kIoError);
    EXPECT_EQ(secondary->sync().code(), StatusCode::kIoError);
    EXPECT_EQ(secondary->resume().code(), StatusCode::kIoError);
    EXPECT_EQ(rocks->Compact().code(), StatusCode::kIoError);
    EXPECT_TRUE(rocks->CatchUp().ok());
    EXPECT_TRUE(Load(secondary.get(), "/s").has_value());
    EXPECT_TRUE(rocks->VerifyChecksums().ok());
  }
  EXPECT_EQ(FileNames(DbPath()), before);  // no lock, no flush, no new file
  // A storage opened the ordinary way cannot catch up.
  auto primary = Open();
  EXPECT_EQ(static_cast<RocksDbStorage*>(primary.get())->CatchUp().code(), StatusCode::kIoError);
}

TEST_F(RocksDbStorageTest, SecondaryOpenFailsClearly) {
  testing::TempDir scratch;
  Status status;
  EXPECT_FALSE(OpenSecondary(dir_.path() + "/missing", scratch.path(), &status));
  EXPECT_NE(status.message().find("does not exist"), std::string::npos) << status.message();
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/missing"));
  {
    auto primary = Open();
  }
  EXPECT_FALSE(OpenSecondary(DbPath(), dir_.path() + "/no-scratch", &status));
  EXPECT_NE(status.message().find("scratch"), std::string::npos) << status.message();
  SetFormatVersion("9");
  EXPECT_FALSE(OpenSecondary(DbPath(), scratch.path(), &status));
  EXPECT_NE(status.message().find("on-disk format version '9'"), std::string::npos)
      << status.message();
}

TEST_F(RocksDbStorageTest, RejectsPositionsBeyondSixteenDigits) {
  auto storage = Open();
  WriteBatch batch;
  batch.changes.push_back(Put(Meta("/big", 1), {{10'000'000'000'000'000ULL, "x"}}));
  Status status = storage->write(batch);
  EXPECT_EQ(status.code(), StatusCode::kBadRequest);
  EXPECT_FALSE(Load(storage.get(), "/big").has_value());
}

// Checkpoint (GET /_admin/snapshot): a point-in-time copy holding every write that returned
// before it, unsynced ones included (the memtables are flushed first), and nothing written
// after; the storage goes on; an existing target is an error.
TEST_F(RocksDbStorageTest, CheckpointHoldsEveryWriteThatReturnedBeforeItAndNothingAfter) {
  const std::string copy = dir_.path() + "/checkpoint";
  {
    auto storage = Open();
    for (uint64_t position = 0; position < 20; ++position) {
      Write(storage.get(), {Put(Meta("/s", 1, position + 1), {{position, "x"}})}, /*sync=*/false);
    }
    auto* rocksdb = static_cast<RocksDbStorage*>(storage.get());
    Status s = rocksdb->Checkpoint(copy);
    ASSERT_TRUE(s.ok()) << s.message();
    Write(storage.get(), {Put(Meta("/s", 1, 21), {{20, "after"}})}, false);
    Status again = rocksdb->Checkpoint(copy);
    EXPECT_FALSE(again.ok());
    EXPECT_NE(again.message().find(copy), std::string::npos) << again.message();
    EXPECT_EQ(Load(storage.get(), "/s")->meta.tail, 21u);  // the storage goes on
  }
  std::unique_ptr<Storage> restored;
  Status s = OpenAt(copy, &restored, /*create_if_missing=*/false);
  ASSERT_TRUE(s.ok()) << s.message();
  std::optional<LoadedStream> loaded = Load(restored.get(), "/s");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->meta.tail, 20u);
  EXPECT_EQ(Read(restored.get(), "/s", 1).size(), 20u);
}

// A checkpoint taken while large records are being written (each bigger than RocksDB's WAL
// write buffer, so it reaches the WAL file in several writes) ends its WAL copy on a record
// boundary: a read-only open of the copy, which reports a torn WAL tail instead of dropping it
// (`ds-admin verify`, `ds-admin restore`), warns of no corruption.
TEST_F(RocksDbStorageTest, ACheckpointDuringLargeWritesHasNoTornWalTail) {
  auto storage = Open();
  auto* rocksdb = static_cast<RocksDbStorage*>(storage.get());
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> written{0};
  std::thread writer([&] {
    const std::string big(3 << 20, 'w');
    for (uint64_t position = 0; !stop; ++position) {
      WriteBatch batch;
      batch.changes.push_back(Put(Meta("/big", 1, position + 1), {{position, big}}));
      batch.sync = false;
      batch.generation_counter = 5;
      if (!storage->write(batch).ok()) return;
      ++written;
    }
  });
  for (int i = 0; i < 4; ++i) {
    while (written.load() < static_cast<uint64_t>(2 * i + 1)) std::this_thread::yield();
    std::string copy = dir_.path();
    copy.append("/checkpoint-").append(std::to_string(i));
    Status s = rocksdb->Checkpoint(copy);
    ASSERT_TRUE(s.ok()) << s.message();
    std::vector<std::string> warnings;
    RocksDbOptions options;
    options.path = copy;
    options.create_if_missing = false;
    options.read_only = true;
    options.block_cache_bytes = 1 << 20;
    options.log = [&warnings](LogLevel level, std::string_view line) {
      if (level >= LogLevel::kWarn) warnings.emplace_back(line);
    };
    std::unique_ptr<Storage> opened;
    s = RocksDbStorage::Open(options, &opened);
    ASSERT_TRUE(s.ok()) << s.message();
    for (const std::string& warning : warnings) {
      EXPECT_EQ(warning.find("Corruption"), std::string::npos) << warning;
    }
  }
  stop = true;
  writer.join();
}

}  // namespace
}  // namespace streamkeeper
