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

// An erase kills nothing: a failed batch may still have to undo it. Only a purge does.
TEST(LiveGenerationsTest, AnErasedGenerationStaysLiveUntilPurged) {
  LiveGenerations live;
  live.Reset(Loaded({{"/a", 1}}));
  WriteBatch erase;
  erase.changes.push_back(Change(StreamChange::Kind::kErase, "/a", 1));
  live.BeforeWrite(erase);
  EXPECT_TRUE(LiveGenerations::PurgedBy(erase).empty());
  EXPECT_FALSE(live.IsDead("/a", 1)) << "the filter must keep the records until the purge";
  WriteBatch purge;
  purge.changes.push_back(Change(StreamChange::Kind::kPurge, "/a", 1));
  live.Forget(LiveGenerations::PurgedBy(purge));
  EXPECT_TRUE(live.IsDead("/a", 1));
}

// A recreated path keeps its old generation live until that one is purged (a failed erase of
// it may still be undone), and purging the old one keeps the new one.
TEST(LiveGenerationsTest, ARecreatedPathKeepsBothGenerationsUntilTheOldIsPurged) {
  LiveGenerations live;
  live.Reset(Loaded({{"/a", 1}}));
  WriteBatch recreate;
  recreate.changes.push_back(Change(StreamChange::Kind::kPut, "/a", 5));
  live.BeforeWrite(recreate);
  EXPECT_FALSE(live.IsDead("/a", 1));
  EXPECT_FALSE(live.IsDead("/a", 5));
  WriteBatch purge;
  purge.changes.push_back(Change(StreamChange::Kind::kPurge, "/a", 1));
  live.Forget(LiveGenerations::PurgedBy(purge));
  EXPECT_TRUE(live.IsDead("/a", 1));
  EXPECT_FALSE(live.IsDead("/a", 5));
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
  EXPECT_TRUE(LiveGenerations::PurgedBy(batch).empty());
}

}  // namespace
}  // namespace streamkeeper
