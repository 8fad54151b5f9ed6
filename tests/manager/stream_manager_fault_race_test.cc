// StreamManager faults in the narrow places: a failed delete plus a failed re-create of one
// path, erases failed by the free-space gate while a sync runs, producer state reset after a
// failed delete, stops while degraded, deletes under --sync none (found in review).
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "faulty_storage.h"
#include "gate.h"
#include "manager_test_fixture.h"

namespace streamkeeper::manager_test {
namespace {

using streamkeeper::testing::Faults;
using streamkeeper::testing::FaultyStorage;
using streamkeeper::testing::Gate;

class GateStorage final : public streamkeeper::testing::ForwardingStorage {
 public:
  GateStorage(std::unique_ptr<Storage> inner, std::shared_ptr<Gate> gate)
      : ForwardingStorage(std::move(inner)), gate_(std::move(gate)) {}
  Status write(const WriteBatch& batch) override {
    gate_->Pass();
    return inner().write(batch);
  }
  Status sync() override {
    sync_gate_->Pass();
    return inner().sync();
  }
  std::shared_ptr<Gate> sync_gate_ = std::make_shared<Gate>();

 private:
  std::shared_ptr<Gate> gate_;
};

template <typename Backend>
class StreamManagerFaultRaceTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void TearDown() override {
    gate_->Open();
    sync_gate_->Open();
    manager_.reset();
  }
  void Open() {
    ManagerOptions options;
    options.sweep_interval = std::chrono::milliseconds(0);
    options.recovery_interval = recovery_interval_;
    options.min_free_disk_bytes = min_free_;
    options.stream_cache_bytes = CacheBytesOf<Backend>();
    Status status;
    auto gated =
        std::make_unique<GateStorage>(std::make_unique<FaultyStorage>(backend_.Open(), faults_),
                                      gate_);
    gated->sync_gate_ = sync_gate_;
    manager_ = StreamManager::Open(std::move(gated), std::move(options), &status);
    ASSERT_TRUE(status.ok()) << status.message();
  }
  void Reopen() {
    gate_->Open();
    manager_.reset();
    Open();
  }
  bool WaitWritable() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (manager_->stats().writable) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
  }
  std::shared_ptr<Faults> faults_ = std::make_shared<Faults>();
  std::shared_ptr<Gate> gate_ = std::make_shared<Gate>();
  std::chrono::milliseconds recovery_interval_{5};
  std::shared_ptr<Gate> sync_gate_ = std::make_shared<Gate>();
  uint64_t min_free_ = 0;
  Backend backend_;
  std::unique_ptr<StreamManager> manager_;
};

TYPED_TEST_SUITE(StreamManagerFaultRaceTest, ManagerBackends, BackendNames);

// A delete of /s and a re-create of /s queued behind it both fail: /s must be exactly as
// before (present, with its data), in the running manager and after a restart alike.
TYPED_TEST(StreamManagerFaultRaceTest, AFailedDeleteAndAFailedRecreateOfTheSamePathLeaveTheStream) {
  CreateResult created;
  ASSERT_TRUE(this->manager_->create("/s", {}, &created).ok());
  ASSERT_TRUE(this->manager_->create("/x", {}, &created).ok());
  ASSERT_TRUE(this->manager_->append("/s", "a", Bytes()).status.ok());

  this->gate_->Close();
  std::promise<AppendResult> blocked;
  this->manager_->append_async("/x", "z", Bytes(),
                               [&](AppendResult r) { blocked.set_value(std::move(r)); });
  this->gate_->WaitForArrival();  // the writer holds /x's write; what follows queues behind it
  std::promise<Status> removed, recreated;
  this->manager_->remove_async("/s", [&](const Status& s) { removed.set_value(s); });
  this->manager_->create_async("/s", {}, [&](const Status& s, const CreateResult&) {
    recreated.set_value(s);
  });
  this->faults_->fail_writes = 1;  // the held write fails: everything queued behind it fails
  this->gate_->Open();
  EXPECT_FALSE(blocked.get_future().get().status.ok());
  EXPECT_FALSE(removed.get_future().get().ok());
  EXPECT_FALSE(recreated.get_future().get().ok());
  ASSERT_TRUE(this->WaitWritable());

  StreamInfo info;
  Status s = this->manager_->get_metadata("/s", &info);
  EXPECT_TRUE(s.ok()) << "/s vanished from the manager: " << s.message();
  ReadResult read = this->manager_->read("/s", 0);
  EXPECT_TRUE(read.status.ok()) << read.status.message();
  EXPECT_EQ(read.data, "a");
  if (!TypeParam::kPersistent) return;
  this->Reopen();
  read = this->manager_->read("/s", 0);
  EXPECT_TRUE(read.status.ok()) << read.status.message();
  EXPECT_EQ(read.data, "a");
}

