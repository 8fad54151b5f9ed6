// StreamManager::Impl: create, idempotent re-create, forks.
#include <thread>
#include <utility>

#include "manager/content_type.h"
#include "manager/stream_manager_impl.h"
#include "streamkeeper/stream_path.h"

namespace streamkeeper {

namespace {

// Whether an existing stream was created with this configuration (an idempotent repeat).
bool SameConfig(const StreamMeta& meta, const CreateOptions& options,
                const std::string& content_type) {
  if (!SameMediaType(content_type, meta.content_type)) return false;
  // A fork created without TTL/Expires-At inherited its source's: a repeat without them matches.
  bool inherits_expiry = !options.fork_from.empty() && !options.ttl_seconds &&
                         !options.expires_at_ms;
  if (!inherits_expiry && (options.ttl_seconds != meta.ttl_seconds ||
                           options.expires_at_ms != meta.expires_at_ms)) {
    return false;
  }
  if (options.closed != meta.closed) return false;
  if (options.fork_from != meta.fork_parent) return false;
  if (!options.fork_from.empty()) {
    if (options.fork_offset && *options.fork_offset != meta.fork_anchor) return false;
    if (options.fork_sub_offset != meta.fork_sub_offset) return false;
  }
  return true;
}

Status CheckCreateOptions(const std::string& path, const CreateOptions& options) {
  if (Status s = CheckStreamPath(path); !s.ok()) return s;
  if (options.ttl_seconds && options.expires_at_ms) {
    return Status::BadRequest("Stream-TTL and Stream-Expires-At are exclusive");
  }
  bool is_fork = !options.fork_from.empty();
  if (is_fork) {
    if (Status s = CheckStreamPath(options.fork_from); !s.ok()) {
      return Status::BadRequest("fork source: " + s.message());
    }
  }
  if (!is_fork && options.fork_sub_offset > 0) {
    return Status::BadRequest("a fork sub-offset needs a fork source");
  }
  if (is_fork && options.fork_sub_offset > 0 && !options.fork_offset) {
    return Status::BadRequest("a fork sub-offset needs a fork offset");
  }
  if (options.fork_from == path) return Status::BadRequest("a stream cannot fork itself");
  return Status::Ok();
}

}  // namespace

Status StreamManager::Impl::check_fork_source(const CreateOptions& options,
                                              const EntryPtr& source_entry, StreamMeta* meta,
                                              std::string* content_type) {
  StreamEntry& source = *source_entry;
  bool expired = false;
  Status s = usable_locked(source, &expired);
  if (expired) {
    if (!health_->admit().ok()) return Status::NotFound("fork source expired");
    bool soft = remove_locked(source_entry, nullptr);
    return soft ? Status::Gone("fork source is deleted") : Status::NotFound("fork source expired");
  }
  if (!s.ok()) {
    return s.code() == StatusCode::kGone ? Status::Gone("fork source is deleted")
                                         : Status::NotFound("fork source not found");
  }
  const StreamMeta& src = source.durable.meta;
  if (options.content_type_given && !options.content_type.empty() &&
      !SameMediaType(options.content_type, src.content_type)) {
    return Status::Of(StatusCode::kContentTypeMismatch,
                      "fork content type differs from the source's");
  }
  *content_type = src.content_type;
  uint64_t tail = src.tail;
  uint64_t anchor = options.fork_offset.value_or(tail);
  if (anchor > tail) return Status::BadRequest("fork offset is beyond the source's tail");
  if (options.fork_sub_offset > 0) {
    if (anchor == tail) return Status::BadRequest("fork sub-offset has no data to split");
    RecordReader reader(storage_.get(), source.durable.is_json);
    ReadUnits units;
    Status rs = reader.read(*view_locked(source, tail), anchor, 1, &units);
    if (!rs.ok()) return rs;
    uint64_t boundary = source.durable.is_json
                            ? std::min(anchor + units.first_batch_remaining, units.first_level_end)
                            : anchor + units.bytes.size();
    if (anchor + options.fork_sub_offset > boundary) {
      return Status::BadRequest("fork sub-offset is past the end of the data at the fork offset");
    }
  }
  meta->fork_parent = src.path;
  meta->fork_parent_generation = src.generation;
  meta->fork_anchor = anchor;
  meta->fork_sub_offset = options.fork_sub_offset;
  meta->fork_position = anchor + options.fork_sub_offset;
  meta->tail = meta->fork_position;
  if (!options.ttl_seconds && !options.expires_at_ms) {
    meta->ttl_seconds = src.ttl_seconds;
    meta->expires_at_ms = src.expires_at_ms;
  }
  return Status::Ok();
}

void StreamManager::Impl::create_async(const std::string& path, CreateOptions options,
                                       CreateCallback done) {
  if (Status s = CheckCreateOptions(path, options); !s.ok()) return done(s, {});
  if (Status admitted = health_->admit(); !admitted.ok()) return done(admitted, {});
  // Empty for a fork that inherits its source's type (known once the source is locked).
  std::string content_type =
      options.content_type.empty() ? std::string(kDefaultContentType) : options.content_type;
  if (!options.fork_from.empty() && !options.content_type_given) content_type.clear();
  CreateLocks locks;
  if (!lock_for_create(path, options, content_type, &locks, done)) return;
  submit_create_locked(path, std::move(options), std::move(content_type), &locks,
                       std::move(done));
}

bool StreamManager::Impl::lock_for_create(const std::string& path, const CreateOptions& options,
                                          const std::string& content_type, CreateLocks* locks,
                                          const CreateCallback& done) {
  // The target's lock, then the fork source's with try_lock: a source locked elsewhere (its
  // own fork chain being removed, or a create that locks in the other order) makes us start
  // over rather than wait while holding the target.
  bool is_fork = !options.fork_from.empty();
  for (;;) {
    if (is_fork) {
      std::unique_lock<std::mutex> loading;
      if (Status s = lock_loaded(options.fork_from, &locks->source, &loading); !s.ok()) {
        done(s, {});
        return false;
      }
    }
    LockedEntry& target = locks->target;
    if (Status s = lock_loaded(path, &target.entry, &target.lock); !s.ok()) {
      done(s, {});
      return false;
    }
    if (target.entry->exists && !answer_existing_locked(options, content_type, &target, done)) {
      return false;
    }
    if (!is_fork) return true;
    locks->source_lock = std::unique_lock(locks->source->mu, std::try_to_lock);
    if (locks->source_lock.owns_lock()) return true;
    target.lock.unlock();
    std::this_thread::yield();
  }
}

bool StreamManager::Impl::answer_existing_locked(const CreateOptions& options,
                                                 const std::string& content_type,
                                                 LockedEntry* target, const CreateCallback& done) {
  const EntryPtr& entry = target->entry;
  const StreamMeta& existing = entry->accepted.meta;
  auto answer = [&](Status s) {
    target->lock.unlock();
    done(std::move(s), {});
    return false;
  };
  if (existing.soft_deleted) {
    return answer(Status::Gone("stream is deleted and still referenced by forks"));
  }
  if (entry->expired_at(now())) {
    // The expired stream goes now, whether or not the new create succeeds.
    if (remove_locked(entry, nullptr)) {
      return answer(Status::Gone("stream is deleted and still referenced by forks"));
    }
    return true;  // the path is free
  }
  const std::string& compare_type = content_type.empty() ? existing.content_type : content_type;
  if (!SameConfig(existing, options, compare_type)) {
    return answer(Status::Of(StatusCode::kConfigMismatch,
                             "stream exists with a different configuration"));
  }
  // An idempotent repeat. A barrier: answer only once the original create (maybe still queued)
  // is durable. Submitted under the stream's lock, like every barrier (manager_append.cc).
  submit({}, [entry, done](const Status& s) {
    CreateResult result;
    {
      std::lock_guard lock(entry->mu);
      result.info = InfoOf(*entry);
    }
    done(s, result);
  });
  target->lock.unlock();
  return false;
}

void StreamManager::Impl::submit_create_locked(const std::string& path, CreateOptions options,
                                               std::string content_type, CreateLocks* locks,
                                               CreateCallback done) {
  const EntryPtr& entry = locks->target.entry;
  const EntryPtr& source = locks->source;
  auto refuse = [&](Status s) {
    if (locks->source_lock) locks->source_lock.unlock();
    locks->target.lock.unlock();
    done(std::move(s), {});
  };
  int64_t now_ms = now();
  StreamMeta meta;
  meta.path = path;
  meta.created_at_ms = now_ms;
  meta.last_access_ms = now_ms;
  meta.ttl_seconds = options.ttl_seconds;
  meta.expires_at_ms = options.expires_at_ms;
  if (source) {
    std::string source_type;
    if (Status s = check_fork_source(options, source, &meta, &source_type); !s.ok()) {
      return refuse(s);
    }
    if (content_type.empty()) content_type = source_type;
  }
  meta.content_type = content_type;
  bool is_json = IsJsonContentType(content_type);
  std::vector<std::string> messages;
  if (is_json && !options.initial_data.empty()) {
    if (Status s = SplitJsonMessages(options.initial_data, &messages); !s.ok()) return refuse(s);
  }
  meta.generation = ++generation_counter_;
  meta.closed = options.closed;
  meta.indexed_expiry_ms = ExpiryOf(meta);
  StreamChange change = PutChange(meta);
  change.index_expiry_ms = meta.indexed_expiry_ms;
  meta.tail += BuildRecords(is_json, std::move(options.initial_data), &messages, meta.tail,
                            &change.records);
  change.meta.tail = meta.tail;
  std::vector<StreamChange> changes;
  changes.push_back(std::move(change));

  Incarnation created;
  created.meta = meta;
  created.is_json = is_json;
  created.parent = source;
  uint64_t epoch = entry->accept_epoch;
  entry->exists = true;
  entry->accepted = created;
  entry->last_access_ms = now_ms;
  entry->persisted_last_access_ms = now_ms;
  uint64_t source_epoch = 0;
  uint64_t source_refcount = 0;
  if (source) {
    source_refcount = ++source->accepted.meta.fork_refcount;
    source_epoch = source->accept_epoch;
    changes.push_back(PutChange(source->accepted.meta));
  }
  cache_.recharge(*entry);

  // Submitted under the target's (and source's) lock: later writes to them queue after these.
  submit(std::move(changes), [this, entry, created = std::move(created), source, source_epoch,
                              source_refcount, epoch, done = std::move(done)](const Status& s) {
    if (source) {
      std::lock_guard lock(source->mu);
      if (s.ok()) {
        source->durable.meta.fork_refcount = source_refcount;
      } else {
        roll_back_if_current(source, source_epoch);
      }
    }
    CreateResult result;
    {
      std::lock_guard lock(entry->mu);
      if (!s.ok()) {
        note_failed_create(entry, created.meta);
        roll_back_if_current(entry, epoch);
      } else {
        // Nothing else can have changed it: writes need the create to be durable first.
        entry->durable_exists = true;
        entry->durable = created;
        entry->partial = false;  // whatever was partly loaded is gone
        if (created.meta.indexed_expiry_ms) note_index_write(*created.meta.indexed_expiry_ms);
        result.created = true;
        result.info = InfoOf(*entry);
      }
      cache_.recharge(*entry);
    }
    done(s, result);
  });
}

}  // namespace streamkeeper
