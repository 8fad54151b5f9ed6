#include "streamkeeper/stream_manager.h"

#include <pthread.h>

#include <algorithm>
#include <condition_variable>
#include <future>
#include <shared_mutex>
#include <thread>
#include <unordered_map>
#include <utility>

#include "manager/content_type.h"
#include "manager/group_committer.h"
#include "manager/json_messages.h"
#include "manager/record_reader.h"
#include "manager/stream_entry.h"
#include "manager/tail_recovery.h"

namespace streamkeeper {
namespace {

using EntryPtr = std::shared_ptr<StreamEntry>;

StreamInfo InfoOf(const StreamEntry& entry, uint64_t tail, bool closed) {
  StreamInfo info;
  info.path = entry.meta.path;
  info.content_type = entry.meta.content_type;
  info.tail = tail;
  info.closed = closed;
  info.ttl_seconds = entry.meta.ttl_seconds;
  info.expires_at_ms = entry.meta.expires_at_ms;
  info.created_at_ms = entry.meta.created_at_ms;
  info.generation = entry.meta.generation;
  info.is_json = entry.is_json;
  return info;
}

StreamChange PutChange(const StreamMeta& meta) {
  StreamChange change;
  change.kind = StreamChange::Kind::kPut;
  change.meta = meta;
  return change;
}

StreamChange EraseChange(const StreamMeta& meta) {
  StreamChange change;
  change.kind = StreamChange::Kind::kErase;
  change.meta = meta;
  return change;
}

// Turns an append body into records starting at `position`; returns the units added.
uint64_t BuildRecords(bool is_json, std::string data, std::vector<std::string>* messages,
                      uint64_t position, std::vector<Record>* records) {
  if (!is_json) {
    if (data.empty()) return 0;
    uint64_t units = data.size();
    records->push_back(Record{position, std::move(data)});
    return units;
  }
  uint64_t count = messages->size();
  for (uint64_t i = 0; i < count; ++i) {
    records->push_back(Record{position + i, EncodeJsonRecord((*messages)[i], count - i)});
  }
  return count;
}

void RunAll(std::vector<WakeCallback>& wakes) {
  for (auto& wake : wakes) {
    if (wake) wake();
  }
}

}  // namespace

class StreamManager::Impl {
 public:
  Impl(std::unique_ptr<Storage> storage, ManagerOptions options)
      : storage_(std::move(storage)), options_(std::move(options)) {}

  ~Impl() { shutdown(); }

  Status load();
  void start();
  void shutdown();

  void create_async(const std::string& path, CreateOptions options, CreateCallback done);
  void append_async(const std::string& path, std::string data, AppendOptions options,
                    AppendCallback done);
  void remove_async(const std::string& path, StatusCallback done);
  Status get_metadata(const std::string& path, StreamInfo* info);
  ReadResult read(const std::string& path, std::optional<uint64_t> from,
                  const ReadOptions& options, bool as_messages);
  uint64_t wait_async(const std::string& path, uint64_t from, WakeCallback wake);
  bool cancel_wait(const std::string& path, uint64_t handle);
  size_t sweep_expired();
  std::vector<std::string> list_streams();
  ManagerStats stats() {
    ManagerStats out;
    {
      std::shared_lock lock(map_mu_);
      out.streams = streams_.size();
    }
    out.write_batches = committer_->batches_written();
    out.syncs = committer_->syncs();
    return out;
  }

 private:
  int64_t now() const { return options_.clock(); }
  EntryPtr find(const std::string& path);
  // Checks that a locked entry may be used; kNotFound/kGone, or kNotFound after expiring it.
  Status usable_locked(StreamEntry& entry, bool* expired) const;
  // Expires `path` if its entry is still `entry` and still expired.
  void expire(const std::string& path, const EntryPtr& entry);
  // Removes or soft-deletes a locked entry (map lock held exclusively) and queues the changes
  // (with any fork-parent updates) before releasing any lock it took; wakes the entry's waiters
  // and then calls `done` (if any) once durable. Returns true if soft-deleted.
  bool remove_locked(const EntryPtr& entry, StatusCallback done);

