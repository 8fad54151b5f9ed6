// Opening a format-1 data directory (fixtures/format1.tar, written by the format-1 server through
// its HTTP API) with this build: a read-write open migrates it to format 2 once
// (storage_rocksdb/format_migration.h), a read-only open reads it as it is.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "raw_rocksdb.h"
#include "storage_rocksdb/key_codec.h"
#include "storage_rocksdb/meta_codec.h"
#include "streamkeeper/rocksdb_storage.h"
#include "temp_dir.h"

namespace streamkeeper {
namespace {

namespace keys = rocksdb_keys;
using Generation = std::pair<std::string, uint64_t>;

constexpr const char* kPlain = "/v1/stream/plain";
constexpr const char* kTtl = "/v1/stream/ttl";
constexpr const char* kExpires = "/v1/stream/expires";
constexpr int64_t k2099 = 4070908800000;  // Stream-Expires-At: 2099-01-01T00:00:00Z

// Every record of a stream's own generation.
std::vector<Record> AllRecords(Storage& storage, const StreamMeta& meta) {
  std::vector<Record> records;
  EXPECT_TRUE(
      storage.read_records(meta.path, meta.generation, 0, UINT64_MAX, SIZE_MAX, &records).ok());
  return records;
}

std::string Concatenated(const std::vector<Record>& records) {
  std::string out;
  for (const Record& record : records) out += record.value;
  return out;
}

class FormatMigrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string command = std::string("tar -xf '") + STREAMKEEPER_STORAGE_FIXTURES +
                          "/format1.tar' -C '" + dir_.path() + "'";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    before_ = LoadEverything(/*read_only=*/true);
    ASSERT_EQ(before_.size(), 11u);
    for (const auto& [path, stream] : before_) live_.insert({path, stream.meta.generation});
  }

  std::string DbPath() const { return dir_.path() + "/data"; }

  std::unique_ptr<Storage> Open(bool read_only = false) {
    RocksDbOptions options;
    options.path = DbPath();
    options.read_only = read_only;
    options.block_cache_bytes = 1 << 20;
    options.log = [this](LogLevel, std::string_view line) {
      if (line.find("migrated") != std::string_view::npos) migrations_.emplace_back(line);
    };
    std::unique_ptr<Storage> storage;
    Status status = RocksDbStorage::Open(options, &storage);
    EXPECT_TRUE(status.ok()) << status.message();
    return storage;
  }

  std::map<std::string, LoadedStream> LoadEverything(bool read_only) {
    std::unique_ptr<Storage> storage = Open(read_only);
    std::map<std::string, LoadedStream> out;
    if (!storage) return out;
    std::vector<LoadedStream> streams;
    EXPECT_TRUE(LoadAllStreams(*storage, &streams).ok());
    for (LoadedStream& stream : streams) out[stream.meta.path] = std::move(stream);
    return out;
  }

  // Plants what a crash between a format-1 erase and its purge leaves: producers and records of
  // generations that are no path's stored one. Returns them.
  std::set<Generation> PlantDeadGenerations() {
    testing::RawRocksDb raw(DbPath());
    uint64_t recreated = before_.at("/v1/stream/recreated").meta.generation;
    std::string value = EncodeProducerState({1, 1});
    // An erased path, producers and many records (skipped with one seek).
    raw.Put("producers", keys::ProducerKey("/v1/stream/erased", 50, "w"), value);
    for (uint64_t position = 0; position < 50; ++position) {
      raw.Put("data", keys::DataKey("/v1/stream/erased", 50, position), "x");
    }
    // The recreated path's earlier generation: records only; a later one: producers only.
    raw.Put("data", keys::DataKey("/v1/stream/recreated", recreated - 1, 0), "old");
    raw.Put("producers", keys::ProducerKey("/v1/stream/recreated", recreated + 1, "w"), value);
    // Next to live data in both families: a generation of /plain below the live one.
    uint64_t plain = before_.at(kPlain).meta.generation;
    raw.Put("data", keys::DataKey(kPlain, plain - 1, 0), "old");
    raw.Put("producers", keys::ProducerKey(kPlain, plain - 1, "w"), value);
    return {{"/v1/stream/erased", 50},
            {"/v1/stream/recreated", recreated - 1},
            {"/v1/stream/recreated", recreated + 1},
            {kPlain, plain - 1}};
  }

