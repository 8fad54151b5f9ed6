// StreamManager::Impl: create, idempotent re-create, forks.
#include "manager/stream_manager_impl.h"

#include <utility>

#include "manager/content_type.h"

namespace streamkeeper {

bool StreamManager::Impl::same_config(const StreamEntry& entry, const CreateOptions& options,
                                      const std::string& content_type) const {
  const StreamMeta& meta = entry.meta;
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

Status StreamManager::Impl::check_fork_source(const CreateOptions& options, StreamMeta* meta,
                                              EntryPtr* source, std::string* content_type) {
  auto it = streams_.find(options.fork_from);
  if (it == streams_.end()) return Status::NotFound("fork source not found");
  EntryPtr src = it->second;
  std::unique_lock lock(src->mu);
  bool expired = false;
  Status s = usable_locked(*src, &expired);
  if (expired) {
    bool soft = remove_locked(src, nullptr);
    lock.unlock();
    return soft ? Status::Gone("fork source is deleted") : Status::NotFound("fork source expired");
  }
  if (!s.ok()) {
    return s.code() == StatusCode::kGone ? Status::Gone("fork source is deleted")
                                         : Status::NotFound("fork source not found");
  }
  if (options.content_type_given && !options.content_type.empty() &&
      !SameMediaType(options.content_type, src->meta.content_type)) {
    return Status::Of(StatusCode::kContentTypeMismatch,
                      "fork content type differs from the source's");
  }
  *content_type = src->meta.content_type;
  uint64_t tail = src->durable_tail;
  uint64_t anchor = options.fork_offset.value_or(tail);
  if (anchor > tail) return Status::BadRequest("fork offset is beyond the source's tail");
  if (options.fork_sub_offset > 0) {
    if (anchor == tail) return Status::BadRequest("fork sub-offset has no data to split");
    RecordReader reader(storage_.get(), src->is_json);
    ReadUnits units;
    Status rs = reader.read(*view_locked(*src, tail), anchor, 1, &units);
    if (!rs.ok()) return rs;
    uint64_t boundary = src->is_json
                            ? std::min(anchor + units.first_batch_remaining, units.first_level_end)
                            : anchor + units.bytes.size();
    if (anchor + options.fork_sub_offset > boundary) {
      return Status::BadRequest("fork sub-offset is past the end of the data at the fork offset");
    }
  }
  meta->fork_parent = src->meta.path;
  meta->fork_parent_generation = src->meta.generation;
  meta->fork_anchor = anchor;
  meta->fork_sub_offset = options.fork_sub_offset;
  meta->fork_position = anchor + options.fork_sub_offset;
  meta->tail = meta->fork_position;
  if (!options.ttl_seconds && !options.expires_at_ms) {
    meta->ttl_seconds = src->meta.ttl_seconds;
    meta->expires_at_ms = src->meta.expires_at_ms;
  }
  *source = src;
  return Status::Ok();
}

void StreamManager::Impl::create_async(const std::string& path, CreateOptions options,
                                       CreateCallback done) {
  if (options.ttl_seconds && options.expires_at_ms) {
    return done(Status::BadRequest("Stream-TTL and Stream-Expires-At are exclusive"), {});
  }
  bool is_fork = !options.fork_from.empty();
  if (!is_fork && options.fork_sub_offset > 0) {
    return done(Status::BadRequest("a fork sub-offset needs a fork source"), {});
  }
  if (is_fork && options.fork_sub_offset > 0 && !options.fork_offset) {
    return done(Status::BadRequest("a fork sub-offset needs a fork offset"), {});
  }
  if (options.fork_from == path) return done(Status::BadRequest("a stream cannot fork itself"), {});
  if (Status admitted = health_->admit(); !admitted.ok()) return done(admitted, {});
  std::string content_type =
      options.content_type.empty() ? std::string(kDefaultContentType) : options.content_type;
  if (is_fork && !options.content_type_given) content_type.clear();

  std::vector<StreamChange> changes;
  EntryPtr entry;
  std::unique_lock map_lock(map_mu_);
  if (auto it = streams_.find(path); it != streams_.end()) {
    EntryPtr existing = it->second;
    std::unique_lock lock(existing->mu);
    if (existing->meta.soft_deleted) {
      return done(Status::Gone("stream is deleted and still referenced by forks"), {});
    }
    if (!existing->expired_at(now())) {
      const std::string& compare_type =
          content_type.empty() ? existing->meta.content_type : content_type;
      if (!same_config(*existing, options, compare_type)) {
        return done(Status::Of(StatusCode::kConfigMismatch,
                               "stream exists with a different configuration"),
                    {});
      }
      map_lock.unlock();
      CreateResult result;
      result.created = false;
      lock.unlock();
      // A barrier: answer only once the original create (maybe still queued) is durable.
      submit({}, [existing, done](const Status& s) {
        CreateResult result;
        std::lock_guard lock(existing->mu);
        result.info = InfoOf(*existing, existing->durable_tail, existing->durable_closed);
        done(s, result);
      });
      return;
    }
    // The expired stream goes now, whether or not the new create below succeeds.
    bool soft = remove_locked(existing, nullptr);
    lock.unlock();
    if (soft) {
      map_lock.unlock();
      return done(Status::Gone("stream is deleted and still referenced by forks"), {});
    }
  }

  int64_t now_ms = now();
  StreamMeta meta;
  meta.path = path;
  meta.created_at_ms = now_ms;
  meta.last_access_ms = now_ms;
  meta.ttl_seconds = options.ttl_seconds;
  meta.expires_at_ms = options.expires_at_ms;
  EntryPtr source;
  if (is_fork) {
    std::string source_type;
    Status s = check_fork_source(options, &meta, &source, &source_type);
    if (!s.ok()) return done(s, {});
    if (content_type.empty()) content_type = source_type;
  }
  meta.content_type = content_type;
  bool is_json = IsJsonContentType(content_type);

  std::vector<std::string> messages;
  if (is_json && !options.initial_data.empty()) {
    Status s = SplitJsonMessages(options.initial_data, &messages);
    if (!s.ok()) return done(s, {});
  }
  meta.generation = ++generation_counter_;
  meta.closed = options.closed;
  StreamChange change = PutChange(meta);
  meta.tail += BuildRecords(is_json, std::move(options.initial_data), &messages, meta.tail,
                            &change.records);
  change.meta.tail = meta.tail;
  changes.push_back(std::move(change));

  entry = std::make_shared<StreamEntry>();
  entry->meta = meta;
  entry->is_json = is_json;
  entry->parent = source;
  entry->last_access_ms = now_ms;
  entry->persisted_last_access_ms = now_ms;
  // The source stays locked until the changes are queued (see remove_locked).
  std::unique_lock<std::mutex> source_lock;
  uint64_t source_epoch = 0;
  uint64_t source_refcount = 0;
  if (source) {
    source_lock = std::unique_lock(source->mu);
    source_refcount = ++source->meta.fork_refcount;
    source_epoch = source->accept_epoch;
    changes.push_back(PutChange(source->meta));
  }
  streams_[path] = entry;

  // Submitted under the map lock: writes to this path queue after their create.
  submit(std::move(changes), [this, entry, source, source_epoch, source_refcount,
                              done](const Status& s) {
    if (source) {
      std::lock_guard lock(source->mu);
      if (s.ok()) {
        source->durable_fork_refcount = source_refcount;
      } else {
        roll_back_if_current(source, source_epoch);
      }
    }
    if (!s.ok()) {
      undo_failed_create(entry);
      return done(s, {});
    }
    CreateResult result;
    result.created = true;
    {
      std::lock_guard lock(entry->mu);
      // Nothing else can have changed it: writes need the create to be durable first.
      entry->mark_all_durable();
      result.info = InfoOf(*entry, entry->durable_tail, entry->durable_closed);
    }
    done(s, result);
  });
}

}  // namespace streamkeeper
