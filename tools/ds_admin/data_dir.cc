#include "data_dir.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "manager/tail_recovery.h"
#include "read_only_storage.h"
#include "streamkeeper/rocksdb_storage.h"

namespace ds_admin {

using streamkeeper::LoadedStream;
using streamkeeper::Status;
using streamkeeper::Storage;
using streamkeeper::StreamManager;

namespace {

// A MANIFEST, table or WAL file: what a database whose CURRENT is gone still holds.
bool HoldsRocksDbFiles(const std::string& dir) {
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    auto ends_with = [&](std::string_view suffix) {
      return name.size() >= suffix.size() &&
             name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    if (name.rfind("MANIFEST-", 0) == 0 || ends_with(".sst") || ends_with(".log")) return true;
  }
  return false;
}

}  // namespace

Status CheckIsStore(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return Status::IoError("data directory " + dir + " does not exist or is not a directory");
  }
  if (!std::filesystem::exists(dir + "/CURRENT", ec) && !HoldsRocksDbFiles(dir)) {
    return Status::IoError("cannot open RocksDB database in " + dir +
                           ": there is none (no CURRENT file): not a Streamkeeper data directory");
  }
  return Status::Ok();
}

Status Inspection::Open(const std::string& dir, InspectMode mode, streamkeeper::LogSink log,
                        std::unique_ptr<Inspection>* out) {
  out->reset();
  if (Status s = CheckIsStore(dir); !s.ok()) return s;
  std::error_code ec;
  std::unique_ptr<Inspection> inspection(new Inspection());
  streamkeeper::RocksDbOptions options;
  options.path = dir;
  options.create_if_missing = false;
  options.block_cache_bytes = 8 << 20;  // one pass over the data; a big cache buys nothing
  options.log = log;
  std::unique_ptr<Storage> storage;
  Status s;
  bool as_secondary = mode == InspectMode::kFollow || HeldByServer(dir);
  if (!as_secondary) {
    options.read_only = true;
    s = streamkeeper::RocksDbStorage::Open(options, &storage);
    // A server that started since HeldByServer() looked: read its directory as a secondary.
    as_secondary = !s.ok() && HeldByServer(dir);
  }
  if (as_secondary) {
    std::string pattern = (std::filesystem::temp_directory_path(ec) / "ds-admin-secondary.XXXXXX")
                              .string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      return Status::IoError("cannot create a scratch directory " + pattern + " for a RocksDB " +
                             "secondary instance: " + std::strerror(errno));
    }
    inspection->scratch_ = pattern;
    options.read_only = false;
    options.secondary_path = pattern;
    s = streamkeeper::RocksDbStorage::Open(options, &storage);
  }
  if (!s.ok()) return s;  // the destructor removes the scratch directory
  inspection->storage_.reset(static_cast<streamkeeper::RocksDbStorage*>(storage.release()));
  *out = std::move(inspection);
  return Status::Ok();
}

Inspection::~Inspection() {
  storage_.reset();  // closed before its scratch directory goes
  if (scratch_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(scratch_, ec);
}

Status Inspection::CatchUp() {
  if (!secondary()) return Status::Ok();
  return storage_->CatchUp();
}

Status Inspection::OpenManager(std::unique_ptr<StreamManager>* out) {
  out->reset();
  streamkeeper::ManagerOptions options;
  options.sweep_interval = std::chrono::milliseconds(0);  // never expire anything on our own
  Status s;
  *out = StreamManager::Open(std::make_unique<ReadOnlyStorage>(*storage_), std::move(options), &s);
  return s;
}

Status OpenStorage(const std::string& dir, ChangeOf change, std::unique_ptr<Storage>* out) {
  out->reset();
  if (Status s = CheckIsStore(dir); !s.ok()) return s;
  if (Status s = CheckNotLive(dir, change.command, change.action); !s.ok()) return s;
  streamkeeper::RocksDbOptions options;
  options.path = dir;
  options.create_if_missing = false;
  options.block_cache_bytes = 8 << 20;  // one pass over the data; a big cache buys nothing
  return streamkeeper::RocksDbStorage::Open(options, out);
}

Status LoadAll(Storage& storage, std::vector<LoadedStream>* streams) {
  Status s = streamkeeper::LoadAllStreams(storage, streams);
  if (!s.ok()) return s;
  for (auto& stream : *streams) streamkeeper::RecoverTail(&stream);
  return s;
}

Status LoadOne(Storage& storage, const std::string& path, std::optional<LoadedStream>* out) {
  Status s = storage.load_stream(path, out);
  if (s.ok() && *out) streamkeeper::RecoverTail(&**out);
  return s;
}

Status OpenManager(const std::string& dir, ChangeOf change, std::unique_ptr<StreamManager>* out) {
  out->reset();
  std::unique_ptr<Storage> storage;
  Status s = OpenStorage(dir, change, &storage);
  if (!s.ok()) return s;
  streamkeeper::ManagerOptions options;
  options.sweep_interval = std::chrono::milliseconds(0);  // never expire anything on our own
  *out = StreamManager::Open(std::move(storage), std::move(options), &s);
  return s;
}

Status CheckNotLive(const std::string& dir, std::string_view command, std::string_view action) {
  long pid = 0;
  if (!HeldByServer(dir, &pid)) return Status::Ok();
  return Status::Unavailable("data directory " + dir + " is in use by a running server (pid " +
                             std::to_string(pid) + "); " + std::string(action) +
                             " through that server instead: ds-admin " + std::string(command) +
                             " --url URL (with --token when auth is on)");
}

bool HeldByServer(const std::string& dir, long* holder_pid) {
  int fd = ::open((dir + "/LOCK").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct flock lock = {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  lock.l_start = 0;
  lock.l_len = 0;
  bool held = ::fcntl(fd, F_GETLK, &lock) == 0 && lock.l_type != F_UNLCK;
  ::close(fd);
  if (held && holder_pid != nullptr) *holder_pid = lock.l_pid;
  return held;
}

}  // namespace ds_admin
