// FaultFs: a rocksdb::FileSystem over the real one that can pretend the power went out, and can
// make writes and syncs fail, so tests can hold the engine to its durability promise.
//
// Power cuts. It remembers, per file it writes, how much has been made durable (Sync/Fsync) and
// how much was only written; per directory, which files were created or renamed into it since
// that directory was last fsynced. A cut is two steps, because the instance that was running
// when the power went must be shut down before the files can be put in their after-the-cut state:
//   1. Freeze(): from now on nothing the running instance writes, syncs, renames or deletes
//      reaches the files (those calls "succeed" and do nothing; new files cannot be created).
//      Freezing may also be armed to happen on its own at the Nth mutating I/O call
//      (FreezeAtEvent), so the cut lands anywhere inside a group commit.
//   2. The test destroys the old instance (its destructor's SyncWAL is swallowed), then calls
//      ApplyCut(mode): every file is truncated to its durable length (kDropUnsynced), or to a
//      random point inside its unsynced tail, tearing the last unsynced write (kTornTail); files
//      created or renamed since their directory's last fsync are undone. kKeepWritten keeps all
//      written data: a process crash, where the OS still has everything.
//   After ApplyCut everything is "on disk" and the filesystem works normally again.
// Simplifications: a delete is treated as durable at once (a deleted file never comes back), and
// unsynced data is lost as a suffix (real disks may keep any subset of pages; RocksDB's WAL
// checksums make a prefix the interesting case).
//
// Errors. ArmError() makes the Nth Append or the Nth Sync/Fsync (counted from the call, on WAL
// files or on every file) fail with NoSpace or IOError, once or from then on, until Heal().
// Several may be armed at once (a failed write, then a failed sync). A failed Append writes
// nothing; a failed sync makes nothing durable.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

namespace streamkeeper::faults {

enum class CutMode {
  kDropUnsynced,  // power cut: only synced data and fsynced directory entries survive
  kTornTail,      // power cut, and each file keeps a random prefix of its unsynced tail
  kKeepWritten,   // process crash: everything written survives
};

enum class IoKind { kWrite, kSync };
enum class FileFilter { kWal, kAny };
enum class ErrorCode { kNoSpace, kIoError };

struct FaultCounters {
  uint64_t events = 0;           // mutating calls seen (appends, syncs, renames, deletes, ...)
  uint64_t writes = 0;           // Append calls
  uint64_t syncs = 0;            // Sync/Fsync calls
  uint64_t injected_errors = 0;  // calls failed on purpose
  uint64_t swallowed = 0;        // calls dropped while frozen
  uint64_t cuts = 0;             // ApplyCut calls
  uint64_t bytes_dropped = 0;    // unsynced bytes removed by cuts
  uint64_t torn_writes = 0;      // files whose tail was cut inside an unsynced write
  uint64_t entries_undone = 0;   // creations and renames undone by cuts
  uint64_t files_created = 0;    // writable files opened
  uint64_t dir_syncs = 0;        // directory fsyncs
};

class FaultFs : public rocksdb::FileSystemWrapper {
 public:
  explicit FaultFs(uint64_t seed);
  static const char* kClassName() { return "StreamkeeperFaultFs"; }
  const char* Name() const override { return kClassName(); }

  // An Env doing its file I/O through `fs` (which must outlive it).
  static std::unique_ptr<rocksdb::Env> NewEnv(const std::shared_ptr<FaultFs>& fs);

  // --- power cuts ---
  void Freeze();
  // Freezes on its own just before the `n`th mutating call from now (1 = the next one);
  // 0 disarms.
  void FreezeAtEvent(uint64_t n);
  bool frozen() const { return frozen_.load(std::memory_order_seq_cst); }
  // Call after the frozen instance is destroyed. Unfreezes.
  void ApplyCut(CutMode mode);

  // --- errors ---
  void ArmError(IoKind kind, uint64_t nth, ErrorCode code, bool sticky,
                FileFilter filter = FileFilter::kWal);
  void Heal();

  FaultCounters counters() const;

  // --- wrapped calls ---
  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& fname,
                                       const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(const std::string& fname, const std::string& old_fname,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewDirectory(const std::string& name, const rocksdb::IOOptions& options,
                                 std::unique_ptr<rocksdb::FSDirectory>* result,
                                 rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& fname, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& src, const std::string& target,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus LinkFile(const std::string& src, const std::string& target,
                             const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus Truncate(const std::string& fname, size_t size,
                             const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override;

 private:
  friend class FaultFile;
  friend class FaultDir;

  struct FileState {
    uint64_t size = 0;        // bytes written
    uint64_t synced = 0;      // bytes durable
    uint64_t last_write = 0;  // where the last unsynced write began (for counting torn writes)
  };
  // A directory entry change not yet made durable by fsyncing the directory.
  struct DirOp {
    enum Kind { kCreated, kRenamed } kind;
    std::string name;      // kCreated: the file; kRenamed: the target
    std::string from;      // kRenamed: the source
    bool had_old = false;  // kRenamed: the target existed before and held `old`
    std::string old;
  };

  // Counts a mutating call; returns false if it must be swallowed (frozen, possibly just now).
  bool Admit();
  // Returns an error to inject for this call, or OK. Locked.
  rocksdb::IOStatus MaybeFail(IoKind kind, const std::string& fname);
  rocksdb::IOStatus Wrap(const std::string& fname, bool existed, uint64_t initial_size,
                         rocksdb::IOStatus status, std::unique_ptr<rocksdb::FSWritableFile>* file);
  void NoteCreated(const std::string& fname, bool existed);
  void DirSynced(const std::string& dir);
  void UndoDirOps();

  mutable std::mutex mu_;
  std::atomic<bool> frozen_{false};
  uint64_t freeze_at_ = 0;  // absolute event number; 0: not armed
  std::map<std::string, FileState> files_;
  std::map<std::string, std::vector<DirOp>> dir_ops_;  // by directory

  struct Armed {
    IoKind kind = IoKind::kWrite;
    FileFilter filter = FileFilter::kWal;
    uint64_t at = 0;  // absolute count of calls of `kind` on matching files
    uint64_t seen = 0;
    ErrorCode code = ErrorCode::kIoError;
    bool sticky = false;
  };
  std::vector<Armed> armed_;

  FaultCounters counters_;
  std::mt19937_64 rng_;
};

}  // namespace streamkeeper::faults
