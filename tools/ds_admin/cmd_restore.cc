// `ds-admin restore FILE --data-dir NEW`: unpacks a backup (ds-admin backup, GET
// /_admin/snapshot) into a new data directory and checks it as `verify` does; a server then
// starts on NEW.
//
// The target must not exist or be empty: a restore never mixes a snapshot's files with others.
// The archive is read with snapshot/tar_reader.h, which refuses anything but plain regular
// files with plain names (no path, "..", link or device can write outside NEW); each file and
// then NEW are fsynced. A damaged or truncated archive leaves nothing behind (what was
// unpacked is removed) and exits 1. A store that unpacks but does not verify is left in NEW
// for inspection, its problems printed, exit 1.
#include <fcntl.h>
#include <unistd.h>

#include <boost/json/object.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <system_error>

#include "commands.h"
#include "data_dir.h"
#include "output_format.h"
#include "snapshot/tar_reader.h"
#include "store_check.h"

namespace ds_admin {

namespace fs = std::filesystem;
using streamkeeper::Status;

namespace {

// NEW as the restore needs it: created (with parents) when missing, refused when not empty.
// *created says whether this run made it (and so may remove it after a failure).
Status PrepareTarget(const std::string& dir, bool* created) {
  std::error_code ec;
  *created = false;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) return Status::IoError(dir + " exists and is not a directory");
    if (!fs::is_empty(dir, ec) || ec) {
      return Status::IoError(dir +
                             " is not empty: restore only into a new or empty directory "
                             "(nothing was written)");
    }
    return Status::Ok();
  }
  fs::create_directories(dir, ec);
  if (ec)
    return Status::IoError(
        std::string("cannot create ").append(dir).append(": ").append(ec.message()));
  *created = true;
  // The new directory's entry in its parent must survive a power loss too.
  std::string parent = fs::path(dir).lexically_normal().parent_path().string();
  if (parent.empty()) parent.push_back('.');  // not = ".": GCC 12 warns falsely (-Wrestrict)
  int fd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  return Status::Ok();
}

void RemoveUnpacked(const std::string& dir, bool created) {
  std::error_code ec;
  if (created) {
    fs::remove_all(dir, ec);
    return;
  }
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    std::error_code remove_ec;
    fs::remove_all(entry.path(), remove_ec);
  }
}

}  // namespace

int RunRestore(const Invocation& invocation) {
  const std::string& dir = invocation.data_dir;
  int fd = ::open(invocation.file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return ReportError("cannot open " + invocation.file + ": " + std::strerror(errno));
  }
  bool created = false;
  Status s = PrepareTarget(dir, &created);
  if (!s.ok()) {
    ::close(fd);
    return ReportError(s);
  }
  std::vector<streamkeeper::TarEntry> entries;
  s = streamkeeper::UnpackTar(fd, dir, &entries);
  ::close(fd);
  bool has_current = false;
  uint64_t bytes = 0;
  for (const auto& entry : entries) {
    has_current |= entry.name == "CURRENT";
    bytes += entry.size;
  }
  if (s.ok() && !has_current) {
    s = Status::BadRequest("not a Streamkeeper backup: the archive has no CURRENT file");
  }
  if (!s.ok()) {
    RemoveUnpacked(dir, created);
    return ReportError("cannot restore " + invocation.file + ": " + s.message() +
                       " (nothing restored)");
  }

  // The checks of `verify` on the new directory.
  StoreCheckResult check;
  s = CheckStore(dir, &check);
  if (!s.ok()) check.problems.push_back(s.message());
  if (invocation.json) {
    boost::json::array problems;
    for (const std::string& problem : check.problems) problems.emplace_back(problem);
    PrintJson(std::cout, boost::json::object{{"file", invocation.file},
                                             {"data_dir", dir},
                                             {"files", entries.size()},
                                             {"bytes", bytes},
                                             {"streams", check.streams},
                                             {"records", check.records},
                                             {"problems", std::move(problems)}});
  } else {
    for (const std::string& problem : check.problems) std::cout << "problem: " << problem << "\n";
    std::cout << "restored " << invocation.file << " into " << dir << ": " << entries.size()
              << " files, " << FormatSize(bytes) << "; " << check.streams << " streams, "
              << check.records << " records checked, " << check.problems.size() << " problems\n";
  }
  if (!check.problems.empty()) {
    return ReportError("the restored store in " + dir +
                       " does not verify (left there for "
                       "inspection)");
  }
  return kExitOk;
}

}  // namespace ds_admin
