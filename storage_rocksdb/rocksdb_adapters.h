// RocksDB's types as the engine's: slices as string views and back, statuses as Status.
// Private to storage_rocksdb.
#pragma once

#include <rocksdb/slice.h>
#include <rocksdb/status.h>

#include <string>
#include <string_view>
#include <utility>

#include "streamkeeper/status.h"

namespace streamkeeper {

inline std::string_view View(const rocksdb::Slice& slice) { return {slice.data(), slice.size()}; }
inline rocksdb::Slice ToSlice(std::string_view view) { return {view.data(), view.size()}; }

// OK stays OK. A full disk is kNoSpace (507 over HTTP, retried once space returns); anything
// else kIoError. The message is "<what>: <RocksDB's text>".
inline Status FromRocks(const rocksdb::Status& status, std::string_view what) {
  if (status.ok()) return Status::Ok();
  std::string message = std::string(what) + ": " + status.ToString();
  if (status.IsNoSpace()) return Status::NoSpace(std::move(message));
  return Status::IoError(std::move(message));
}

}  // namespace streamkeeper
