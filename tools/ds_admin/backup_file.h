// BackupFile: where `ds-admin backup` writes the archive. A named file is written under a
// temporary name beside it ("<FILE>.partial"), fsynced, and renamed over FILE only once the
// archive is whole and checked, the directory then fsynced: FILE is either the previous one or
// a complete backup, never a torn one. "-" writes to stdout as the bytes come.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "streamkeeper/status.h"

namespace ds_admin {

class BackupFile {
 public:
  // Opens `out` ("-": stdout). kIoError naming the file when it cannot be created.
  static streamkeeper::Status Open(const std::string& out, BackupFile* file);
  BackupFile() = default;
  ~BackupFile();  // abandons (removes the temporary file) unless committed
  BackupFile(const BackupFile&) = delete;
  BackupFile& operator=(const BackupFile&) = delete;

  streamkeeper::Status Write(std::string_view bytes);
  // Syncs, checks the archive (snapshot/tar_reader.h: whole, every header sound), renames it
  // into place and syncs the directory. *files gets the archive's file count.
  streamkeeper::Status Commit(size_t* files);

  uint64_t bytes() const { return bytes_; }
  bool to_stdout() const { return out_ == "-"; }

 private:
  std::string out_;
  std::string temp_;
  int fd_ = -1;
  uint64_t bytes_ = 0;
  bool committed_ = false;
};

}  // namespace ds_admin