// A delete whose write reached the store but failed (FaultyStorage's writes_reach_store) is put
// back and reset by the recovery; later ordinary writes must not delete its records.
TYPED_TEST(StreamManagerFaultRaceTest, AFailedDeleteThatReachedTheStoreKeepsItsRecordsAfterLaterWrites) {
  CreateResult created;
  ASSERT_TRUE(this->manager_->create("/s", {}, &created).ok());
  ASSERT_TRUE(this->manager_->create("/x", {}, &created).ok());
  ASSERT_TRUE(this->manager_->append("/s", "abc", Bytes()).status.ok());
  this->faults_->writes_reach_store = true;
  this->faults_->fail_writes = 1;
  EXPECT_FALSE(this->manager_->remove("/s").ok());
  ASSERT_TRUE(this->WaitWritable());
  ReadResult read = this->manager_->read("/s", 0);
  EXPECT_EQ(read.data, "abc");
  ASSERT_TRUE(this->manager_->append("/x", "1", Bytes()).status.ok());
  ASSERT_TRUE(this->manager_->append("/x", "2", Bytes()).status.ok());
  read = this->manager_->read("/s", 0);
  EXPECT_TRUE(read.status.ok()) << read.status.message();
  EXPECT_EQ(read.data, "abc") << "the restored stream's records were deleted";
  if (!TypeParam::kPersistent) return;
  this->Reopen();
  read = this->manager_->read("/s", 0);
  EXPECT_TRUE(read.status.ok()) << read.status.message();
  EXPECT_EQ(read.data, "abc") << "after restart";
}

// An append whose sync failed (answered 507) must not appear after a restart that happens
// before the recovery could write its repair (the disk stays failing until the restart).
StreamChange PutChange(const StreamMeta& meta) {
  StreamChange change;
  change.meta = meta;
  return change;
}
StreamChange EraseChange(const StreamMeta& meta) {
  StreamChange change;
  change.kind = StreamChange::Kind::kErase;
  change.meta = meta;
  return change;
}

// A clean stop after the fault cleared (but before the recovery interval passed) repairs the
// store: the append answered with an error is not there after the restart.
TYPED_TEST(StreamManagerFaultRaceTest, AnAppendWhoseSyncFailedIsNotThereAfterACleanStop) {
  if (!TypeParam::kPersistent) return;
  CreateResult created;
  ASSERT_TRUE(this->manager_->create("/s", {}, &created).ok());
  ASSERT_TRUE(this->manager_->append("/s", "a", Bytes()).status.ok());
  this->recovery_interval_ = std::chrono::seconds(30);  // no recovery before the stop
  this->Reopen();
  this->faults_->fail_syncs = 1;
  EXPECT_FALSE(this->manager_->append("/s", "b", Bytes()).status.ok());
  this->Reopen();
  ReadResult read = this->manager_->read("/s", 0);
  EXPECT_TRUE(read.status.ok()) << read.status.message();
  EXPECT_EQ(read.data, "a") << "a write answered with an error became visible after a restart";
  StreamInfo info;
  ASSERT_TRUE(this->manager_->get_metadata("/s", &info).ok());
  EXPECT_EQ(info.tail, 1u);
}

