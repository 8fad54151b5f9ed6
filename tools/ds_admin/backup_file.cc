#include "backup_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "snapshot/tar_reader.h"

namespace ds_admin {

using streamkeeper::Status;

namespace {

Status Errno(const std::string& what) {
  return Status::IoError(what + ": " + std::strerror(errno));
}

}  // namespace

Status BackupFile::Open(const std::string& out, BackupFile* file) {
  file->out_ = out;
  if (out == "-") {
    file->fd_ = STDOUT_FILENO;
    return Status::Ok();
  }
  file->temp_ = out + ".partial";
  file->fd_ = ::open(file->temp_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (file->fd_ < 0) return Errno("cannot create " + file->temp_);
  return Status::Ok();
}

BackupFile::~BackupFile() {
  if (to_stdout() || fd_ < 0) return;
  ::close(fd_);
  if (!committed_) ::unlink(temp_.c_str());
}

Status BackupFile::Write(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno(to_stdout() ? std::string("writing to stdout") : "writing " + temp_);
    bytes.remove_prefix(static_cast<size_t>(n));
    bytes_ += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Status BackupFile::Commit(size_t* files) {
  *files = 0;
  if (to_stdout()) return Status::Ok();
  if (::fsync(fd_) != 0) return Errno("syncing " + temp_);
  if (::lseek(fd_, 0, SEEK_SET) != 0) return Errno("reading back " + temp_);
  std::vector<streamkeeper::TarEntry> entries;
  Status s = streamkeeper::ListTar(fd_, &entries);
  if (!s.ok()) return Status::IoError("the backup received is not whole: " + s.message());
  *files = entries.size();
  if (::rename(temp_.c_str(), out_.c_str()) != 0)
    return Errno(std::string("cannot rename ").append(temp_).append(" to ").append(out_));
  committed_ = true;
  std::string parent = std::filesystem::path(out_).parent_path().string();
  if (parent.empty()) parent.push_back('.');  // not = ".": GCC 12 warns falsely (-Wrestrict)
  int dir = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return Errno("cannot open " + parent);
  int rc = ::fsync(dir);
  ::close(dir);
  if (rc != 0) return Errno("syncing " + parent);
  return Status::Ok();
}

}  // namespace ds_admin