  std::shared_ptr<ReadView> view_locked(const StreamEntry& entry, uint64_t end) const;
  Status check_fork_source(const CreateOptions& options, StreamMeta* meta, EntryPtr* source,
                           std::string* content_type);
  bool same_config(const StreamEntry& entry, const CreateOptions& options,
                   const std::string& content_type) const;
  void submit(std::vector<StreamChange> changes, GroupCommitter::Completion done) {
    committer_->submit(std::move(changes), std::move(done));
  }
  // Submits `changes`; once durable runs `wakes`, then `done` (if any).
  void submit_waking(std::vector<StreamChange> changes, std::vector<WakeCallback> wakes,
                     StatusCallback done);
  void sweeper_loop();
  void flush_last_access();

  std::unique_ptr<Storage> storage_;
  ManagerOptions options_;
  std::atomic<uint64_t> generation_counter_{0};
  std::unique_ptr<GroupCommitter> committer_;

  std::shared_mutex map_mu_;
  std::unordered_map<std::string, EntryPtr> streams_;
  std::atomic<uint64_t> next_waiter_id_{1};

  std::mutex sweeper_mu_;
  std::condition_variable sweeper_cv_;
  bool stopping_ = false;
  bool shut_down_ = false;
  std::thread sweeper_;
};

// ---------------------------------------------------------------------------------------------
// Lifecycle

Status StreamManager::Impl::load() {
  LoadedState state;
  Status s = storage_->load(&state);
  if (!s.ok()) return s;
  uint64_t max_generation = state.generation_counter;
  for (auto& loaded : state.streams) {
    RecoverTail(&loaded);
    auto entry = std::make_shared<StreamEntry>();
    entry->meta = std::move(loaded.meta);
    entry->producers = std::move(loaded.producers);
    entry->durable = true;
    entry->durable_closed = entry->meta.closed;
    entry->is_json = IsJsonContentType(entry->meta.content_type);
    entry->durable_tail = entry->meta.tail;
    entry->last_access_ms = entry->meta.last_access_ms;
    entry->persisted_last_access_ms = entry->meta.last_access_ms;
    max_generation = std::max(max_generation, entry->meta.generation);
    streams_[entry->meta.path] = entry;
  }
  for (auto& [path, entry] : streams_) {
    if (entry->meta.fork_parent.empty()) continue;
    auto it = streams_.find(entry->meta.fork_parent);
    if (it == streams_.end() || it->second->meta.generation != entry->meta.fork_parent_generation) {
      return Status::IoError("fork source of " + path + " is missing from storage");
    }
    entry->parent = it->second;
  }
  generation_counter_ = max_generation;
  return Status::Ok();
}

void StreamManager::Impl::start() {
  committer_ = std::make_unique<GroupCommitter>(storage_.get(), options_.sync, &generation_counter_);
  if (options_.sweep_interval.count() > 0) {
    sweeper_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "sk-sweeper");
      sweeper_loop();
    });
  }
}

void StreamManager::Impl::shutdown() {
  {
    std::lock_guard lock(sweeper_mu_);
    if (shut_down_) return;
    shut_down_ = true;
    stopping_ = true;
  }
  sweeper_cv_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
  if (committer_) {
    flush_last_access();
    committer_->stop();
  }
  std::vector<WakeCallback> wakes;
  {
    std::shared_lock map_lock(map_mu_);
    for (auto& [path, entry] : streams_) {
      std::lock_guard lock(entry->mu);
      auto taken = entry->take_waiters();
      for (auto& wake : taken) wakes.push_back(std::move(wake));
    }
  }
  RunAll(wakes);
}

void StreamManager::Impl::sweeper_loop() {
  std::unique_lock lock(sweeper_mu_);
  while (!stopping_) {
    sweeper_cv_.wait_for(lock, options_.sweep_interval, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    sweep_expired();
    flush_last_access();
    lock.lock();
  }
}

// ---------------------------------------------------------------------------------------------
// Lookup, expiry, removal

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

// ---------------------------------------------------------------------------------------------
// Create

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
  if (source) {
    source_lock = std::unique_lock(source->mu);
    ++source->meta.fork_refcount;
    changes.push_back(PutChange(source->meta));
  }
  streams_[path] = entry;

  // Submitted under the map lock: writes to this path queue after their create.
  submit(std::move(changes), [entry, done](const Status& s) {
    CreateResult result;
    result.created = true;
    {
      std::lock_guard lock(entry->mu);
      if (s.ok()) {
        entry->durable = true;
        entry->durable_tail = std::max(entry->durable_tail, entry->meta.tail);
        entry->durable_closed = entry->durable_closed || entry->meta.closed;
      }
      result.info = InfoOf(*entry, entry->durable_tail, entry->durable_closed);
    }
    done(s, result);
  });
}

