// DataDir: opening a Streamkeeper RocksDB data directory the way ds-admin needs it.
//
// Nothing here creates a directory or a database: a missing or foreign directory is an error.
// A directory held by a running server fails with RocksDbStorage's "locked" message.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>
#include <string>

#include "streamkeeper/log_sink.h"
#include "streamkeeper/status.h"
#include "streamkeeper/storage.h"
#include "streamkeeper/stream_manager.h"

namespace ds_admin {

// Opens the storage at `dir`. On failure stores nullptr and returns kIoError naming `dir`.
streamkeeper::Status OpenStorage(const std::string& dir,
                                 std::unique_ptr<streamkeeper::Storage>* out);

// Opens the storage at `dir` and loads every stream (tails recovered) into *streams, in path
// order. O(streams) in memory: for the commands that check or count everything.
streamkeeper::Status OpenAndLoad(const std::string& dir,
                                 std::unique_ptr<streamkeeper::Storage>* out,
                                 std::vector<streamkeeper::LoadedStream>* streams);

// For verify: opens `dir` read-only (RocksDbOptions::read_only: nothing on disk changes, so a
// torn WAL tail is still there to be reported), with RocksDB's log lines sent to `log`, and
// loads every stream into *streams. *out is a RocksDbStorage.
streamkeeper::Status OpenReadOnlyAndLoad(const std::string& dir, streamkeeper::LogSink log,
                                         std::unique_ptr<streamkeeper::Storage>* out,
                                         std::vector<streamkeeper::LoadedStream>* streams);

// Reads one stream (tail recovered); *out is nullopt when there is none at `path`.
streamkeeper::Status LoadOne(streamkeeper::Storage& storage, const std::string& path,
                             std::optional<streamkeeper::LoadedStream>* out);

enum class Access {
  kReadOnly,  // writes are refused: reads neither touch sliding TTLs on disk nor expire streams
  kReadWrite,
};

// Opens a StreamManager over the storage at `dir`, with the expiry sweeper disabled.
streamkeeper::Status OpenManager(const std::string& dir, Access access,
                                 std::unique_ptr<streamkeeper::StreamManager>* out);

// True when another process, a running server, holds the RocksDB LOCK of `dir` (a POSIX
// record lock, tested with F_GETLK, which takes nothing). *holder_pid gets its pid when given.
// False when the directory or its LOCK file does not exist.
bool HeldByServer(const std::string& dir, long* holder_pid = nullptr);

// The sum of the sizes of every regular file under `dir` (0 if it cannot be read).
uint64_t DirectorySize(const std::string& dir);

}  // namespace ds_admin
