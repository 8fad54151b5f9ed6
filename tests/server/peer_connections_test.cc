// PeerConnections and ConnectionSlot: the per-address count behind --max-connections-per-ip and
// the one place in the counts that a connection gives back when it closes.
#include "http/peer_connections.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "http/connection_slot.h"

namespace streamkeeper {
namespace {

TEST(PeerConnectionsTest, AnAddressGetsItsLimitAndNoMore) {
  PeerConnections peers(3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(peers.try_add("10.0.0.1")) << i;
  EXPECT_FALSE(peers.try_add("10.0.0.1"));
  EXPECT_EQ(peers.count("10.0.0.1"), 3u);  // the refusal counted nothing
  peers.remove("10.0.0.1");
  EXPECT_TRUE(peers.try_add("10.0.0.1"));
  EXPECT_FALSE(peers.try_add("10.0.0.1"));
}

TEST(PeerConnectionsTest, AddressesAreCountedApart) {
  PeerConnections peers(1);
  EXPECT_TRUE(peers.try_add("10.0.0.1"));
  EXPECT_TRUE(peers.try_add("10.0.0.2"));
  EXPECT_TRUE(peers.try_add("::1"));
  EXPECT_FALSE(peers.try_add("10.0.0.1"));
  EXPECT_EQ(peers.peers(), 3u);
}

TEST(PeerConnectionsTest, AnAddressIsForgottenWithItsLastConnection) {
  PeerConnections peers(2);
  for (int i = 0; i < 10'000; ++i) {
    std::string address = "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256);
    ASSERT_TRUE(peers.try_add(address));
    peers.remove(address);
  }
  EXPECT_EQ(peers.peers(), 0u);
  peers.remove("10.9.9.9");  // never counted: nothing happens
  EXPECT_EQ(peers.count("10.9.9.9"), 0u);
}

TEST(PeerConnectionsTest, ZeroIsNoLimit) {
  PeerConnections peers(0);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(peers.try_add("10.0.0.1"));
  EXPECT_EQ(peers.count("10.0.0.1"), 1000u);
}

TEST(PeerConnectionsTest, ConcurrentAddsNeverOvershootAndRemovesBalance) {
  constexpr size_t kLimit = 5;
  PeerConnections peers(kLimit);
  std::atomic<bool> overshoot{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20'000; ++i) {
        if (peers.try_add("10.0.0.1")) {
          if (peers.count("10.0.0.1") > kLimit) overshoot = true;
          peers.remove("10.0.0.1");
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_FALSE(overshoot);
  EXPECT_EQ(peers.count("10.0.0.1"), 0u);
  EXPECT_EQ(peers.peers(), 0u);
}

TEST(ConnectionSlotTest, ReleasesBothPlacesExactlyOnce) {
  std::atomic<size_t> connections{1};
  PeerConnections peers(1);
  ASSERT_TRUE(peers.try_add("10.0.0.1"));
  {
    ConnectionSlot slot(&connections, &peers, "10.0.0.1");
    slot.release();
    EXPECT_EQ(connections.load(), 0u);
    EXPECT_EQ(peers.count("10.0.0.1"), 0u);
    slot.release();  // and again, at destruction: nothing more
  }
  EXPECT_EQ(connections.load(), 0u);
  EXPECT_TRUE(peers.try_add("10.0.0.1"));
}

TEST(ConnectionSlotTest, ReleasedWhenDestroyedAndOnlyByItsLastOwner) {
  std::atomic<size_t> connections{2};
  PeerConnections peers(2);
  ASSERT_TRUE(peers.try_add("10.0.0.1"));
  ASSERT_TRUE(peers.try_add("10.0.0.1"));
  {
    ConnectionSlot first(&connections, &peers, "10.0.0.1");
    ConnectionSlot moved(std::move(first));
    first.release();  // moved from: holds nothing
    EXPECT_EQ(connections.load(), 2u);
    ConnectionSlot global_only(&connections);
    moved = std::move(global_only);  // gives back what `moved` held, takes the other's
    EXPECT_EQ(connections.load(), 1u);
    EXPECT_EQ(peers.count("10.0.0.1"), 1u);
  }
  EXPECT_EQ(connections.load(), 0u);
  EXPECT_EQ(peers.count("10.0.0.1"), 1u);  // the global-only slot held no address place
}

}  // namespace
}  // namespace streamkeeper
