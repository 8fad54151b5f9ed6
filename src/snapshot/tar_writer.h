// TarWriter: the files of one directory as a ustar archive (POSIX.1-1988, the format every tar
// reads), produced piece by piece so that no caller holds more than a piece in memory. Used by
// the server's GET /_admin/snapshot and by `ds-admin backup --data-dir`; TarReader
// (snapshot/tar_reader.h) reads it back.
//
// The archive holds the directory's regular files, flat (a RocksDB checkpoint has no
// subdirectories), in name order, each with mode 0644, uid/gid 0 and its mtime; then the
// two zero blocks that end an archive. A size beyond ustar's 11 octal digits (8 GiB) is
// written in the base-256 form GNU tar and libarchive read.
//
// The directory must not change while it is read (a checkpoint is private and immutable): a
// file found shorter than listed fails the archive rather than pad it.
//
// Not thread-safe; one producer at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "streamkeeper/status.h"

namespace streamkeeper {

class TarWriter {
 public:
  // Lists `dir`. kIoError naming the entry when the directory cannot be listed or holds
  // anything but regular files, or a name longer than 100 bytes.
  static Status Open(const std::string& dir, std::unique_ptr<TarWriter>* out);
  ~TarWriter();
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  // Appends the next bytes of the archive to *piece: at most `max_bytes` (at least 512), fewer
  // only at the end. Sets *done once the archive is complete (the piece then holds its last
  // bytes, maybe none). kIoError naming the file when a read fails or a file shrank.
  Status Next(size_t max_bytes, std::string* piece, bool* done);

  // The archive's size in bytes, known from the listing.
  uint64_t total_bytes() const { return total_bytes_; }
  size_t file_count() const { return files_.size(); }

 private:
  struct File {
    std::string name;
    uint64_t size = 0;
    int64_t mtime = 0;
  };
  TarWriter(std::string dir, std::vector<File> files);
  Status OpenCurrent();

  std::string dir_;
  std::vector<File> files_;
  uint64_t total_bytes_ = 0;
  size_t index_ = 0;  // the file being written
  bool header_sent_ = false;
  uint64_t sent_ = 0;       // bytes of the current file's data sent
  int fd_ = -1;             // the current file, open while its data is sent
  int trailer_blocks_ = 0;  // of the two zero blocks that end the archive
};

// The 512-byte ustar header of a regular file `name` (1..100 bytes, no NUL) of `size` bytes.
std::string TarFileHeader(const std::string& name, uint64_t size, int64_t mtime);

}  // namespace streamkeeper