  // Everything a completed migration promises, checked through the Storage API and raw keys.
  void ExpectMigrated(const std::set<Generation>& dead) {
    {
      std::unique_ptr<Storage> storage = Open();
      ASSERT_NE(storage, nullptr);
      RecoveredState recovered;
      ASSERT_TRUE(storage->recover(&recovered).ok());
      std::set<Generation> pending;
      for (const StreamMeta& meta : recovered.pending_purges) {
        pending.insert({meta.path, meta.generation});
        EXPECT_FALSE(live_.contains({meta.path, meta.generation})) << meta.path;
      }
      EXPECT_EQ(pending, dead);

      std::vector<LoadedStream> streams;
      ASSERT_TRUE(LoadAllStreams(*storage, &streams).ok());
      ASSERT_EQ(streams.size(), before_.size());
      for (const LoadedStream& stream : streams) {
        SCOPED_TRACE(stream.meta.path);
        const LoadedStream& old = before_.at(stream.meta.path);
        StreamMeta expected = old.meta;
        expected.indexed_expiry_ms = ExpiryOf(old.meta);
        EXPECT_EQ(stream.meta, expected);
        EXPECT_EQ(stream.producers, old.producers);
        ASSERT_EQ(stream.last_record.has_value(), old.last_record.has_value());
        if (stream.last_record) {
          EXPECT_EQ(stream.last_record->position, old.last_record->position);
          EXPECT_EQ(stream.last_record->value, old.last_record->value);
        }
      }

      std::vector<ExpiryEntry> index;
      ASSERT_TRUE(storage->scan_expiry(INT64_MAX, nullptr, 100, &index).ok());
      const StreamMeta& ttl = before_.at(kTtl).meta;
      std::vector<ExpiryEntry> expected_index = {
          {ttl.last_access_ms + 86'400'000, kTtl, ttl.generation},
          {k2099, kExpires, before_.at(kExpires).meta.generation}};
      std::sort(expected_index.begin(), expected_index.end());
      EXPECT_EQ(index, expected_index);

      // The dead generations go as the server will make them go.
      WriteBatch purges;
      purges.generation_counter = recovered.generation_counter;
      for (const auto& [path, generation] : dead) {
        StreamChange purge;
        purge.kind = StreamChange::Kind::kPurge;
        purge.meta.path = path;
        purge.meta.generation = generation;
        purges.changes.push_back(purge);
      }
      ASSERT_TRUE(storage->write(purges).ok());
      ASSERT_TRUE(storage->recover(&recovered).ok());
      EXPECT_TRUE(recovered.pending_purges.empty());
      for (const auto& [path, generation] : dead) {
        std::vector<Record> records;
        ASSERT_TRUE(
            storage->read_records(path, generation, 0, UINT64_MAX, SIZE_MAX, &records).ok());
        EXPECT_TRUE(records.empty()) << path << " " << generation;
      }
    }
    testing::RawRocksDb raw(DbPath());
    EXPECT_EQ(raw.Get("default", "streamkeeper.format"), "2");
  }

  testing::TempDir dir_;
  std::map<std::string, LoadedStream> before_;  // the fixture, read as format 1
  std::set<Generation> live_;
  std::vector<std::string> migrations_;  // "migrated" log lines
};