// Stopped while the storage still fails, nothing can be repaired: the refused append may come
// back after the restart, but only whole, and offsets go on after it (the weaker promise, in
// manager_recovery.cc).
TYPED_TEST(StreamManagerFaultRaceTest, AnAppendWhoseSyncFailedIsWholeOrAbsentAfterAStopWhileStillFailing) {
  if (!TypeParam::kPersistent) return;
  CreateResult created;
  ASSERT_TRUE(this->manager_->create("/s", {}, &created).ok());
  ASSERT_TRUE(this->manager_->append("/s", "a", Bytes()).status.ok());
  this->recovery_interval_ = std::chrono::seconds(30);
  this->Reopen();
  this->faults_->fail_syncs = 1;
  EXPECT_FALSE(this->manager_->append("/s", "bcd", Bytes()).status.ok());
  this->faults_->broken = true;  // still failing while it stops
  this->Reopen();
  this->faults_->broken = false;
  ReadResult read = this->manager_->read("/s", 0);
  ASSERT_TRUE(read.status.ok()) << read.status.message();
  EXPECT_TRUE(read.data == "a" || read.data == "abcd") << read.data;
  StreamInfo info;
  ASSERT_TRUE(this->manager_->get_metadata("/s", &info).ok());
  EXPECT_EQ(info.tail, read.data.size());
}

// A delete with --sync none (the committer never syncs): the purge after it still drops the
// deleted generation's records.
TEST(StreamManagerFaultRaceRocksDb, ADeleteWithoutSyncsStillPurgesItsRecords) {
  streamkeeper::testing::RocksDbBackend backend;
  std::unique_ptr<Storage> storage = backend.Open();
  Storage* raw = storage.get();
  ManagerOptions options;
  options.sync = false;
  options.sweep_interval = std::chrono::milliseconds(0);
  Status status;
  auto manager = StreamManager::Open(std::move(storage), std::move(options), &status);
  ASSERT_TRUE(status.ok()) << status.message();
  CreateResult created;
  ASSERT_TRUE(manager->create("/gone", {}, &created).ok());
  ASSERT_TRUE(manager->append("/gone", "abc", Bytes()).status.ok());
  uint64_t generation = created.info.generation;
  ASSERT_TRUE(manager->remove("/gone").ok());
  std::vector<Record> records;
  for (int i = 0; i < 500; ++i) {
    // The purge is queued after the erase completes; a create is a barrier behind it.
    ASSERT_TRUE(manager->create("/other" + std::to_string(i), {}, &created).ok());
    records.clear();
    ASSERT_TRUE(raw->read_records("/gone", generation, 0, 100, 1 << 20, &records).ok());
    if (records.empty()) break;
  }
  EXPECT_TRUE(records.empty()) << records.size() << " records of the deleted generation remain";
}

// A failed delete (its write reached the store) of a stream with producer state, then a restart:
// the producer's acknowledged seq must still be known (a retry is a duplicate, not new data).
TYPED_TEST(StreamManagerFaultRaceTest, AFailedDeleteKeepsProducerStateAcrossARestart) {
  if (!TypeParam::kPersistent) return;
  CreateResult created;
  ASSERT_TRUE(this->manager_->create("/s", {}, &created).ok());
  AppendOptions producer = Bytes();
  producer.producer = Producer{"p", 0, 0};
  ASSERT_TRUE(this->manager_->append("/s", "abc", producer).status.ok());
  this->faults_->writes_reach_store = true;
  this->faults_->fail_writes = 1;
  EXPECT_FALSE(this->manager_->remove("/s").ok());
  ASSERT_TRUE(this->WaitWritable());
  this->Reopen();
  AppendResult retry = this->manager_->append("/s", "abc", producer);
  EXPECT_TRUE(retry.status.ok()) << retry.status.message();
  EXPECT_TRUE(retry.duplicate) << "the producer state of the restored stream was lost";
  ReadResult read = this->manager_->read("/s", 0);
  EXPECT_EQ(read.data, "abc");
}

