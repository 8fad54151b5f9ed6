// Embeds Streamkeeper through its installed CMake package: a stream in a RocksDB data
// directory, written, read back, and read again after a reopen. Exits 1 on any mismatch.
//   consumer DATA_DIR   (created if missing)
#include <streamkeeper/rocksdb_storage.h>
#include <streamkeeper/stream_manager.h>

#include <iostream>
#include <memory>
#include <string>

namespace sk = streamkeeper;

// A StreamManager over the RocksDB database in `dir`; nullptr, having said why, on failure.
std::unique_ptr<sk::StreamManager> OpenManager(const std::string& dir) {
  std::unique_ptr<sk::Storage> storage;
  sk::Status status = sk::RocksDbStorage::Open(sk::RocksDbOptions{.path = dir}, &storage);
  if (!status.ok()) {
    std::cerr << "open storage: " << status.message() << "\n";
    return nullptr;
  }
  auto manager = sk::StreamManager::Open(std::move(storage), sk::ManagerOptions{}, &status);
  if (!manager) std::cerr << "open manager: " << status.message() << "\n";
  return manager;
}

// Whether /greetings holds exactly `expected`, from its first position to its tail.
bool ReadsBack(sk::StreamManager& manager, const std::string& expected) {
  sk::ReadResult read = manager.read("/greetings", 0);
  if (read.status.ok() && read.data == expected && read.up_to_date) return true;
  std::cerr << "read: '" << read.data << "' (" << read.status.message() << "), want '"
            << expected << "'\n";
  return false;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: consumer DATA_DIR\n";
    return 2;
  }
  {
    auto manager = OpenManager(argv[1]);
    if (!manager) return 1;
    sk::CreateResult created;
    sk::Status status = manager->create("/greetings", {.content_type = "text/plain"}, &created);
    if (!status.ok() || !created.created) {
      std::cerr << "create: " << status.message() << "\n";
      return 1;
    }
    // Each append returns once it is durable (synced), with the stream's new tail.
    for (const char* text : {"hello, ", "world"}) {
      sk::AppendResult appended = manager->append("/greetings", text, {.content_type = "text/plain"});
      if (!appended.status.ok()) {
        std::cerr << "append: " << appended.status.message() << "\n";
        return 1;
      }
    }
    if (!ReadsBack(*manager, "hello, world")) return 1;
  }  // closes the manager, then the storage
  auto reopened = OpenManager(argv[1]);
  if (!reopened || !ReadsBack(*reopened, "hello, world")) return 1;
  std::cout << "consumer: ok\n";
  return 0;
}
