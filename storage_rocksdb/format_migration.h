// FormatMigration: rewrites a data directory of on-disk format version 1 as version 2, in place
// (README.md, "Format version").
//
// Version 2 adds what lets the server start without reading every stream: the expiry index (its
// own column family) and the purge markers (reserved meta keys). The migration
//   - files every stream with a TTL or Expires-At in the index at ExpiryOf(meta), and records
//     that time in the meta (StreamMeta::indexed_expiry_ms);
//   - marks every (path, generation) that still has producer or data keys but is not its path's
//     stored generation as awaiting its purge: dead data that version 1's compaction filter
//     would have dropped, and that recover() now reports so the server purges it;
//   - writes the format version "2" last, in a batch of its own.
// Each batch is synced and every write is idempotent, so a migration cut short (a crash, a
// full disk) simply runs again at the next open. Cost: one pass over the metas, and one seek per
// (path, generation) in the producers and data families, never one read per record.
// Private to storage_rocksdb.
#pragma once

#include <rocksdb/db.h>

#include <string>

#include "streamkeeper/log_sink.h"
#include "streamkeeper/status.h"

namespace streamkeeper {

struct MigrationFamilies {
  rocksdb::ColumnFamilyHandle* default_family;
  rocksdb::ColumnFamilyHandle* meta;
  rocksdb::ColumnFamilyHandle* producers;
  rocksdb::ColumnFamilyHandle* data;
  rocksdb::ColumnFamilyHandle* expiry;
};

// Migrates the open, writable database `db` in directory `dir` (for messages) and logs one line
// saying what it wrote. kIoError naming the stream when a stored meta or key is corrupt;
// kNoSpace or kIoError when a write fails (nothing is lost: the next open runs it again).
Status MigrateFormat1To2(rocksdb::DB* db, const MigrationFamilies& families, const std::string& dir,
                         const LogSink& log);

}  // namespace streamkeeper