TEST(StreamManagerFaultRaceRocksDb, AResetAfterAnEraseOfTheSameGenerationKeepsProducers) {
  streamkeeper::testing::RocksDbBackend backend;
  std::unique_ptr<Storage> storage = backend.Open();
  RecoveredState recovered;
  ASSERT_TRUE(storage->recover(&recovered).ok());
  StreamMeta meta;
  meta.path = "/s";
  meta.generation = 1;
  meta.content_type = "application/octet-stream";
  meta.tail = 3;
  WriteBatch create;
  create.generation_counter = 1;
  create.changes.push_back(PutChange(meta));
  create.changes.back().records.push_back(Record{0, "abc"});
  create.changes.back().producers.emplace("p", ProducerState{0, 0});
  ASSERT_TRUE(storage->write(create).ok());
  WriteBatch erase;
  erase.generation_counter = 1;
  erase.changes.push_back(EraseChange(meta));
  ASSERT_TRUE(storage->write(erase).ok());
  WriteBatch reset;
  reset.generation_counter = 1;
  reset.changes.push_back(PutChange(meta));
  reset.changes.back().kind = StreamChange::Kind::kReset;
  reset.changes.back().producers.emplace("p", ProducerState{0, 0});
  ASSERT_TRUE(storage->write(reset).ok());
  std::optional<LoadedStream> after;
  ASSERT_TRUE(storage->load_stream("/s", &after).ok());
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->producers.size(), 1u) << "live, same storage";
  storage.reset();
  storage = backend.Open();
  std::optional<LoadedStream> reopened;
  ASSERT_TRUE(storage->load_stream("/s", &reopened).ok());
  ASSERT_TRUE(reopened.has_value());
  EXPECT_EQ(reopened->producers.size(), 1u) << "after reopen";
}

// The production path of the lost records: an erase is written and handed to the sync thread,
// the free-space gate then refuses the next group (no RocksDB error at all), so the erase's
// sync never runs and it fails; recovery resets the stream; later syncs and writes must not
// range-delete the restored stream's records.
TYPED_TEST(StreamManagerFaultRaceTest, AnEraseFailedByTheSpaceGateKeepsItsRecordsAfterLaterWrites) {
  this->min_free_ = 1000;
  this->Reopen();
  CreateResult created;
  ASSERT_TRUE(this->manager_->create("/s", {}, &created).ok());
  ASSERT_TRUE(this->manager_->create("/x", {}, &created).ok());
  ASSERT_TRUE(this->manager_->create("/y", {}, &created).ok());
  ASSERT_TRUE(this->manager_->append("/s", "abc", Bytes()).status.ok());

  this->gate_->Close();
  this->sync_gate_->Close();
  std::promise<AppendResult> x1;
  this->manager_->append_async("/x", "1", Bytes(), [&](AppendResult r) { x1.set_value(r); });
  this->gate_->WaitForArrival();  // the writer holds /x's group at the write
  std::promise<Status> removed;
  this->manager_->remove_async("/s", [&](const Status& s) { removed.set_value(s); });
  int passed_before = this->gate_->Passed();  // only the writer thread passes; it is held
  this->gate_->LetOneThrough();       // /x is written and handed to the syncer alone
  this->sync_gate_->WaitForArrival();  // the syncer holds /x's sync (the erase is not in it)
  this->gate_->Open();
  this->gate_->WaitForPassed(passed_before + 2);  // the erase is written, waiting for a sync
  this->faults_->free_bytes = 10;  // below the reserve: the gate refuses the next group
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // past the space check's cache
  std::promise<AppendResult> y;
  this->manager_->append_async("/y", "2", Bytes(), [&](AppendResult r) { y.set_value(r); });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (this->manager_->stats().writable && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  // Not ASSERT: the callbacks above write into this frame, so the test runs on to collect them.
  EXPECT_FALSE(this->manager_->stats().writable) << "the space gate did not refuse /y";
  this->sync_gate_->Open();
  bool x1_ok = x1.get_future().get().status.ok();
  EXPECT_TRUE(x1_ok) << "/x was synced before anything failed";
  EXPECT_FALSE(y.get_future().get().status.ok());
  EXPECT_FALSE(removed.get_future().get().ok())
      << "the erase's sync came after the failure: it must fail";
  this->faults_->free_bytes = -1;
  ASSERT_TRUE(this->WaitWritable());
  {
    ReadResult r0 = this->manager_->read("/s", 0);
    StreamInfo info;
    Status ms = this->manager_->get_metadata("/s", &info);
    EXPECT_EQ(r0.data, "abc") << r0.status.message() << " meta: " << ms.message() << " tail "
                              << info.tail << " x1 ok " << x1_ok;
  }
  ASSERT_TRUE(this->manager_->append("/x", "3", Bytes()).status.ok());
  ASSERT_TRUE(this->manager_->append("/x", "4", Bytes()).status.ok());
  ReadResult read = this->manager_->read("/s", 0);
  EXPECT_EQ(read.data, "abc") << "the restored stream's records were range-deleted";
}

}  // namespace
}  // namespace streamkeeper::manager_test