void StreamManager::Impl::submit_waking(std::vector<StreamChange> changes,
                                        std::vector<WakeCallback> wakes, StatusCallback done) {
  auto shared_wakes = std::make_shared<std::vector<WakeCallback>>(std::move(wakes));
  submit(std::move(changes), [shared_wakes, done = std::move(done)](const Status& s) {
    RunAll(*shared_wakes);
    if (done) done(s);
  });
}

// ---------------------------------------------------------------------------------------------
// Append and close

void StreamManager::Impl::append_async(const std::string& path, std::string data,
                                       AppendOptions options, AppendCallback done) {
  AppendResult result;
  auto fail = [&](Status s) {
    result.status = std::move(s);
    done(std::move(result));
  };
  EntryPtr entry = find(path);
  if (!entry) return fail(Status::NotFound());
  if (data.empty() && !options.close) return fail(Status::BadRequest("empty append body"));

  // JSON validation is the costly part of an append: do it before taking the stream's lock.
  std::vector<std::string> messages;
  if (entry->is_json && !data.empty()) {
    Status s = SplitJsonMessages(data, &messages);
    if (!s.ok()) return fail(s);
    if (messages.empty()) return fail(Status::BadRequest("empty JSON array"));
  }

  std::unique_lock lock(entry->mu);
  bool expired = false;
  if (Status s = usable_locked(*entry, &expired); !s.ok()) {
    lock.unlock();
    if (expired) expire(path, entry);
    return fail(s);
  }
  StreamMeta& meta = entry->meta;
  result.tail = meta.tail;
  result.closed = meta.closed;
  entry->last_access_ms = now();  // every write slides the TTL, even one that is refused

  // 1. Producer fencing and de-duplication come first: a retry must be answered as a retry.
  ProducerState next_producer;
  if (options.producer) {
    const Producer& p = *options.producer;
    auto it = entry->producers.find(p.id);
    result.producer_epoch = p.epoch;
    if (it != entry->producers.end()) {
      const ProducerState& state = it->second;
      if (p.epoch < state.epoch) {
        result.producer_epoch = state.epoch;
        return fail(Status::Of(StatusCode::kStaleEpoch, "producer epoch is stale"));
      }
      if (p.epoch == state.epoch && p.seq <= state.last_seq) {
        result.duplicate = true;
        result.producer_seq = state.last_seq;
        lock.unlock();
        submit({}, [entry, result, done](const Status& s) mutable {
          std::lock_guard lock(entry->mu);
          result.status = s;
          result.tail = entry->durable_tail;
          result.closed = entry->durable_closed;
          done(std::move(result));
        });
        return;
      }
    }
    // 2. Closed streams take nothing more.
    if (meta.closed) {
      return fail(Status::Of(StatusCode::kClosed, "stream is closed"));
    }
    bool known = it != entry->producers.end();
    if (!known || p.epoch > it->second.epoch) {
      if (p.seq != 0) {
        if (known) return fail(Status::BadRequest("a new producer epoch must start at seq 0"));
        result.expected_seq = 0;
        result.received_seq = p.seq;
        return fail(Status::Of(StatusCode::kProducerSeqGap, "producer sequence gap"));
      }
    } else if (p.seq != it->second.last_seq + 1) {
      result.expected_seq = it->second.last_seq + 1;
      result.received_seq = p.seq;
      return fail(Status::Of(StatusCode::kProducerSeqGap, "producer sequence gap"));
    }
    next_producer = ProducerState{p.epoch, p.seq};
  } else if (meta.closed) {
    if (data.empty()) {  // close-only on a closed stream is idempotent
      lock.unlock();
      submit({}, [entry, result, done](const Status& s) mutable {
        std::lock_guard lock(entry->mu);
        result.status = s;
        result.tail = entry->durable_tail;
        result.closed = true;
        done(std::move(result));
      });
      return;
    }
    return fail(Status::Of(StatusCode::kClosed, "stream is closed"));
  }

  // 3. Content type, then Stream-Seq, only matter when there is data.
  if (!data.empty()) {
    if (!SameMediaType(options.content_type, meta.content_type)) {
      return fail(Status::Of(StatusCode::kContentTypeMismatch,
                             "content type does not match the stream's"));
    }
    if (options.stream_seq) {
      if (!meta.last_stream_seq.empty() && *options.stream_seq <= meta.last_stream_seq) {
        return fail(Status::Of(StatusCode::kSeqConflict, "Stream-Seq is not increasing"));
      }
      meta.last_stream_seq = *options.stream_seq;
    }
  }

  // Accept: advance the accepted state and queue the write.
  int64_t now_ms = now();
  entry->last_access_ms = now_ms;
  meta.last_access_ms = now_ms;
  StreamChange change;
  change.kind = StreamChange::Kind::kPut;
  meta.tail += BuildRecords(entry->is_json, std::move(data), &messages, meta.tail, &change.records);
  if (options.close) {
    meta.closed = true;
    if (options.producer) {
      meta.closed_by = ProducerTuple{options.producer->id, options.producer->epoch,
                                     options.producer->seq};
    }
  }
  if (options.producer) {
    entry->producers[options.producer->id] = next_producer;
    change.producers.emplace(options.producer->id, next_producer);
    result.producer_seq = next_producer.last_seq;
  }
  // Only the tail moved (recoverable from the records): skip rewriting the meta, and give the
  // storage just the key fields it needs.
  change.write_meta = options.stream_seq.has_value() || options.close;
  if (change.write_meta) {
    change.meta = meta;
  } else {
    change.meta.path = meta.path;
    change.meta.generation = meta.generation;
  }
  result.tail = meta.tail;
  result.closed = meta.closed;
  if (change.write_meta) entry->persisted_last_access_ms = now_ms;

  // Live readers will read these records as soon as they are durable: keep a copy for them.
  // (A followed stream has waiters, or a cache its readers use between two waits.)
  std::shared_ptr<std::vector<Record>> for_readers;
  size_t change_bytes = 0;
  for (const Record& record : change.records) change_bytes += record.value.size();
  if ((!entry->waiters.empty() || !entry->recent.empty()) &&
      change_bytes <= StreamEntry::kRecentMaxBytes) {
    for_readers = std::make_shared<std::vector<Record>>(change.records);
  }

  // Submitted under the stream's lock, so the queue holds this stream's writes in position
  // order and durable_tail never runs ahead of what is written.
  std::vector<StreamChange> changes;
  changes.push_back(std::move(change));
  submit(std::move(changes), [entry, result, done, for_readers](const Status& s) mutable {
    std::vector<WakeCallback> wakes;
    {
      std::lock_guard lock(entry->mu);
      if (s.ok()) {
        entry->durable_tail = std::max(entry->durable_tail, result.tail);
        entry->durable_closed = entry->durable_closed || result.closed;
        if (for_readers) {
          entry->remember_recent(std::move(*for_readers));
        } else {
          entry->forget_recent();  // the cache would have a gap
        }
        wakes = entry->take_waiters();
      }
    }
    RunAll(wakes);
    result.status = s;
    done(std::move(result));
  });
}

