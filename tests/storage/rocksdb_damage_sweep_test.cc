// RocksDbStorage on damaged files, swept: one byte at a time is flipped across a table file and
// across the MANIFEST, and for every flip the storage must refuse (open or load failing with
// "is damaged"), fail the reads that meet the damage with "is damaged", or give back exactly
// what was written. Never different bytes, never fewer records as if that were all. The
// per-case behaviour of the real server is in tests/server/damaged_data_dir_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "streamkeeper/rocksdb_storage.h"
#include "temp_dir.h"

namespace streamkeeper {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPath = "/s";
constexpr uint64_t kGeneration = 1;
constexpr int kRecords = 100;
constexpr size_t kRecordBytes = 1000;

struct Outcomes {
  int refused_open = 0;
  int refused_load = 0;
  int read_failed = 0;
  int intact = 0;
};

class RocksDbDamageSweepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937 random(7);
    auto storage = Open(pristine_);
    ASSERT_NE(storage, nullptr);
    RecoveredState state;
    ASSERT_TRUE(storage->recover(&state).ok());
    for (int batch_start = 0; batch_start < kRecords; batch_start += 10) {
      WriteBatch batch;
      batch.sync = true;
      batch.generation_counter = kGeneration;
      StreamChange change;
      change.meta.path = kPath;
      change.meta.generation = kGeneration;
      change.meta.content_type = "application/octet-stream";
      for (int i = batch_start; i < batch_start + 10; ++i) {
        std::string value(kRecordBytes, '\0');
        for (char& c : value) c = static_cast<char>(random() & 0xff);  // incompressible
        change.records.push_back(Record{i * kRecordBytes, value});
      }
      change.meta.tail = (batch_start + 10) * kRecordBytes;
      for (const Record& record : change.records) records_.push_back(record);
      batch.changes.push_back(std::move(change));
      ASSERT_TRUE(storage->write(batch).ok());
    }
    ASSERT_TRUE(static_cast<RocksDbStorage*>(storage.get())->Compact().ok());
  }

  static std::unique_ptr<Storage> Open(const std::string& path, Status* status = nullptr) {
    RocksDbOptions options;
    options.path = path;
    options.block_cache_bytes = 1 << 20;
    options.log = [](LogLevel, std::string_view) {};  // the sweep's errors are expected
    std::unique_ptr<Storage> storage;
    Status s = RocksDbStorage::Open(options, &storage);
    if (status) *status = s;
    return storage;
  }

  // The pristine file whose name ends (or, for "MANIFEST-", starts) with `pattern`, largest.
  std::string Pristine(const std::string& pattern) const {
    std::string best;
    uintmax_t best_size = 0;
    for (const auto& entry : fs::directory_iterator(pristine_)) {
      std::string name = entry.path().filename().string();
      bool match = name.size() >= pattern.size() &&
                   (name.compare(name.size() - pattern.size(), pattern.size(), pattern) == 0 ||
                    name.compare(0, pattern.size(), pattern) == 0);
      if (match && entry.file_size() > best_size) {
        best = name;
        best_size = entry.file_size();
      }
    }
    return best;
  }

  // Copies the pristine directory, flips byte `offset` of `file` in the copy, and checks the rule.
  void FlipAndCheck(const std::string& file, size_t offset, Outcomes* outcomes) {
    SCOPED_TRACE(file + " byte " + std::to_string(offset));
    std::error_code ec;
    fs::remove_all(work_, ec);
    fs::copy(pristine_, work_, fs::copy_options::recursive);
    {
      std::fstream f(work_ + "/" + file, std::ios::in | std::ios::out | std::ios::binary);
      f.seekg(offset);
      char byte = 0;
      f.get(byte);
      f.seekp(offset);
      f.put(static_cast<char>(byte ^ 0xff));
    }
    Status status;
    auto storage = Open(work_, &status);
    if (!storage) {
      EXPECT_NE(status.message().find(" is damaged: "), std::string::npos) << status.message();
      ++outcomes->refused_open;
      return;
    }
    // What a start-up and a first use read: recover(), then the stream's meta, producers and
    // last record (through list_streams() too, so a lost meta cannot pass for no stream).
    RecoveredState recovered;
    std::vector<LoadedStream> streams;
    status = storage->recover(&recovered);
    if (status.ok()) status = LoadAllStreams(*storage, &streams);
    if (!status.ok()) {
      EXPECT_NE(status.message().find(" is damaged: "), std::string::npos) << status.message();
      ++outcomes->refused_load;
      return;
    }
    ASSERT_EQ(streams.size(), 1u) << "the stream vanished without an error";
    ASSERT_TRUE(streams[0].last_record.has_value());
    EXPECT_EQ(streams[0].last_record->position, records_.back().position);
    EXPECT_TRUE(streams[0].last_record->value == records_.back().value);
    std::vector<Record> read;
    status = storage->read_records(kPath, kGeneration, 0, UINT64_MAX, SIZE_MAX, &read);
    if (!status.ok()) {
      EXPECT_NE(status.message().find(" is damaged: "), std::string::npos) << status.message();
      ++outcomes->read_failed;
      return;
    }
    ASSERT_EQ(read.size(), records_.size()) << "a read returned fewer records without an error";
    for (size_t i = 0; i < read.size(); ++i) {
      ASSERT_EQ(read[i].position, records_[i].position);
      ASSERT_TRUE(read[i].value == records_[i].value) << "record " << i << " differs";
    }
    ++outcomes->intact;
  }

  void Sweep(const std::string& file, size_t stride) {
    ASSERT_FALSE(file.empty());
    const size_t size = fs::file_size(pristine_ + "/" + file);
    Outcomes outcomes;
    for (size_t offset = 0; offset < size && !HasFatalFailure(); offset += stride) {
      FlipAndCheck(file, offset, &outcomes);
    }
    std::printf(
        "%s (%zu bytes, every %zu): open refused %d, load refused %d, read failed %d, "
        "intact %d\n",
        file.c_str(), size, stride, outcomes.refused_open, outcomes.refused_load,
        outcomes.read_failed, outcomes.intact);
  }

  testing::TempDir dir_;
  std::string pristine_ = dir_.path() + "/pristine";
  std::string work_ = dir_.path() + "/work";
  std::vector<Record> records_;
};

