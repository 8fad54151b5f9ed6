// StreamManager::Impl: append and close, with the producer, closed, content-type and Stream-Seq rules.
#include "manager/stream_manager_impl.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "manager/content_type.h"

namespace streamkeeper {

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

  // JSON validation is the costly part of an append: do it before taking the stream's lock,
  // but decide on its result only after the rules that come first (closed, content type,
  // Stream-Seq). A body of another media type is never parsed: it is a content-type conflict.
  std::vector<std::string> messages;
  Status body_status;
  if (entry->is_json && !data.empty() && IsJsonContentType(options.content_type)) {
    body_status = SplitJsonMessages(data, &messages);
    if (body_status.ok() && messages.empty()) body_status = Status::BadRequest("empty JSON array");
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
    if (options.stream_seq && !meta.last_stream_seq.empty() &&
        *options.stream_seq <= meta.last_stream_seq) {
      return fail(Status::Of(StatusCode::kSeqConflict, "Stream-Seq is not increasing"));
    }
    // 4. The body last.
    if (!body_status.ok()) return fail(body_status);
  }

  // Accept: advance the accepted state and queue the write - unless the storage is failing.
  if (Status admitted = health_->admit(); !admitted.ok()) return fail(admitted);
  int64_t now_ms = now();
  entry->last_access_ms = now_ms;
  meta.last_access_ms = now_ms;
  bool sets_stream_seq = options.stream_seq && !data.empty();
  if (sets_stream_seq) meta.last_stream_seq = *options.stream_seq;
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

  // What the durable state takes from this write once it is durable.
  struct Durable {
    uint64_t epoch = 0;
    std::optional<std::string> stream_seq;
    std::optional<ProducerTuple> closed_by;
    std::optional<std::pair<std::string, ProducerState>> producer;
  } durable;
  durable.epoch = entry->accept_epoch;
  if (sets_stream_seq) durable.stream_seq = meta.last_stream_seq;
  if (options.close) durable.closed_by = meta.closed_by;
  if (options.producer) durable.producer.emplace(options.producer->id, next_producer);

  // Submitted under the stream's lock, so the queue holds this stream's writes in position
  // order and durable_tail never runs ahead of what is written.
  std::vector<StreamChange> changes;
  changes.push_back(std::move(change));
  submit(std::move(changes), [this, entry, result, done, for_readers,
                              durable = std::move(durable)](const Status& s) mutable {
    std::vector<WakeCallback> wakes;
    {
      std::lock_guard lock(entry->mu);
      if (!s.ok()) {
        roll_back_if_current(entry, durable.epoch);
      } else {
        entry->durable_tail = std::max(entry->durable_tail, result.tail);
        if (result.closed && !entry->durable_closed) {
          entry->durable_closed = true;
          entry->durable_closed_by = durable.closed_by;
        }
        if (durable.stream_seq) entry->durable_last_stream_seq = std::move(*durable.stream_seq);
        if (durable.producer) {
          entry->durable_producers[durable.producer->first] = durable.producer->second;
        }
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

}  // namespace streamkeeper