// ---------------------------------------------------------------------------------------------
// Delete and metadata

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

// ---------------------------------------------------------------------------------------------
// Reads and waits

ReadResult StreamManager::Impl::read(const std::string& path, std::optional<uint64_t> from,
                                     const ReadOptions& options, bool as_messages) {
  ReadResult result;
  EntryPtr entry = find(path);
  if (!entry) {
    result.status = Status::NotFound();
    return result;
  }
  std::shared_ptr<ReadView> view;
  bool closed = false;
  bool cached = false;  // served from the entry's recent records, not the storage
  uint64_t end = 0;     // the durable tail when the read started
  std::vector<Record> recent;
  {
    std::unique_lock lock(entry->mu);
    bool expired = false;
    if (Status s = usable_locked(*entry, &expired); !s.ok()) {
      lock.unlock();
      if (expired) expire(path, entry);
      result.status = s;
      return result;
    }
    entry->last_access_ms = now();
    end = entry->durable_tail;
    closed = entry->durable_closed;
    cached = entry->copy_recent(from.value_or(end), std::max<size_t>(options.max_bytes, 1),
                                &recent);
    if (!cached) view = view_locked(*entry, end);
    result.content_type = entry->meta.content_type;
    result.is_json = entry->is_json;
    result.generation = entry->meta.generation;
  }
  uint64_t position = from.value_or(end);
  if (position > end) {
    result.status = Status::BadRequest("offset is beyond the stream's tail");
    return result;
  }
  ReadUnits units;
  units.next = position;
  RecordReader reader(storage_.get(), entry->is_json);
  Status s = cached ? reader.take(recent, position, end, &units)
                    : reader.read(*view, position, std::max<size_t>(options.max_bytes, 1), &units);
  if (!s.ok()) {
    result.status = s;
    return result;
  }
  result.next = units.next;
  result.up_to_date = units.next >= end;
  result.closed = closed && result.up_to_date;
  if (!entry->is_json) {
    result.data = std::move(units.bytes);
  } else if (as_messages) {
    result.messages = std::move(units.messages);
  } else {
    size_t size = 2 + units.payload_bytes + units.messages.size();
    result.data.reserve(size);
    result.data.push_back('[');
    for (size_t i = 0; i < units.messages.size(); ++i) {
      if (i) result.data.push_back(',');
      result.data.append(units.messages[i]);
    }
    result.data.push_back(']');
  }
  return result;
}

