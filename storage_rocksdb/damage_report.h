// Damage reports: what RocksDB's refusal to open a data directory means, in one sentence that
// names the damaged file and the cause.
//
// RocksDB's own statuses do not always say it. A CURRENT naming a MANIFEST that is not there
// reads "No such file or directory: ...MANIFEST-000027" (nothing about CURRENT); a missing SST
// is reported under its legacy name ("000022.ldb: No such file"); a damaged SST footer is
// blamed on the MANIFEST that lists the table ("... in file MANIFEST-000026"). The server prints
// the sentence as it refuses to start, and `ds-admin verify` as its finding.
//
// Only called after an open failed, so it may read every file it needs; it never writes.
#pragma once

#include <string>

namespace rocksdb {
class Status;
}

namespace streamkeeper {

// Returns "" when the directory does not look damaged in a way this knows (the caller keeps
// RocksDB's text), else e.g. "SST file /d/000022.sst is missing (the MANIFEST lists it)".
std::string DescribeDamage(const std::string& dir, const rocksdb::Status& open_status);

// Returns "" when `dir` holds no CURRENT and no RocksDB files, or has CURRENT; else says that
// CURRENT is missing although the directory holds a database. RocksDB would take such a
// directory for a new one (create_if_missing) and serve it empty: called before opening.
std::string CheckCurrentPresent(const std::string& dir);

}  // namespace streamkeeper
