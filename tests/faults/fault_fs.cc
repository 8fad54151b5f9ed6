#include "fault_fs.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>

namespace streamkeeper::faults {

namespace fs = std::filesystem;
using rocksdb::IOStatus;

namespace {

std::string DirOf(const std::string& fname) {
  std::string dir = fs::path(fname).parent_path().string();
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

std::string Normal(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

bool IsWal(const std::string& fname) {
  return fname.size() > 4 && fname.compare(fname.size() - 4, 4, ".log") == 0;
}

bool ReadWhole(const std::string& fname, std::string* out) {
  std::ifstream in(fname, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  *out = buffer.str();
  return true;
}

void WriteWhole(const std::string& fname, const std::string& data) {
  std::ofstream out(fname, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

}  // namespace

// A writable file whose appends and syncs are accounted in (and may be refused by) its FaultFs.
class FaultFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultFile(FaultFs* owner, std::string fname, std::unique_ptr<rocksdb::FSWritableFile> target)
      : FSWritableFileOwnerWrapper(std::move(target)), owner_(owner), fname_(std::move(fname)) {}

  IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                  rocksdb::IODebugContext* dbg) override {
    return DoAppend(data, [&] { return target()->Append(data, options, dbg); });
  }
  IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                  const rocksdb::DataVerificationInfo& info,
                  rocksdb::IODebugContext* dbg) override {
    return DoAppend(data, [&] { return target()->Append(data, options, info, dbg); });
  }
  IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                            const rocksdb::IOOptions& options,
                            rocksdb::IODebugContext* dbg) override {
    return DoAppend(data, [&] { return target()->PositionedAppend(data, offset, options, dbg); });
  }
  IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                            const rocksdb::IOOptions& options,
                            const rocksdb::DataVerificationInfo& info,
                            rocksdb::IODebugContext* dbg) override {
    return DoAppend(data,
                    [&] { return target()->PositionedAppend(data, offset, options, info, dbg); });
  }
  IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    return DoSync([&] { return target()->Sync(options, dbg); });
  }
  IOStatus Fsync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    return DoSync([&] { return target()->Fsync(options, dbg); });
  }
  // sync_file_range makes no durability promise: it is neither a sync nor a write here.
  IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const rocksdb::IOOptions& options,
                     rocksdb::IODebugContext* dbg) override {
    if (owner_->frozen()) return IOStatus::OK();
    return target()->RangeSync(offset, nbytes, options, dbg);
  }
  IOStatus Truncate(uint64_t size, const rocksdb::IOOptions& options,
                    rocksdb::IODebugContext* dbg) override {
    if (!owner_->Admit()) return IOStatus::OK();
    IOStatus status = target()->Truncate(size, options, dbg);
    if (status.ok()) {
      std::lock_guard lock(owner_->mu_);
      auto& state = owner_->files_[fname_];
      state.size = std::min<uint64_t>(state.size, size);
      state.synced = std::min(state.synced, state.size);
    }
    return status;
  }

 private:
  template <typename Op>
  IOStatus DoAppend(const rocksdb::Slice& data, Op op) {
    if (!owner_->Admit()) return IOStatus::OK();
    {
      std::lock_guard lock(owner_->mu_);
      ++owner_->counters_.writes;
      IOStatus injected = owner_->MaybeFail(IoKind::kWrite, fname_);
      if (!injected.ok()) return injected;
    }
    IOStatus status = op();
    if (status.ok()) {
      std::lock_guard lock(owner_->mu_);
      auto& state = owner_->files_[fname_];
      state.last_write = state.size;
      state.size += data.size();
    }
    return status;
  }

  template <typename Op>
  IOStatus DoSync(Op op) {
    if (!owner_->Admit()) return IOStatus::OK();
    uint64_t size;
    {
      std::lock_guard lock(owner_->mu_);
      ++owner_->counters_.syncs;
      IOStatus injected = owner_->MaybeFail(IoKind::kSync, fname_);
      if (!injected.ok()) return injected;
      size = owner_->files_[fname_].size;  // what this sync covers: written before it began
    }
    IOStatus status = op();
    if (status.ok()) {
      std::lock_guard lock(owner_->mu_);
      auto& state = owner_->files_[fname_];
      state.synced = std::max(state.synced, std::min(size, state.size));
    }
    return status;
  }

  FaultFs* owner_;
  std::string fname_;
};

// A directory whose fsync makes the entries created or renamed in it durable.
class FaultDir : public rocksdb::FSDirectoryWrapper {
 public:
  FaultDir(FaultFs* owner, std::string name, std::unique_ptr<rocksdb::FSDirectory> target)
      : FSDirectoryWrapper(std::move(target)), owner_(owner), name_(Normal(std::move(name))) {}

