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
  std::unique_lock map_lock(map_mu_);
  auto it = streams_.find(path);
  if (it == streams_.end() || it->second != entry) return;
  std::lock_guard lock(entry->mu);
  if (entry->removed || entry->meta.soft_deleted || !entry->expired_at(now())) return;
  remove_locked(entry, nullptr);
}

bool StreamManager::Impl::remove_locked(const EntryPtr& entry, StatusCallback done) {
  std::vector<StreamChange> changes;
  std::vector<WakeCallback> wakes = entry->take_waiters();
  if (entry->meta.fork_refcount > 0) {
    entry->meta.soft_deleted = true;
    changes.push_back(PutChange(entry->meta));
    submit_waking(std::move(changes), std::move(wakes), std::move(done));
    return true;
  }
  entry->removed = true;
  streams_.erase(entry->meta.path);
  changes.push_back(EraseChange(entry->meta));
  // Release the fork reference; a soft-deleted source whose last fork goes is removed too. The
  // parents stay locked until the changes are queued: a meta copied under a lock must be
  // submitted under it, or a later change of that stream could be queued first and then be
  // overwritten on disk by this older copy.
  std::vector<std::unique_lock<std::mutex>> held;
  for (EntryPtr parent = entry->parent; parent;) {
    held.emplace_back(parent->mu);
    if (parent->meta.fork_refcount > 0) --parent->meta.fork_refcount;
    if (!parent->meta.soft_deleted || parent->meta.fork_refcount > 0) {
      changes.push_back(PutChange(parent->meta));
      break;
    }
    parent->removed = true;
    auto it = streams_.find(parent->meta.path);
    if (it != streams_.end() && it->second == parent) streams_.erase(it);
    changes.push_back(EraseChange(parent->meta));
    parent = parent->parent;
  }
  submit_waking(std::move(changes), std::move(wakes), std::move(done));
  return false;
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

void StreamManager::Impl::submit_waking(std::vector<StreamChange> changes,
                                        std::vector<WakeCallback> wakes, StatusCallback done) {
  auto shared_wakes = std::make_shared<std::vector<WakeCallback>>(std::move(wakes));
  submit(std::move(changes), [shared_wakes, done = std::move(done)](const Status& s) {
    RunAll(*shared_wakes);
    if (done) done(s);
  });
}

}  // namespace streamkeeper
