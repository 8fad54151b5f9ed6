// `ds-admin backup`: a consistent snapshot of the whole store as a tar file (snapshot/
// tar_writer.h): from a running server (--url: GET /_admin/snapshot, streamed to the file as
// it comes), or from a stopped data directory (the same checkpoint the server makes, taken
// here). Either way the file appears only once complete and checked (backup_file.h).
#include <boost/json/object.hpp>
#include <iostream>

#include "backup_file.h"
#include "commands.h"
#include "data_dir.h"
#include "output_format.h"
#include "server_call.h"
#include "snapshot/scratch_checkpoint.h"
#include "snapshot/tar_writer.h"
#include "streamkeeper/rocksdb_storage.h"

namespace ds_admin {

using streamkeeper::Status;

namespace {

constexpr std::string_view kSnapshotRoute = "/_admin/snapshot";
// The wait for each piece; the first comes after the server's checkpoint (a memtable flush).
constexpr std::chrono::seconds kPieceTimeout{60};
constexpr size_t kPieceBytes = 1 << 20;

Status FromServer(const Invocation& invocation, BackupFile* file) {
  std::unique_ptr<AdminClient> client;
  Status s = ConnectTo(invocation, &client);
  if (!s.ok()) return s;
  Status write_status;
  AdminResponse response;
  s = client->request_streamed(
      "GET", client->route_target(kSnapshotRoute), {}, "", kPieceTimeout,
      [&](std::string_view piece) {
        write_status = file->Write(piece);
        return write_status.ok();
      },
      &response);
  if (!write_status.ok()) return write_status;
  if (!s.ok()) return s;
  if (response.status != 200) {
    return Status::IoError(ServerRefusal(*client, "GET " + std::string(kSnapshotRoute), response));
  }
  return Status::Ok();
}

// `storage` is the store in `dir`, opened by OpenStorage (so this process holds its lock).
Status FromDirectory(streamkeeper::Storage& storage, const std::string& dir, BackupFile* file) {
  auto& rocksdb = static_cast<streamkeeper::RocksDbStorage&>(storage);
  streamkeeper::RemoveScratchLeftovers(dir);  // we hold the lock: nobody else's
  streamkeeper::ScratchCheckpoint checkpoint;
  Status s = streamkeeper::ScratchCheckpoint::Make(rocksdb, dir, &checkpoint);
  if (!s.ok()) return s;
  std::unique_ptr<streamkeeper::TarWriter> writer;
  s = streamkeeper::TarWriter::Open(checkpoint.dir(), &writer);
  if (!s.ok()) return s;
  std::string piece;
  for (bool done = false; !done;) {
    piece.clear();
    s = writer->Next(kPieceBytes, &piece, &done);
    if (!s.ok()) return s;
    s = file->Write(piece);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace

int RunBackup(const Invocation& invocation) {
  const bool offline = invocation.url.empty();
  std::unique_ptr<streamkeeper::Storage> storage;  // offline: opened before the file is made
  if (offline) {
    Status s = OpenStorage(invocation.data_dir, {"backup", "back it up"}, &storage);
    if (!s.ok()) return ReportError(s);
  }
  BackupFile file;
  Status s = BackupFile::Open(invocation.out, &file);
  if (!s.ok()) return ReportError(s);
  s = offline ? FromDirectory(*storage, invocation.data_dir, &file) : FromServer(invocation, &file);
  if (!s.ok()) return ReportError("backup failed: " + s.message());
  size_t files = 0;
  s = file.Commit(&files);
  if (!s.ok()) return ReportError("backup failed: " + s.message());
  if (file.to_stdout()) return kExitOk;  // stdout is the archive
  const std::string& source = offline ? invocation.data_dir : invocation.url;
  if (invocation.json) {
    PrintJson(std::cout, boost::json::object{{"source", source},
                                             {"out", invocation.out},
                                             {"files", files},
                                             {"bytes", file.bytes()}});
  } else {
    std::cout << "backed up " << source << " to " << invocation.out << ": " << files << " files, "
              << FormatSize(file.bytes()) << "\n";
  }
  return kExitOk;
}

}  // namespace ds_admin
