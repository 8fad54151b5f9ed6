// LiveGenerations: what the RocksDB compaction filter treats as dead, and when.
#include "storage_rocksdb/live_generations.h"

#include <gtest/gtest.h>

namespace streamkeeper {
namespace {

StreamChange Change(StreamChange::Kind kind, const std::string& path, uint64_t generation) {
  StreamChange change;
  change.kind = kind;
  change.meta.path = path;
  change.meta.generation = generation;
  return change;
}

LoadedState Loaded(std::initializer_list<std::pair<std::string, uint64_t>> streams) {
  LoadedState state;
  for (const auto& [path, generation] : streams) {
    LoadedStream stream;
    stream.meta.path = path;
    stream.meta.generation = generation;
    state.streams.push_back(stream);
  }
  return state;
}

TEST(LiveGenerationsTest, NothingIsDeadBeforeLoad) {
  LiveGenerations live;
  EXPECT_FALSE(live.IsDead("/a", 1));
}

TEST(LiveGenerationsTest, OtherGenerationsAndUnknownPathsAreDead) {
  LiveGenerations live;
  live.Reset(Loaded({{"/a", 2}}));
  EXPECT_FALSE(live.IsDead("/a", 2));
  EXPECT_TRUE(live.IsDead("/a", 1));
  EXPECT_TRUE(live.IsDead("/b", 1));
}

// An erase is only reported, not applied: the storage applies it once it is durable.
TEST(LiveGenerationsTest, ErasedGenerationStaysLiveUntilForgotten) {
  LiveGenerations live;
  live.Reset(Loaded({{"/a", 1}}));
  WriteBatch batch;
  batch.changes.push_back(Change(StreamChange::Kind::kErase, "/a", 1));
  LiveGenerations::Erased erased = LiveGenerations::ErasedBy(batch);
  ASSERT_EQ(erased.size(), 1u);
  EXPECT_FALSE(live.IsDead("/a", 1)) << "not durable yet: the filter must keep the records";
  live.Forget(erased);
  EXPECT_TRUE(live.IsDead("/a", 1));
}

TEST(LiveGenerationsTest, EraseThenPutOfThePathInOneBatchErasesNothing) {
  WriteBatch batch;
  batch.changes.push_back(Change(StreamChange::Kind::kErase, "/a", 1));
  batch.changes.push_back(Change(StreamChange::Kind::kPut, "/a", 2));
  EXPECT_TRUE(LiveGenerations::ErasedBy(batch).empty());
}

// A recreated path (a later put of a new generation) is not undone by forgetting the old one.
TEST(LiveGenerationsTest, ForgettingAnOldGenerationKeepsTheNewOne) {
  LiveGenerations live;
  live.Reset(Loaded({{"/a", 1}}));
  WriteBatch erase;
  erase.changes.push_back(Change(StreamChange::Kind::kErase, "/a", 1));
  LiveGenerations::Erased erased = LiveGenerations::ErasedBy(erase);
  WriteBatch recreate;
  recreate.changes.push_back(Change(StreamChange::Kind::kPut, "/a", 5));
  live.BeforeWrite(recreate);
  live.Forget(erased);
  EXPECT_FALSE(live.IsDead("/a", 5));
  EXPECT_TRUE(live.IsDead("/a", 1));
}

TEST(LiveGenerationsTest, OnlyMetaWritesIntroduceGenerations) {
  LiveGenerations live;
  live.Reset(Loaded({{"/a", 1}}));
  WriteBatch batch;
  StreamChange records_only = Change(StreamChange::Kind::kPut, "/a", 1);
  records_only.write_meta = false;
  batch.changes.push_back(records_only);
  batch.changes.push_back(Change(StreamChange::Kind::kPut, "/b", 3));
  live.BeforeWrite(batch);
  EXPECT_FALSE(live.IsDead("/a", 1));
  EXPECT_FALSE(live.IsDead("/b", 3));
  EXPECT_TRUE(LiveGenerations::ErasedBy(batch).empty());
}

}  // namespace
}  // namespace streamkeeper