TEST_F(RocksDbDamageSweepTest, AFlippedByteInTheDataTableIsNeverServed) {
  Sweep(Pristine(".sst"), 1499);
}

// RocksDB alone reads a flipped length field that runs past the end of the file as a torn tail
// and drops the edits after it without a word: at byte 171 of this MANIFEST that lost the
// table of every record (the stream loaded, empty). CheckManifestTail() (damage_report.h) refuses
// it.
TEST_F(RocksDbDamageSweepTest, AFlippedByteInTheManifestIsRefusedOrHarmless) {
  Sweep(Pristine("MANIFEST-"), 3);
}

}  // namespace
}  // namespace streamkeeper

namespace streamkeeper {
namespace {

// CheckManifestTail() must never refuse a healthy directory: a MANIFEST of more than one 32 KiB
// log block (block padding, a record up to the block end), grown by many flushes, opens.
TEST(RocksDbManifestCheckTest, AManifestOfManyBlocksOpens) {
  testing::TempDir dir;
  RocksDbOptions options;
  options.path = dir.path() + "/db";
  options.block_cache_bytes = 1 << 20;
  std::unique_ptr<Storage> storage;
  ASSERT_TRUE(RocksDbStorage::Open(options, &storage).ok());
  RecoveredState state;
  ASSERT_TRUE(storage->recover(&state).ok());
  auto manifest_size = [&] {
    uintmax_t size = 0;
    for (const auto& entry : fs::directory_iterator(options.path)) {
      if (entry.path().filename().string().rfind("MANIFEST-", 0) == 0) {
        size = std::max(size, entry.file_size());
      }
    }
    return size;
  };
  for (int i = 0; manifest_size() < 32768 + 8192; ++i) {
    ASSERT_LT(i, 5000) << "the MANIFEST does not grow";
    WriteBatch batch;
    batch.sync = false;
    batch.generation_counter = 1 + i;
    StreamChange change;
    change.meta.path = "/s" + std::to_string(i);  // a new path each time: edits name new keys
    change.meta.generation = 1 + i;
    change.meta.content_type = "text/plain";
    change.meta.tail = 1;
    change.records.push_back(Record{0, "x"});
    batch.changes.push_back(std::move(change));
    ASSERT_TRUE(storage->write(batch).ok());
    ASSERT_TRUE(static_cast<RocksDbStorage*>(storage.get())->Compact().ok());
  }
  storage.reset();
  Status status = RocksDbStorage::Open(options, &storage);
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_TRUE(storage->recover(&state).ok());
  std::vector<StreamMeta> metas;
  ASSERT_TRUE(storage->list_streams("", "", 1, &metas).ok());
  EXPECT_EQ(metas.size(), 1u);
}

}  // namespace
}  // namespace streamkeeper