// What the format-1 server wrote, read back as it is: the fixture and the read-only path agree
// with the requests of fixtures/make_format1_fixture.sh.
TEST_F(FormatMigrationTest, TheFixtureHoldsWhatTheFormat1ServerWasAskedToWrite) {
  auto records_of = [&](const char* path) {
    std::unique_ptr<Storage> storage = Open(/*read_only=*/true);
    return AllRecords(*storage, before_.at(path).meta);
  };
  EXPECT_EQ(Concatenated(records_of(kPlain)), "hello world!");
  EXPECT_EQ(before_.at(kPlain).last_record->position, 11u);
  EXPECT_EQ(before_.at(kPlain).meta.fork_refcount, 1u);
  EXPECT_EQ(Concatenated(records_of("/v1/stream/bytes")), "abcdef");
  EXPECT_EQ(before_.at("/v1/stream/bytes").meta.content_type, "application/octet-stream");
  // JSON records: a varint of the messages left in the append's batch, then the message.
  std::vector<Record> json = records_of("/v1/stream/json");
  ASSERT_EQ(json.size(), 3u);
  EXPECT_EQ(json[0].value, "\x02{\"a\":1}");
  EXPECT_EQ(json[1].value, "\x01{\"b\":2}");
  EXPECT_EQ(json[2].value, "\x01{\"c\":3}");
  EXPECT_EQ(before_.at("/v1/stream/producer").producers,
            (ProducerMap{{"w1", {0, 1}}, {"w2", {3, 0}}}));
  EXPECT_EQ(Concatenated(records_of("/v1/stream/producer")), "p0p1q0");
  EXPECT_EQ(before_.at(kTtl).meta.ttl_seconds, 86400u);
  EXPECT_EQ(before_.at(kExpires).meta.expires_at_ms, k2099);
  const StreamMeta& closed = before_.at("/v1/stream/closed").meta;
  EXPECT_TRUE(closed.closed);
  EXPECT_EQ(closed.closed_by, (ProducerTuple{"closer", 0, 0}));
  const StreamMeta& fork = before_.at("/v1/stream/fork").meta;
  EXPECT_EQ(fork.fork_parent, kPlain);
  EXPECT_EQ(fork.fork_parent_generation, before_.at(kPlain).meta.generation);
  EXPECT_EQ(fork.fork_position, 6u);
  EXPECT_EQ(Concatenated(records_of("/v1/stream/fork")), "forked");
  EXPECT_EQ(Concatenated(records_of("/v1/stream/recreated")), "new generation");
  const StreamMeta& source = before_.at("/v1/stream/source").meta;
  EXPECT_TRUE(source.soft_deleted);
  EXPECT_EQ(source.fork_refcount, 1u);
  EXPECT_EQ(before_.at("/v1/stream/source-fork").meta.fork_parent, "/v1/stream/source");
  for (const auto& [path, stream] : before_) {
    EXPECT_FALSE(stream.meta.indexed_expiry_ms.has_value()) << path;
  }
}

TEST_F(FormatMigrationTest, AReadOnlyOpenReadsFormat1AsItIsAndMigratesNothing) {
  {
    std::unique_ptr<Storage> storage = Open(/*read_only=*/true);
    ASSERT_NE(storage, nullptr);
    RecoveredState recovered;
    ASSERT_TRUE(storage->recover(&recovered).ok());
    EXPECT_TRUE(recovered.pending_purges.empty());
    std::vector<ExpiryEntry> index;
    ASSERT_TRUE(storage->scan_expiry(INT64_MAX, nullptr, 100, &index).ok());
    EXPECT_TRUE(index.empty());  // no expiry family yet
  }
  EXPECT_TRUE(migrations_.empty());
  testing::RawRocksDb raw(DbPath());
  EXPECT_EQ(raw.Get("default", "streamkeeper.format"), "1");
  EXPECT_FALSE(raw.Has("expiry"));
}

