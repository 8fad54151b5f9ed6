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

// Returns "" unless the MANIFEST that CURRENT names has a tail RocksDB would take for a torn
// write although it is not one. RocksDB reads a record whose length runs past the end of the
// file as the last edit, cut by a crash, and drops it and everything after it without a word;
// a flipped bit in the length field of a record in the middle looks the same, and dropping the
// edits after it loses the tables they added (a swept flip served a stream with no records).
// A torn write leaves only a prefix of one edit; so when the bytes up to the end are the whole
// record (its checksum matches them), or a whole, checksummed record follows the "torn" one,
// the length is damaged: the message names the MANIFEST and the offset.
// Reads the whole MANIFEST (its size is what recovery reads anyway). Called before opening.
std::string CheckManifestTail(const std::string& dir);

}  // namespace streamkeeper
