// StreamManager::Impl: finding and loading entries, the usable-stream prologue, removal and
// soft delete, metadata.
#include <utility>

#include "manager/content_type.h"
#include "manager/stream_manager_impl.h"
#include "manager/tail_recovery.h"

namespace streamkeeper {

Status StreamManager::Impl::lock_loaded(const std::string& path, EntryPtr* entry,
                                        std::unique_lock<std::mutex>* lock, Load load) {
  bool inserted = false;
  EntryPtr found = cache_.find_or_insert(path, &inserted);
  std::unique_lock<std::mutex> locked;
  Status status;
  if (inserted) {
    locked = std::unique_lock(found->mu, std::adopt_lock);
    status = load_locked(*found, load);
  } else {
    locked = std::unique_lock(found->mu);
    if (!found->load_failure.ok()) return found->load_failure;  // as the load we waited for
    if (found->partial && load == Load::kWhole) status = complete_load_locked(*found);
  }
  if (!status.ok()) {
    if (inserted) {
      found->load_failure = status;
      locked.unlock();
      cache_.remove(found);
    }
    return status;
  }
  if (inserted) found->loaded = true;
  cache_.recharge(*found);
  *entry = std::move(found);
  *lock = std::move(locked);
  return Status::Ok();
}

Status StreamManager::Impl::load_locked(StreamEntry& entry, Load load) {
  Incarnation incarnation;
  if (load == Load::kMetaOnly) {
    std::optional<StreamMeta> meta;
    Status status = storage_->load_meta(entry.path, &meta);
    if (!status.ok() || !meta) return status;
    if (meta->fork_parent.empty()) {
      incarnation.meta = std::move(*meta);
      incarnation.is_json = IsJsonContentType(incarnation.meta.content_type);
      entry.set_all_durable(std::move(incarnation));
      entry.partial = true;
      return Status::Ok();
    }
    // A fork needs its ancestors, which a whole load brings.
  }
  std::optional<LoadedStream> loaded;
  Status status = storage_->load_stream(entry.path, &loaded);
  if (!status.ok() || !loaded) return status;  // absent: the entry stands for "no stream here"
  RecoverTail(&*loaded);
  incarnation.meta = std::move(loaded->meta);
  incarnation.producers = std::move(loaded->producers);
  incarnation.is_json = IsJsonContentType(incarnation.meta.content_type);
  if (!incarnation.meta.fork_parent.empty()) {
    // A fork reads through its source: load that too (child before parent, the lock order).
    EntryPtr parent;
    std::unique_lock<std::mutex> parent_lock;
    status = lock_loaded(incarnation.meta.fork_parent, &parent, &parent_lock);
    if (!status.ok()) return status;
    if (!parent->durable_exists ||
        parent->durable.meta.generation != incarnation.meta.fork_parent_generation) {
      return Status::IoError("fork source " + incarnation.meta.fork_parent + " of " + entry.path +
                             " is missing from storage");
    }
    incarnation.parent = std::move(parent);
  }
  entry.set_all_durable(std::move(incarnation));
  return Status::Ok();
}

Status StreamManager::Impl::complete_load_locked(StreamEntry& entry) {
  // The partly loaded stream is on its way out (its erase is in flight, maybe with a create
  // behind it): nobody needs more of it. Should the erase fail, the rollback brings it back
  // still partial, and the next use completes it.
  if (!entry.exists || !entry.durable_exists ||
      entry.accepted.meta.generation != entry.durable.meta.generation) {
    return Status::Ok();
  }
  // Whatever else is in flight for the entry now (the sweeper's refiling) changes only its meta
  // and index: the stored producers and records are the durable ones, and the meta in memory
  // is newer than the stored one.
  std::optional<LoadedStream> loaded;
  Status status = storage_->load_stream(entry.path, &loaded);
  if (!status.ok()) return status;
  if (!loaded || loaded->meta.generation != entry.durable.meta.generation) {
    return Status::IoError("stream " + entry.path + " changed in storage while partly loaded");
  }
  loaded->meta = entry.durable.meta;
  RecoverTail(&*loaded);
  entry.durable.meta.tail = loaded->meta.tail;
  entry.durable.producers = loaded->producers;
  entry.accepted.meta.tail = loaded->meta.tail;
  entry.accepted.producers = std::move(loaded->producers);
  entry.partial = false;
  return Status::Ok();
}

Status StreamManager::Impl::usable_locked(StreamEntry& entry, bool* expired) const {
  *expired = false;
  if (!entry.readable()) return Status::NotFound();
  if (entry.accepted.meta.soft_deleted) return Status::Gone();
  if (entry.expired_at(now())) {
    *expired = true;
    return Status::NotFound("stream expired");
  }
  return Status::Ok();
}

Status StreamManager::Impl::lock_usable(const std::string& path, LockedEntry* out) {
  Status status = lock_loaded(path, &out->entry, &out->lock);
  if (!status.ok()) return status;
  bool expired = false;
  status = usable_locked(*out->entry, &expired);
  // While the storage is failing the erase could not be written; the stream expires (and every
  // access still treats it as expired) once writes are taken again.
  if (expired && health_->admit().ok()) remove_locked(out->entry, nullptr);
  if (!status.ok()) {
    out->lock.unlock();
    return status;
  }
  touch_locked(out->entry);
  return Status::Ok();
}

void StreamManager::Impl::touch_locked(const EntryPtr& entry) {
  int64_t now_ms = now();
  entry->last_access_ms.store(now_ms, std::memory_order_relaxed);
  const StreamMeta& meta = entry->accepted.meta;
  // Only a sliding TTL needs the last access on disk.
  if (!meta.ttl_seconds || meta.expires_at_ms || entry->in_dirty_set) return;
  if (now_ms == entry->persisted_last_access_ms) return;
  entry->in_dirty_set = true;
  std::lock_guard lock(dirty_mu_);
  dirty_.push_back(entry);
}

bool StreamManager::Impl::remove_locked(const EntryPtr& entry, StatusCallback done) {
  // What each touched entry needs once the outcome is known: on success the durable state
  // catches up, on failure the accepted state goes back.
  struct Touched {
    enum class Kind { kSoftDelete, kErase, kRefcount };
    EntryPtr entry;
    Kind kind;
    uint64_t epoch = 0;
    uint64_t refcount = 0;
  };
  std::vector<Touched> touched;
  std::vector<StreamChange> changes;
  std::vector<WakeCallback> wakes = entry->take_waiters();
  StreamMeta& meta = entry->accepted.meta;
  bool soft = meta.fork_refcount > 0;
  EntryPtr parent;
  if (soft) {
    // Kept for its forks, but never expires now: it leaves the expiry index.
    StreamChange change = PutChange(meta);
    change.unindex_expiry_ms = meta.indexed_expiry_ms;
    meta.soft_deleted = true;
    meta.indexed_expiry_ms.reset();
    change.meta.soft_deleted = true;
    change.meta.indexed_expiry_ms.reset();
    changes.push_back(std::move(change));
    touched.push_back({entry, Touched::Kind::kSoftDelete, entry->accept_epoch, 0});
  } else {
    changes.push_back(EraseChange(meta));
    touched.push_back({entry, Touched::Kind::kErase, entry->accept_epoch, 0});
    parent = entry->accepted.parent;
    entry->exists = false;
    entry->accepted = Incarnation{};
  }
  // Release the fork reference; a soft-deleted source whose last fork goes is removed too. The
  // parents stay locked until the changes are queued: a meta copied under a lock must be
  // submitted under it, or a later change of that stream could be queued first and then be
  // overwritten on disk by this older copy.
  std::vector<std::unique_lock<std::mutex>> held;
  while (parent) {
    held.emplace_back(parent->mu);
    StreamMeta& parent_meta = parent->accepted.meta;
    if (parent_meta.fork_refcount > 0) --parent_meta.fork_refcount;
    if (!parent_meta.soft_deleted || parent_meta.fork_refcount > 0) {
      changes.push_back(PutChange(parent_meta));
      touched.push_back(
          {parent, Touched::Kind::kRefcount, parent->accept_epoch, parent_meta.fork_refcount});
      break;
    }
    changes.push_back(EraseChange(parent_meta));
    touched.push_back({parent, Touched::Kind::kErase, parent->accept_epoch, 0});
    EntryPtr grandparent = parent->accepted.parent;
    parent->exists = false;
    parent->accepted = Incarnation{};
    parent = std::move(grandparent);
  }
  auto shared_wakes = std::make_shared<std::vector<WakeCallback>>(std::move(wakes));
  submit(std::move(changes), [this, touched = std::move(touched), shared_wakes,
                              done = std::move(done)](const Status& s) {
    std::vector<StreamChange> purges;
    for (const Touched& t : touched) {
      std::lock_guard lock(t.entry->mu);
      if (!s.ok()) {
        roll_back_if_current(t.entry, t.epoch);
        continue;
      }
      switch (t.kind) {
        case Touched::Kind::kErase:
          // The erase is durable: its producers and records can go (storage.h, kPurge).
          purges.push_back(PurgeChange(t.entry->path, t.entry->durable.meta.generation));
          t.entry->durable_exists = false;
          t.entry->durable = Incarnation{};
          t.entry->partial = false;
          t.entry->forget_recent();
          break;
        case Touched::Kind::kSoftDelete:
          t.entry->durable.meta.soft_deleted = true;
          t.entry->durable.meta.indexed_expiry_ms.reset();
          break;
        case Touched::Kind::kRefcount:
          t.entry->durable.meta.fork_refcount = t.refcount;
          break;
      }
      cache_.recharge(*t.entry);
    }
    if (!purges.empty()) committer_->submit_cleanup(std::move(purges));
    RunAll(*shared_wakes);
    if (done) done(s);
  });
  return soft;
}

void StreamManager::Impl::remove_async(const std::string& path, StatusCallback done) {
  if (Status admitted = health_->admit(); !admitted.ok()) return done(admitted);
  EntryPtr entry;
  std::unique_lock<std::mutex> lock;
  Status s = lock_loaded(path, &entry, &lock);
  if (!s.ok()) {
    lock = {};
    return done(s);
  }
  bool expired = false;
  s = usable_locked(*entry, &expired);
  if (!s.ok() && !expired) {
    lock.unlock();
    return done(s);
  }
  if (expired) {
    remove_locked(entry, nullptr);
    lock.unlock();
    return done(s);
  }
  remove_locked(entry, std::move(done));
}

Status StreamManager::Impl::get_metadata(const std::string& path, StreamInfo* info) {
  EntryPtr entry;
  std::unique_lock<std::mutex> lock;
  Status s = lock_loaded(path, &entry, &lock);
  if (!s.ok()) return s;
  bool expired = false;
  s = usable_locked(*entry, &expired);
  if (expired && health_->admit().ok()) remove_locked(entry, nullptr);
  if (!s.ok()) return s;
  *info = InfoOf(*entry);
  return Status::Ok();
}

}  // namespace streamkeeper