  IOStatus Fsync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    if (!owner_->Admit()) return IOStatus::OK();
    IOStatus status = FSDirectoryWrapper::Fsync(options, dbg);
    if (status.ok()) owner_->DirSynced(name_);
    return status;
  }
  IOStatus FsyncWithDirOptions(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg,
                               const rocksdb::DirFsyncOptions& dir_options) override {
    if (!owner_->Admit()) return IOStatus::OK();
    IOStatus status = FSDirectoryWrapper::FsyncWithDirOptions(options, dbg, dir_options);
    if (status.ok()) owner_->DirSynced(name_);
    return status;
  }

 private:
  FaultFs* owner_;
  std::string name_;
};

FaultFs::FaultFs(uint64_t seed) : FileSystemWrapper(rocksdb::FileSystem::Default()), rng_(seed) {}

std::unique_ptr<rocksdb::Env> FaultFs::NewEnv(const std::shared_ptr<FaultFs>& fs) {
  return rocksdb::NewCompositeEnv(fs);
}

bool FaultFs::Admit() {
  std::lock_guard lock(mu_);
  ++counters_.events;
  if (!frozen_ && freeze_at_ != 0 && counters_.events >= freeze_at_) {
    frozen_ = true;
    freeze_at_ = 0;
  }
  if (frozen_) {
    ++counters_.swallowed;
    return false;
  }
  return true;
}

IOStatus FaultFs::MaybeFail(IoKind kind, const std::string& fname) {
  bool fail = false;
  ErrorCode code = ErrorCode::kIoError;
  for (Armed& armed : armed_) {
    if (armed.kind != kind) continue;
    if (armed.filter == FileFilter::kWal && !IsWal(fname)) continue;
    ++armed.seen;
    if (armed.sticky ? armed.seen >= armed.at : armed.seen == armed.at) {
      fail = true;
      code = armed.code;
    }
  }
  if (!fail) return IOStatus::OK();
  ++counters_.injected_errors;
  const char* what = kind == IoKind::kWrite ? "injected write error" : "injected sync error";
  return code == ErrorCode::kNoSpace ? IOStatus::NoSpace(what, fname)
                                     : IOStatus::IOError(what, fname);
}

void FaultFs::Freeze() {
  std::lock_guard lock(mu_);
  frozen_ = true;
  freeze_at_ = 0;
}

void FaultFs::FreezeAtEvent(uint64_t n) {
  std::lock_guard lock(mu_);
  freeze_at_ = n == 0 ? 0 : counters_.events + n;
}

void FaultFs::ArmError(IoKind kind, uint64_t nth, ErrorCode code, bool sticky, FileFilter filter) {
  std::lock_guard lock(mu_);
  armed_.push_back(Armed{kind, filter, nth, 0, code, sticky});
}

void FaultFs::Heal() {
  std::lock_guard lock(mu_);
  armed_.clear();
}

FaultCounters FaultFs::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

IOStatus FaultFs::Wrap(const std::string& fname, bool existed, uint64_t initial_size,
                       IOStatus status, std::unique_ptr<rocksdb::FSWritableFile>* file) {
  if (!status.ok()) return status;
  std::lock_guard lock(mu_);
  FileState state;
  state.size = state.synced = state.last_write = initial_size;
  files_[fname] = state;
  ++counters_.files_created;
  if (!existed) dir_ops_[DirOf(fname)].push_back(DirOp{DirOp::kCreated, fname, "", false, ""});
  *file = std::make_unique<FaultFile>(this, fname, std::move(*file));
  return status;
}

IOStatus FaultFs::NewWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                  std::unique_ptr<rocksdb::FSWritableFile>* result,
                                  rocksdb::IODebugContext* dbg) {
  if (!Admit()) return IOStatus::IOError("power is off", fname);
  bool existed = target()->FileExists(fname, rocksdb::IOOptions(), dbg).ok();
  return Wrap(fname, existed, 0, target()->NewWritableFile(fname, options, result, dbg), result);
}

IOStatus FaultFs::ReopenWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                     std::unique_ptr<rocksdb::FSWritableFile>* result,
                                     rocksdb::IODebugContext* dbg) {
  if (!Admit()) return IOStatus::IOError("power is off", fname);
  uint64_t size = 0;
  bool existed = target()->GetFileSize(fname, rocksdb::IOOptions(), &size, dbg).ok();
  return Wrap(fname, existed, existed ? size : 0,
              target()->ReopenWritableFile(fname, options, result, dbg), result);
}