uint64_t StreamManager::Impl::wait_async(const std::string& path, uint64_t from, WakeCallback wake) {
  EntryPtr entry = find(path);
  if (!entry) return 0;
  std::unique_lock lock(entry->mu);
  bool expired = false;
  if (Status s = usable_locked(*entry, &expired); !s.ok()) {
    lock.unlock();
    if (expired) expire(path, entry);
    return 0;
  }
  entry->last_access_ms = now();
  if (entry->durable_tail > from || entry->durable_closed) return 0;
  uint64_t id = next_waiter_id_.fetch_add(1);
  entry->waiters.emplace(id, std::move(wake));
  return id;
}

bool StreamManager::Impl::cancel_wait(const std::string& path, uint64_t handle) {
  EntryPtr entry = find(path);
  if (!entry) return false;
  std::lock_guard lock(entry->mu);
  return entry->waiters.erase(handle) > 0;
}

// ---------------------------------------------------------------------------------------------
// Expiry sweeping and bookkeeping

size_t StreamManager::Impl::sweep_expired() {
  std::vector<std::pair<std::string, EntryPtr>> expired;
  {
    std::shared_lock map_lock(map_mu_);
    int64_t now_ms = now();
    for (auto& [path, entry] : streams_) {
      std::lock_guard lock(entry->mu);
      if (entry->durable && !entry->meta.soft_deleted && entry->expired_at(now_ms)) {
        expired.emplace_back(path, entry);
      }
    }
  }
  for (auto& [path, entry] : expired) expire(path, entry);
  return expired.size();
}

void StreamManager::Impl::flush_last_access() {
  std::shared_lock map_lock(map_mu_);
  for (auto& [path, entry] : streams_) {
    std::lock_guard lock(entry->mu);
    if (entry->waiters.empty()) entry->forget_recent();  // no longer followed
    if (!entry->meta.ttl_seconds || entry->removed || !entry->durable) continue;
    int64_t touched = entry->last_access_ms.load();
    if (touched == entry->persisted_last_access_ms) continue;
    entry->meta.last_access_ms = touched;
    entry->persisted_last_access_ms = touched;
    // Queued under the stream's lock like every whole-meta write, so no later change of the
    // stream (a delete, a close, a fork reference) can be queued before this older copy.
    std::vector<StreamChange> changes;
    changes.push_back(PutChange(entry->meta));
    committer_->submit_unsynced(std::move(changes), nullptr);
  }
}

