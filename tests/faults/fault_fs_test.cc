// FaultFs itself: what a cut keeps, what freezing swallows, which call an armed error hits.
// The power-cut and error tests are only as good as these rules.
#include "fault_fs.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "temp_dir.h"

namespace streamkeeper::faults {
namespace {

using rocksdb::FileOptions;
using rocksdb::IOOptions;

class FaultFsTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }

  std::unique_ptr<rocksdb::FSWritableFile> Create(const std::string& name) {
    std::unique_ptr<rocksdb::FSWritableFile> file;
    EXPECT_TRUE(fs_->NewWritableFile(Path(name), FileOptions(), &file, nullptr).ok());
    return file;
  }
  void SyncDir() {
    std::unique_ptr<rocksdb::FSDirectory> dir;
    ASSERT_TRUE(fs_->NewDirectory(dir_.path(), IOOptions(), &dir, nullptr).ok());
    ASSERT_TRUE(dir->Fsync(IOOptions(), nullptr).ok());
  }
  std::string Contents(const std::string& name) const {
    std::ifstream in(Path(name), std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }
  bool Exists(const std::string& name) const { return std::filesystem::exists(Path(name)); }

  testing::TempDir dir_;
  std::shared_ptr<FaultFs> fs_ = std::make_shared<FaultFs>(7);
};

TEST_F(FaultFsTest, CutKeepsOnlySyncedBytes) {
  auto file = Create("000001.log");
  SyncDir();
  ASSERT_TRUE(file->Append("synced|", IOOptions(), nullptr).ok());
  ASSERT_TRUE(file->Sync(IOOptions(), nullptr).ok());
  ASSERT_TRUE(file->Append("lost", IOOptions(), nullptr).ok());
  fs_->Freeze();
  file->Close(IOOptions(), nullptr);
  file.reset();
  fs_->ApplyCut(CutMode::kDropUnsynced);
  EXPECT_EQ(Contents("000001.log"), "synced|");
  EXPECT_EQ(fs_->counters().bytes_dropped, 4u);
}

TEST_F(FaultFsTest, TornTailKeepsAPrefixOfTheUnsyncedBytes) {
  bool saw_torn = false;
  for (int round = 0; round < 20; ++round) {
    std::string name = "torn" + std::to_string(round) + ".log";
    auto file = Create(name);
    SyncDir();
    ASSERT_TRUE(file->Append("base|", IOOptions(), nullptr).ok());
    ASSERT_TRUE(file->Fsync(IOOptions(), nullptr).ok());
    ASSERT_TRUE(file->Append("0123456789", IOOptions(), nullptr).ok());
    fs_->Freeze();
    file.reset();
    fs_->ApplyCut(CutMode::kTornTail);
    std::string kept = Contents(name);
    ASSERT_GE(kept.size(), 5u);
    EXPECT_EQ(kept, std::string("base|0123456789").substr(0, kept.size()));
    saw_torn = saw_torn || (kept.size() > 5 && kept.size() < 15);
  }
  EXPECT_TRUE(saw_torn);
}

TEST_F(FaultFsTest, ProcessCrashKeepsEverythingWritten) {
  auto file = Create("000001.log");
  ASSERT_TRUE(file->Append("written", IOOptions(), nullptr).ok());
  fs_->Freeze();
  file.reset();
  fs_->ApplyCut(CutMode::kKeepWritten);
  EXPECT_EQ(Contents("000001.log"), "written");
}

TEST_F(FaultFsTest, NothingReachesTheFilesWhileFrozen) {
  auto file = Create("000001.log");
  SyncDir();
  fs_->Freeze();
  EXPECT_TRUE(file->Append("after the cut", IOOptions(), nullptr).ok());
  EXPECT_TRUE(file->Sync(IOOptions(), nullptr).ok());
  EXPECT_TRUE(fs_->DeleteFile(Path("000001.log"), IOOptions(), nullptr).ok());
  std::unique_ptr<rocksdb::FSWritableFile> other;
  EXPECT_FALSE(fs_->NewWritableFile(Path("new.log"), FileOptions(), &other, nullptr).ok());
  file.reset();
  fs_->ApplyCut(CutMode::kKeepWritten);
  EXPECT_TRUE(Exists("000001.log"));
  EXPECT_FALSE(Exists("new.log"));
  EXPECT_EQ(Contents("000001.log"), "");
}

TEST_F(FaultFsTest, FreezeAtEventFreezesBeforeThatCall) {
  auto file = Create("000001.log");
  fs_->FreezeAtEvent(2);
  ASSERT_TRUE(file->Append("first|", IOOptions(), nullptr).ok());
  EXPECT_FALSE(fs_->frozen());
  ASSERT_TRUE(file->Append("second", IOOptions(), nullptr).ok());
  EXPECT_TRUE(fs_->frozen());
  file.reset();
  fs_->ApplyCut(CutMode::kKeepWritten);
  EXPECT_EQ(Contents("000001.log"), "first|");
}

TEST_F(FaultFsTest, CreationsAndRenamesNeedADirectorySync) {
  {
    auto current = Create("CURRENT");
    ASSERT_TRUE(current->Append("MANIFEST-1", IOOptions(), nullptr).ok());
    ASSERT_TRUE(current->Sync(IOOptions(), nullptr).ok());
  }
  SyncDir();
  auto fresh = Create("fresh.sst");
  ASSERT_TRUE(fresh->Append("data", IOOptions(), nullptr).ok());
  ASSERT_TRUE(fresh->Sync(IOOptions(), nullptr).ok());  // the bytes are durable, the name is not
  {
    auto temp = Create("CURRENT.dbtmp");
    ASSERT_TRUE(temp->Append("MANIFEST-2", IOOptions(), nullptr).ok());
    ASSERT_TRUE(temp->Sync(IOOptions(), nullptr).ok());
  }
  ASSERT_TRUE(fs_->RenameFile(Path("CURRENT.dbtmp"), Path("CURRENT"), IOOptions(), nullptr).ok());
  EXPECT_EQ(Contents("CURRENT"), "MANIFEST-2");
  fs_->Freeze();
  fresh.reset();
  fs_->ApplyCut(CutMode::kDropUnsynced);
  EXPECT_FALSE(Exists("fresh.sst"));
  EXPECT_FALSE(Exists("CURRENT.dbtmp"));
  EXPECT_EQ(Contents("CURRENT"), "MANIFEST-1");
}

TEST_F(FaultFsTest, ARenameMadeDurableStays) {
  {
    auto temp = Create("CURRENT.dbtmp");
    ASSERT_TRUE(temp->Append("MANIFEST-2", IOOptions(), nullptr).ok());
    ASSERT_TRUE(temp->Sync(IOOptions(), nullptr).ok());
  }
  ASSERT_TRUE(fs_->RenameFile(Path("CURRENT.dbtmp"), Path("CURRENT"), IOOptions(), nullptr).ok());
  SyncDir();
  fs_->Freeze();
  fs_->ApplyCut(CutMode::kDropUnsynced);
  EXPECT_EQ(Contents("CURRENT"), "MANIFEST-2");
}

TEST_F(FaultFsTest, ArmedErrorsHitTheNthCallOnWalFilesUntilHealed) {
  auto wal = Create("000001.log");
  auto sst = Create("000002.sst");
  fs_->ArmError(IoKind::kWrite, 2, ErrorCode::kNoSpace, /*sticky=*/false);
  EXPECT_TRUE(sst->Append("x", IOOptions(), nullptr).ok());  // not a WAL: not counted
  EXPECT_TRUE(wal->Append("1", IOOptions(), nullptr).ok());
  rocksdb::IOStatus second = wal->Append("2", IOOptions(), nullptr);
  EXPECT_TRUE(second.IsNoSpace()) << second.ToString();
  EXPECT_TRUE(wal->Append("3", IOOptions(), nullptr).ok());  // once only

  fs_->Heal();
  fs_->ArmError(IoKind::kSync, 1, ErrorCode::kIoError, /*sticky=*/true, FileFilter::kAny);
  EXPECT_TRUE(wal->Append("4", IOOptions(), nullptr).ok());
  rocksdb::IOStatus sync = wal->Sync(IOOptions(), nullptr);
  EXPECT_TRUE(sync.IsIOError() && !sync.IsNoSpace()) << sync.ToString();
  EXPECT_FALSE(sst->Fsync(IOOptions(), nullptr).ok());  // sticky, and on any file
  fs_->Heal();
  EXPECT_TRUE(wal->Sync(IOOptions(), nullptr).ok());
  EXPECT_EQ(fs_->counters().injected_errors, 3u);
  wal.reset();
  sst.reset();
  EXPECT_EQ(Contents("000001.log"), "134");  // the failed append wrote nothing
}

}  // namespace
}  // namespace streamkeeper::faults