TEST_F(FormatMigrationTest, AReadWriteOpenMigratesOnceAndKeepsEveryStream) {
  std::set<Generation> dead = PlantDeadGenerations();
  ExpectMigrated(dead);
  ASSERT_EQ(migrations_.size(), 1u);
  EXPECT_NE(migrations_[0].find(": 11 streams, 2 expiry index entries, 4 purge markers"),
            std::string::npos)
      << migrations_[0];

  // Format 2 now: opened again, nothing is migrated, and every record is still there.
  std::unique_ptr<Storage> storage = Open();
  ASSERT_NE(storage, nullptr);
  EXPECT_EQ(migrations_.size(), 1u);
  for (const auto& [path, stream] : before_) {
    EXPECT_EQ(AllRecords(*storage, stream.meta).empty(), !stream.last_record.has_value()) << path;
  }
  EXPECT_EQ(Concatenated(AllRecords(*storage, before_.at(kPlain).meta)), "hello world!");
}

// A migration cut short (a crash, a full disk) left some of its batches: an index entry with
// its meta rewritten, a purge marker, the expiry family; the format is still 1. The next open
// runs it again to the same end.
TEST_F(FormatMigrationTest, AnInterruptedMigrationCompletesAtTheNextOpen) {
  std::set<Generation> dead = PlantDeadGenerations();
  {
    testing::RawRocksDb raw(DbPath(), {"expiry"});
    StreamMeta ttl = before_.at(kTtl).meta;
    ttl.indexed_expiry_ms = ExpiryOf(ttl);
    raw.Put("meta", kTtl, EncodeStreamMeta(ttl));
    raw.Put("expiry", keys::ExpiryKey(*ttl.indexed_expiry_ms, kTtl, ttl.generation), "");
    const Generation& marked = *dead.begin();
    raw.Put("meta", keys::PurgeMarkerKey(marked.first, marked.second), "");
    ASSERT_EQ(raw.Get("default", "streamkeeper.format"), "1");
  }
  ExpectMigrated(dead);
  EXPECT_EQ(migrations_.size(), 1u);
}

// More streams than one migration batch holds: every one indexed, none lost between batches. A
// format-2 store without index fields or entries, labelled "1", is what format 1 wrote.
TEST(FormatMigrationBatchTest, ManyStreamsMigrateAcrossSeveralBatches) {
  testing::TempDir dir;
  RocksDbOptions options;
  options.path = dir.path() + "/db";
  options.block_cache_bytes = 1 << 20;
  constexpr int kStreams = 12'345;  // two puts each: three batches of about 10,000
  {
    std::unique_ptr<Storage> storage;
    ASSERT_TRUE(RocksDbStorage::Open(options, &storage).ok());
    WriteBatch batch;
    for (int i = 0; i < kStreams; ++i) {
      StreamChange put;
      put.meta.path = "/s/" + std::to_string(i);
      put.meta.generation = 1 + i;
      put.meta.ttl_seconds = i;
      put.meta.last_access_ms = 1000;
      batch.changes.push_back(std::move(put));
    }
    ASSERT_TRUE(storage->write(batch).ok());
  }
  testing::RawRocksDb(options.path).Put("default", "streamkeeper.format", "1");

  std::unique_ptr<Storage> storage;
  ASSERT_TRUE(RocksDbStorage::Open(options, &storage).ok());
  std::vector<ExpiryEntry> index;
  ASSERT_TRUE(storage->scan_expiry(INT64_MAX, nullptr, kStreams + 1, &index).ok());
  ASSERT_EQ(index.size(), size_t{kStreams});
  std::vector<LoadedStream> streams;
  ASSERT_TRUE(LoadAllStreams(*storage, &streams).ok());
  ASSERT_EQ(streams.size(), size_t{kStreams});
  for (const LoadedStream& stream : streams) {
    ASSERT_EQ(stream.meta.indexed_expiry_ms, ExpiryOf(stream.meta)) << stream.meta.path;
  }
}

}  // namespace
}  // namespace streamkeeper