std::vector<std::string> StreamManager::Impl::list_streams() {
  std::vector<std::string> out;
  std::shared_lock map_lock(map_mu_);
  int64_t now_ms = now();
  for (auto& [path, entry] : streams_) {
    std::lock_guard lock(entry->mu);
    if (entry->durable && !entry->meta.soft_deleted && !entry->expired_at(now_ms)) {
      out.push_back(path);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// ---------------------------------------------------------------------------------------------
// Public facade

std::unique_ptr<StreamManager> StreamManager::Open(std::unique_ptr<Storage> storage,
                                                   ManagerOptions options, Status* status) {
  auto impl = std::make_unique<Impl>(std::move(storage), std::move(options));
  *status = impl->load();
  if (!status->ok()) return nullptr;
  impl->start();
  return std::unique_ptr<StreamManager>(new StreamManager(std::move(impl)));
}

StreamManager::StreamManager(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StreamManager::~StreamManager() { impl_->shutdown(); }

void StreamManager::create_async(const std::string& path, CreateOptions options,
                                 CreateCallback done) {
  impl_->create_async(path, std::move(options), std::move(done));
}

Status StreamManager::create(const std::string& path, CreateOptions options,
                             CreateResult* result) {
  std::promise<std::pair<Status, CreateResult>> promise;
  auto future = promise.get_future();
  create_async(path, std::move(options), [&promise](Status s, CreateResult r) {
    promise.set_value({std::move(s), std::move(r)});
  });
  auto [status, created] = future.get();
  if (result) *result = std::move(created);
  return status;
}

void StreamManager::append_async(const std::string& path, std::string data,
                                 AppendOptions options, AppendCallback done) {
  impl_->append_async(path, std::move(data), std::move(options), std::move(done));
}

AppendResult StreamManager::append(const std::string& path, std::string data,
                                   AppendOptions options) {
  std::promise<AppendResult> promise;
  auto future = promise.get_future();
  append_async(path, std::move(data), std::move(options),
               [&promise](AppendResult r) { promise.set_value(std::move(r)); });
  return future.get();
}

AppendResult StreamManager::close(const std::string& path) {
  AppendOptions options;
  options.close = true;
  return append(path, {}, std::move(options));
}

void StreamManager::remove_async(const std::string& path, StatusCallback done) {
  impl_->remove_async(path, std::move(done));
}

Status StreamManager::remove(const std::string& path) {
  std::promise<Status> promise;
  auto future = promise.get_future();
  remove_async(path, [&promise](Status s) { promise.set_value(std::move(s)); });
  return future.get();
}

Status StreamManager::get_metadata(const std::string& path, StreamInfo* info) {
  return impl_->get_metadata(path, info);
}

ReadResult StreamManager::read(const std::string& path, std::optional<uint64_t> from,
                               const ReadOptions& options) {
  return impl_->read(path, from, options, false);
}

ReadResult StreamManager::read_messages(const std::string& path, std::optional<uint64_t> from,
                                        const ReadOptions& options) {
  return impl_->read(path, from, options, true);
}

ReadResult StreamManager::read_live(const std::string& path, std::optional<uint64_t> from,
                                    std::chrono::milliseconds timeout,
                                    const ReadOptions& options) {
  ReadResult first = read(path, from, options);
  if (!first.status.ok() || first.next > from.value_or(first.next) || first.closed) return first;
  uint64_t position = first.next;
  struct Signal {
    std::mutex mu;
    std::condition_variable cv;
    bool fired = false;
  };
  auto signal = std::make_shared<Signal>();
  uint64_t handle = wait_async(path, position, [signal] {
    std::lock_guard lock(signal->mu);
    signal->fired = true;
    signal->cv.notify_all();
  });
  if (handle != 0) {
    std::unique_lock lock(signal->mu);
    if (!signal->cv.wait_for(lock, timeout, [&] { return signal->fired; })) {
      lock.unlock();
      if (!cancel_wait(path, handle)) {
        lock.lock();  // the wake is running right now: let it finish with our signal
        signal->cv.wait(lock, [&] { return signal->fired; });
      }
    }
  }
  return read(path, position, options);
}

uint64_t StreamManager::wait_async(const std::string& path, uint64_t from, WakeCallback wake) {
  return impl_->wait_async(path, from, std::move(wake));
}

bool StreamManager::cancel_wait(const std::string& path, uint64_t handle) {
  return impl_->cancel_wait(path, handle);
}

size_t StreamManager::sweep_expired() { return impl_->sweep_expired(); }

std::vector<std::string> StreamManager::list_streams() { return impl_->list_streams(); }

ManagerStats StreamManager::stats() { return impl_->stats(); }

void StreamManager::shutdown() { impl_->shutdown(); }

}  // namespace streamkeeper
