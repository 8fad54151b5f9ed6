// DataDir: opening a Streamkeeper RocksDB data directory the way ds-admin needs it.
//
// Nothing here creates a directory or a database: a missing or foreign directory is an error.
// The reading commands open an Inspection, which works whether or not a server runs on the
// directory and never changes anything in it. The changing commands open it read-write
// (OpenStorage, OpenManager), which refuse a directory a server holds, naming --url. A data
// directory's size is snapshot/scratch_checkpoint.h's StoreBytes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>
#include <string>
#include <string_view>

#include "streamkeeper/log_sink.h"
#include "streamkeeper/rocksdb_storage.h"
#include "streamkeeper/status.h"
#include "streamkeeper/storage.h"
#include "streamkeeper/stream_manager.h"

namespace ds_admin {

// How an Inspection opens its directory.
enum class InspectMode {
  // A directory a server holds (HeldByServer) as a RocksDB secondary caught up once; a stopped
  // one read-only (RocksDbOptions::read_only), holding its LOCK so that no server starts on it
  // meanwhile. Either way a consistent view of everything acknowledged.
  kSnapshot,
  // Always as a secondary, so that CatchUp() follows a server's writes (tail); a stopped
  // directory is followed too, and a server that starts on it later is seen.
  kFollow,
};

// A data directory opened for reading, running server or not; nothing on disk changes. As a
// secondary, RocksDB's scratch space is a private directory under the temp directory (mkdtemp),
// removed by the destructor. Not thread-safe.
class Inspection {
 public:
  // kIoError naming `dir` when it is missing, not a Streamkeeper store, of an unknown format,
  // damaged, or (only when opened read-only) taken by a server that started meanwhile (then
  // it is opened as a secondary instead). `log` gets RocksDB's log lines (nullptr: stderr).
  static streamkeeper::Status Open(const std::string& dir, InspectMode mode,
                                   streamkeeper::LogSink log, std::unique_ptr<Inspection>* out);
  ~Inspection();
  Inspection(const Inspection&) = delete;
  Inspection& operator=(const Inspection&) = delete;

  streamkeeper::Storage& storage() { return *storage_; }
  streamkeeper::RocksDbStorage& rocksdb() { return *storage_; }
  // Opened as a secondary (a server held the directory, or kFollow).
  bool secondary() const { return !scratch_.empty(); }

  // As a secondary: reads from now on see every write the server had finished (every
  // acknowledged append). Read-only: nothing to do.
  streamkeeper::Status CatchUp();

  // A StreamManager over this storage (which it does not own: it must be destroyed first),
  // refusing writes, sweeper off. It caches what it reads: make a new one after CatchUp().
  streamkeeper::Status OpenManager(std::unique_ptr<streamkeeper::StreamManager>* out);

 private:
  Inspection() = default;
  std::string scratch_;  // the secondary's scratch directory; empty when read-only
  std::unique_ptr<streamkeeper::RocksDbStorage> storage_;
};

// OK when `dir` is a directory that holds a database; else kIoError saying it is missing or not
// a Streamkeeper data directory. For checking before an open: RocksDB would leave a LOCK file
// behind in a directory with no database (an open takes the lock before it looks). A
// directory with RocksDB's files but no CURRENT passes, left to the open, whose damage report
// names it.
streamkeeper::Status CheckIsStore(const std::string& dir);

// The words a changing command refuses a live directory in (CheckNotLive): its name and what
// it would do ("compact", "compact it").
struct ChangeOf {
  std::string_view command;
  std::string_view action;
};

// Opens the storage at `dir` read-write, for the changing command `change`. On failure stores
// nullptr and returns kIoError naming `dir` (missing, not a store, damaged), or kUnavailable
// when a running server holds it (CheckNotLive's message, in `change`'s words).
streamkeeper::Status OpenStorage(const std::string& dir, ChangeOf change,
                                 std::unique_ptr<streamkeeper::Storage>* out);

// Every stream (tails recovered) into *streams, in path order. O(streams) in memory: for the
// commands that check or count everything (stats, verify).
streamkeeper::Status LoadAll(streamkeeper::Storage& storage,
                             std::vector<streamkeeper::LoadedStream>* streams);

// Reads one stream (tail recovered); *out is nullopt when there is none at `path`.
streamkeeper::Status LoadOne(streamkeeper::Storage& storage, const std::string& path,
                             std::optional<streamkeeper::LoadedStream>* out);

// Opens a StreamManager over OpenStorage(dir, change), with the expiry sweeper disabled.
streamkeeper::Status OpenManager(const std::string& dir, ChangeOf change,
                                 std::unique_ptr<streamkeeper::StreamManager>* out);

// OK when no server holds `dir`; else kUnavailable: "data directory <dir> is in use by a
// running server (pid N); <action> through that server instead: ds-admin <command> --url URL
// (with --token when auth is on)". OpenStorage asks it; so does import, which opens its own.
streamkeeper::Status CheckNotLive(const std::string& dir, std::string_view command,
                                  std::string_view action);

// True when another process, a running server, holds the RocksDB LOCK of `dir` (a POSIX
// record lock, tested with F_GETLK, which takes nothing). *holder_pid gets its pid when given.
// False when the directory or its LOCK file does not exist.
bool HeldByServer(const std::string& dir, long* holder_pid = nullptr);


}  // namespace ds_admin
