// ImportTarget: where `ds-admin import` recreates the streams of an export file.
//
// Two kinds: a stopped data directory, written through the Storage contract with the offsets,
// times, TTL/expiry, closed state and producer states kept exactly; and a running server,
// through its HTTP API (new offsets, order kept). The import checks the whole file and asks
// Exists() for every stream first, then feeds each stream as BeginStream, its records in order,
// EndStream; Finish() once at the end.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "admin_client.h"
#include "export_format.h"
#include "streamkeeper/status.h"

namespace ds_admin {

class ImportTarget {
 public:
  virtual ~ImportTarget() = default;

  // Whether `path` is taken: a stream is stored there (live, expired or soft-deleted).
  virtual streamkeeper::Status Exists(const std::string& path, bool* exists) = 0;
  virtual streamkeeper::Status BeginStream(const ExportedStream& stream) = 0;
  virtual streamkeeper::Status AddRecord(const ExportedRecord& record) = 0;
  // The stream is complete once this returns OK.
  virtual streamkeeper::Status EndStream() = 0;
  // Makes everything durable (offline: the last WAL sync).
  virtual streamkeeper::Status Finish() = 0;
  // "data directory DIR" or "the server at URL", for messages.
  virtual std::string Describe() const = 0;
  // True when streams are recreated exactly (offsets, times, producer states); false when the
  // target gives new offsets and times and drops producer states.
  virtual bool IsExact() const = 0;
};

// Opens the data directory `dir` for an import. A missing or empty directory gets a new store;
// an existing store must be stopped: a directory a server holds is refused (kUnavailable naming
// the server's pid and suggesting --url), as is one that is not a Streamkeeper store or has a
// newer format version (RocksDbStorage::Open's messages).
streamkeeper::Status OpenDirectoryTarget(const std::string& dir,
                                         std::unique_ptr<ImportTarget>* out);

// An import through the server at options.url; nothing is connected until the first call.
streamkeeper::Status OpenServerTarget(AdminClientOptions options,
                                      std::unique_ptr<ImportTarget>* out);

}  // namespace ds_admin
