// StreamManager::Impl: lookup, expiry, removal and soft delete, metadata, submissions.
#include "manager/stream_manager_impl.h"

#include <utility>

namespace streamkeeper {

EntryPtr StreamManager::Impl::find(const std::string& path) {
  std::shared_lock lock(map_mu_);
  auto it = streams_.find(path);
  return it == streams_.end() ? nullptr : it->second;
}

Status StreamManager::Impl::usable_locked(StreamEntry& entry, bool* expired) const {
  *expired = false;
  if (entry.removed || !entry.durable) return Status::NotFound();
  if (entry.meta.soft_deleted) return Status::Gone();
  if (entry.expired_at(now())) {
    *expired = true;
    return Status::NotFound("stream expired");
  }
  return Status::Ok();
}

void StreamManager::Impl::expire(const std::string& path, const EntryPtr& entry) {
  // While the storage is failing the erase could not be written; the stream expires (and every
  // access still treats it as expired) once writes are taken again.
  if (!health_->admit().ok()) return;
  std::unique_lock map_lock(map_mu_);
  auto it = streams_.find(path);
  if (it == streams_.end() || it->second != entry) return;
  std::lock_guard lock(entry->mu);
  if (entry->removed || entry->meta.soft_deleted || !entry->expired_at(now())) return;
  remove_locked(entry, nullptr);
}

bool StreamManager::Impl::remove_locked(const EntryPtr& entry, StatusCallback done) {
  // What each touched entry needs once the outcome is known: on success the durable state
  // catches up, on failure the accepted state goes back (an erased entry back into the map).
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
  bool soft = entry->meta.fork_refcount > 0;
  if (soft) {
    entry->meta.soft_deleted = true;
    changes.push_back(PutChange(entry->meta));
    touched.push_back({entry, Touched::Kind::kSoftDelete, entry->accept_epoch, 0});
  } else {
    entry->removed = true;
    streams_.erase(entry->meta.path);
    changes.push_back(EraseChange(entry->meta));
    touched.push_back({entry, Touched::Kind::kErase, entry->accept_epoch, 0});
  }
  // Release the fork reference; a soft-deleted source whose last fork goes is removed too. The
  // parents stay locked until the changes are queued: a meta copied under a lock must be
  // submitted under it, or a later change of that stream could be queued first and then be
  // overwritten on disk by this older copy.
  std::vector<std::unique_lock<std::mutex>> held;
  for (EntryPtr parent = soft ? nullptr : entry->parent; parent;) {
    held.emplace_back(parent->mu);
    if (parent->meta.fork_refcount > 0) --parent->meta.fork_refcount;
    if (!parent->meta.soft_deleted || parent->meta.fork_refcount > 0) {
      changes.push_back(PutChange(parent->meta));
      touched.push_back(
          {parent, Touched::Kind::kRefcount, parent->accept_epoch, parent->meta.fork_refcount});
      break;
    }
    parent->removed = true;
    auto it = streams_.find(parent->meta.path);
    if (it != streams_.end() && it->second == parent) streams_.erase(it);
    changes.push_back(EraseChange(parent->meta));
    touched.push_back({parent, Touched::Kind::kErase, parent->accept_epoch, 0});
    parent = parent->parent;
  }
  auto shared_wakes = std::make_shared<std::vector<WakeCallback>>(std::move(wakes));
  submit(std::move(changes), [this, touched = std::move(touched), shared_wakes,
                              done = std::move(done)](const Status& s) {
    std::vector<EntryPtr> erased;
    for (const Touched& t : touched) {
      if (t.kind == Touched::Kind::kErase) {
        if (!s.ok()) erased.push_back(t.entry);
        continue;
      }
      std::lock_guard lock(t.entry->mu);
      if (!s.ok()) {
        roll_back_if_current(t.entry, t.epoch);
      } else if (t.kind == Touched::Kind::kSoftDelete) {
        t.entry->durable_soft_deleted = true;
      } else {
        t.entry->durable_fork_refcount = t.refcount;
      }
    }
    for (const EntryPtr& e : erased) put_back(e);
    RunAll(*shared_wakes);
    if (done) done(s);
  });
  return soft;
}

std::shared_ptr<ReadView> StreamManager::Impl::view_locked(const StreamEntry& entry,
                                                           uint64_t end) const {
  auto view = std::make_shared<ReadView>();
  view->path = entry.meta.path;
  view->generation = entry.meta.generation;
  view->end = end;
  view->fork_position = entry.meta.fork_position;
  if (entry.parent) {
    // Below the fork position the parent's records never change: no lock needed for them, and
    // path/generation/fork_position are immutable.
    view->parent = view_locked(*entry.parent, entry.meta.fork_position);
  }
  return view;
}

void StreamManager::Impl::remove_async(const std::string& path, StatusCallback done) {
  if (Status admitted = health_->admit(); !admitted.ok()) return done(admitted);
  std::unique_lock map_lock(map_mu_);
  auto it = streams_.find(path);
  if (it == streams_.end()) return done(Status::NotFound());
  EntryPtr entry = it->second;
  std::lock_guard lock(entry->mu);
  bool expired = false;
  Status s = usable_locked(*entry, &expired);
  if (!s.ok() && !expired) return done(s);
  // Submitted under the map lock so that a later create of this path queues after it.
  if (expired) {
    remove_locked(entry, nullptr);
    return done(s);
  }
  remove_locked(entry, std::move(done));
}

Status StreamManager::Impl::get_metadata(const std::string& path, StreamInfo* info) {
  EntryPtr entry = find(path);
  if (!entry) return Status::NotFound();
  std::unique_lock lock(entry->mu);
  bool expired = false;
  Status s = usable_locked(*entry, &expired);
  if (!s.ok()) {
    lock.unlock();
    if (expired) expire(path, entry);
    return s;
  }
  *info = InfoOf(*entry, entry->durable_tail, entry->durable_closed);
  return Status::Ok();
}

}  // namespace streamkeeper
