// TarReader: reads back an archive TarWriter made (snapshot/tar_writer.h), refusing anything
// a snapshot cannot hold, so that unpacking a file from anywhere cannot write outside its
// target directory:
//   - only regular files ('0' or NUL type); links, directories, devices, FIFOs and pax or GNU
//     extension headers are refused;
//   - flat names only: an empty name, an absolute one, one with a '/' (so with "..") or a NUL
//     before its end, "." or "..", and a name given twice are refused;
//   - every header's checksum and ustar magic must be right, and the archive must end with its
//     zero blocks: a truncated or damaged file is an error, never a short restore.
// Errors are kBadRequest naming the entry (or the byte offset) and what is wrong with it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "streamkeeper/status.h"

namespace streamkeeper {

struct TarEntry {
  std::string name;
  uint64_t size = 0;
};

// Reads the archive from descriptor `fd` (from its current position to the end) and writes
// each file into `dir`, which must exist: created exclusively (an existing file is an error),
// fsynced, and the directory fsynced at the end. *entries gets what was unpacked. On error the
// files written so far stay (the caller owns `dir` and removes it).
Status UnpackTar(int fd, const std::string& dir, std::vector<TarEntry>* entries);

// The same checks without writing anything: lists the archive read from `fd`.
Status ListTar(int fd, std::vector<TarEntry>* entries);

}  // namespace streamkeeper