IOStatus FaultFs::ReuseWritableFile(const std::string& fname, const std::string& old_fname,
                                    const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) {
  // Recycled WAL files are off in Streamkeeper's options; treat one as a new file.
  if (!Admit()) return IOStatus::IOError("power is off", fname);
  return Wrap(fname, false, 0, target()->ReuseWritableFile(fname, old_fname, options, result, dbg),
              result);
}

IOStatus FaultFs::NewDirectory(const std::string& name, const rocksdb::IOOptions& options,
                               std::unique_ptr<rocksdb::FSDirectory>* result,
                               rocksdb::IODebugContext* dbg) {
  IOStatus status = target()->NewDirectory(name, options, result, dbg);
  if (status.ok()) *result = std::make_unique<FaultDir>(this, name, std::move(*result));
  return status;
}

IOStatus FaultFs::DeleteFile(const std::string& fname, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) {
  if (!Admit()) return IOStatus::OK();
  IOStatus status = target()->DeleteFile(fname, options, dbg);
  if (status.ok()) {
    std::lock_guard lock(mu_);
    files_.erase(fname);
  }
  return status;
}

IOStatus FaultFs::RenameFile(const std::string& src, const std::string& target_name,
                             const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) {
  if (!Admit()) return IOStatus::OK();
  DirOp op{DirOp::kRenamed, target_name, src, false, ""};
  // Small files only (CURRENT, OPTIONS, IDENTITY): the old target is kept to be put back if
  // the rename never reaches the disk.
  uint64_t old_size = 0;
  if (target()->GetFileSize(target_name, options, &old_size, dbg).ok() && old_size < (1 << 20)) {
    op.had_old = ReadWhole(target_name, &op.old);
  }
  IOStatus status = target()->RenameFile(src, target_name, options, dbg);
  if (status.ok()) {
    std::lock_guard lock(mu_);
    auto it = files_.find(src);
    if (it != files_.end()) {
      files_[target_name] = it->second;
      files_.erase(src);
    } else {
      files_.erase(target_name);
    }
    dir_ops_[DirOf(target_name)].push_back(std::move(op));
  }
  return status;
}

IOStatus FaultFs::LinkFile(const std::string& src, const std::string& target_name,
                           const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) {
  if (!Admit()) return IOStatus::OK();
  return target()->LinkFile(src, target_name, options, dbg);
}

IOStatus FaultFs::Truncate(const std::string& fname, size_t size, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) {
  if (!Admit()) return IOStatus::OK();
  IOStatus status = target()->Truncate(fname, size, options, dbg);
  if (status.ok()) {
    std::lock_guard lock(mu_);
    auto it = files_.find(fname);
    if (it != files_.end()) {
      it->second.size = std::min<uint64_t>(it->second.size, size);
      it->second.synced = std::min(it->second.synced, it->second.size);
    }
  }
  return status;
}

void FaultFs::DirSynced(const std::string& dir) {
  std::lock_guard lock(mu_);
  ++counters_.dir_syncs;
  dir_ops_.erase(dir);
}

void FaultFs::UndoDirOps() {
  // Newest first, so a file created and then renamed goes back to its first name and then away.
  for (auto& [dir, ops] : dir_ops_) {
    for (auto it = ops.rbegin(); it != ops.rend(); ++it) {
      std::error_code ec;
      if (it->kind == DirOp::kCreated) {
        fs::remove(it->name, ec);
      } else {
        if (fs::exists(it->name, ec)) fs::rename(it->name, it->from, ec);
        if (it->had_old) WriteWhole(it->name, it->old);
      }
      ++counters_.entries_undone;
    }
  }
  dir_ops_.clear();
}

void FaultFs::ApplyCut(CutMode mode) {
  std::lock_guard lock(mu_);
  ++counters_.cuts;
  if (mode != CutMode::kKeepWritten) {
    for (auto& [name, state] : files_) {
      if (state.size <= state.synced) continue;
      uint64_t keep = state.synced;
      if (mode == CutMode::kTornTail) {
        keep += std::uniform_int_distribution<uint64_t>(0, state.size - state.synced)(rng_);
        if (keep > state.last_write && keep < state.size) ++counters_.torn_writes;
      }
      std::error_code ec;
      if (fs::exists(name, ec)) {
        uint64_t actual = fs::file_size(name, ec);
        if (!ec && actual > keep) {
          counters_.bytes_dropped += actual - keep;
          fs::resize_file(name, keep, ec);
        }
      }
    }
    UndoDirOps();
  }
  files_.clear();
  dir_ops_.clear();
  armed_.clear();
  freeze_at_ = 0;
  frozen_ = false;
}

}  // namespace streamkeeper::faults
