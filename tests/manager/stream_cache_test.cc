// StreamCache (src/manager/stream_cache.h): bounded by bytes, evicting only entries nobody holds.
#include "manager/stream_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace streamkeeper {
namespace {

// Puts `path` in as the manager would: insert, "load" (nothing to read), unlock.
EntryPtr Insert(StreamCache& cache, const std::string& path) {
  bool inserted = false;
  EntryPtr entry = cache.find_or_insert(path, &inserted);
  EXPECT_TRUE(inserted) << path;
  entry->loaded = true;
  cache.recharge(*entry);
  entry->mu.unlock();
  return entry;
}

size_t EntryBytes() {
  StreamEntry probe("/s0000");
  return probe.estimate_charge();
}

TEST(StreamCacheTest, AFoundEntryIsTheSameObjectAndInsertsNothing) {
  StreamCache cache(1 << 20);
  EntryPtr first = Insert(cache, "/a");
  bool inserted = true;
  EntryPtr again = cache.find_or_insert("/a", &inserted);
  EXPECT_FALSE(inserted);
  EXPECT_EQ(again, first);
  EXPECT_EQ(cache.find("/a"), first);
  EXPECT_EQ(cache.find("/b"), nullptr);
}

TEST(StreamCacheTest, EntriesNobodyHoldsAreEvictedBeyondTheBudget) {
  StreamCache cache(10 * EntryBytes());
  for (int i = 0; i < 100; ++i) Insert(cache, "/s" + std::to_string(1000 + i));
  StreamCacheStats stats = cache.stats();
  EXPECT_LE(stats.bytes, 10 * EntryBytes() + EntryBytes());
  EXPECT_LE(stats.entries, 11u);
  EXPECT_GE(stats.evictions, 89u);
  EXPECT_EQ(stats.misses, 100u);
}

TEST(StreamCacheTest, AnEntrySomebodyHoldsIsNeverEvicted) {
  StreamCache cache(0);
  EntryPtr held = Insert(cache, "/held");
  for (int i = 0; i < 50; ++i) Insert(cache, "/s" + std::to_string(1000 + i));
  EXPECT_EQ(cache.find("/held"), held);
}

TEST(StreamCacheTest, AnEntryWithAParkedReaderIsNeverEvicted) {
  StreamCache cache(0);
  {
    EntryPtr followed = Insert(cache, "/followed");
    followed->waiters.emplace(1, [] {});
  }
  for (int i = 0; i < 50; ++i) Insert(cache, "/s" + std::to_string(1000 + i));
  EntryPtr again = cache.find("/followed");
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->waiters.size(), 1u);
}

TEST(StreamCacheTest, AnEntryOnlyTheCacheHoldsIsDroppedWithItsMemory) {
  StreamCache cache(0);
  std::weak_ptr<StreamEntry> watch = Insert(cache, "/gone");
  Insert(cache, "/other");  // evicts /gone: only the cache held it
  EXPECT_TRUE(watch.expired()) << "the cache dropped its pointer";
  EXPECT_EQ(cache.find("/gone"), nullptr);
}

TEST(StreamCacheTest, AnEntryBeingLoadedIsNotEvicted) {
  StreamCache cache(0);
  bool inserted = false;
  EntryPtr loading = cache.find_or_insert("/loading", &inserted);
  ASSERT_TRUE(inserted);
  std::weak_ptr<StreamEntry> watch = loading;
  loading.reset();  // only the cache holds it now, but it is still locked and not loaded
  Insert(cache, "/other");
  EntryPtr still = watch.lock();
  ASSERT_NE(still, nullptr);
  EXPECT_EQ(cache.find("/loading"), still);
  still->loaded = true;
  still->mu.unlock();
}

TEST(StreamCacheTest, RecentlyUsedEntriesOutliveUnusedOnes) {
  // Room for about four entries; /hot is looked up between every insert.
  StreamCache cache(4 * EntryBytes() + EntryBytes() / 2);
  Insert(cache, "/hot");
  for (int i = 0; i < 40; ++i) {
    ASSERT_NE(cache.find("/hot"), nullptr) << "evicted after " << i << " inserts";
    Insert(cache, "/cold" + std::to_string(1000 + i));
  }
}

TEST(StreamCacheTest, RemoveTakesOutOnlyThatEntry) {
  StreamCache cache(1 << 20);
  EntryPtr a = Insert(cache, "/a");
  EntryPtr b = Insert(cache, "/b");
  cache.remove(a);
  EXPECT_EQ(cache.find("/a"), nullptr);
  EXPECT_EQ(cache.find("/b"), b);
  EXPECT_EQ(cache.stats().entries, 1u);
}

TEST(StreamCacheTest, TrimEvictsWhatBecameFreeAfterItsInsert) {
  StreamCache cache(0);
  std::vector<EntryPtr> held;
  for (int i = 0; i < 5; ++i) held.push_back(Insert(cache, "/s" + std::to_string(1000 + i)));
  EXPECT_EQ(cache.stats().entries, 5u);
  held.clear();
  cache.trim();
  EXPECT_EQ(cache.stats().entries, 0u);
  EXPECT_EQ(cache.stats().bytes, 0u);
}

}  // namespace
}  // namespace streamkeeper
