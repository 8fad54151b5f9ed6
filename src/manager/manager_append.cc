// StreamManager::Impl: append and close. The rules are append_rules.h; this file carries a
// decision out: refuse, acknowledge a repeat once what it repeats is durable, or accept, write
// and acknowledge once durable.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "manager/append_rules.h"
#include "manager/content_type.h"
#include "manager/stream_manager_impl.h"

namespace streamkeeper {

namespace {

// What the durable state takes from an accepted append once it is durable.
struct DurableUpdate {
  uint64_t epoch = 0;  // the accept epoch it was validated in
  uint64_t tail = 0;
  bool closed = false;
  std::optional<ProducerTuple> closed_by;
  std::optional<std::string> stream_seq;
  std::optional<std::pair<std::string, ProducerState>> producer;
  std::optional<int64_t> last_access;  // set when the append wrote the whole meta
  // Copies of the records for the stream's live readers (see remember_recent), when followed.
  std::shared_ptr<std::vector<Record>> for_readers;
};

void ApplyDurable(StreamEntry& entry, DurableUpdate& update) {
  StreamMeta& durable = entry.durable.meta;
  durable.tail = std::max(durable.tail, update.tail);
  if (update.closed && !durable.closed) {
    durable.closed = true;
    durable.closed_by = update.closed_by;
  }
  if (update.stream_seq) durable.last_stream_seq = std::move(*update.stream_seq);
  if (update.last_access) durable.last_access_ms = std::max(durable.last_access_ms, *update.last_access);
  if (update.producer) entry.durable.producers[update.producer->first] = update.producer->second;
  if (update.for_readers) {
    entry.remember_recent(std::move(*update.for_readers));
  } else {
    entry.forget_recent();  // the cache would have a gap
  }
}

}  // namespace

Status StreamManager::Impl::lock_for_append(const std::string& path, const std::string& data,
                                            const AppendOptions& options, LockedEntry* locked,
                                            ParsedBody* body) {
  // JSON validation is the costly part of an append: do it before taking the stream's lock,
  // but decide on its result only after the rules that come first (closed, content type,
  // Stream-Seq). A body of another media type is never parsed: it is a content-type conflict.
  // Whether the stream is JSON is only known under its lock, so look first and parse after; a
  // stream replaced meanwhile (another generation) is looked at again.
  std::optional<uint64_t> parsed_for;  // the generation the body was parsed for
  for (;;) {
    if (Status s = lock_usable(path, locked); !s.ok()) return s;
    const Incarnation& stream = locked->entry->accepted;
    bool needs_parse = stream.is_json && !data.empty() && IsJsonContentType(options.content_type);
    if (!needs_parse || parsed_for == stream.meta.generation) return Status::Ok();
    parsed_for = stream.meta.generation;
    locked->lock.unlock();
    body->messages.clear();
    body->status = SplitJsonMessages(data, &body->messages);
    if (body->status.ok() && body->messages.empty()) {
      body->status = Status::BadRequest("empty JSON array");
    }
  }
}

void StreamManager::Impl::append_async(const std::string& path, std::string data,
                                       AppendOptions options, AppendCallback done) {
  AppendResult result;
  if (data.empty() && !options.close) {
    result.status = Status::BadRequest("empty append body");
    return done(std::move(result));
  }
  LockedEntry locked;
  ParsedBody body;
  if (Status s = lock_for_append(path, data, options, &locked, &body); !s.ok()) {
    result.status = s;
    return done(std::move(result));
  }
  const StreamMeta& meta = locked.entry->accepted.meta;
  AppendRequest request;
  request.has_data = !data.empty();
  request.content_type = options.content_type;
  request.stream_seq = &options.stream_seq;
  request.producer = &options.producer;
  request.close = options.close;
  request.body = body.status;
  AppendDecision decision = DecideAppend(meta, locked.entry->accepted.producers, request);
  result.tail = meta.tail;
  result.closed = meta.closed;
  result.producer_epoch = decision.producer_epoch;
  result.producer_seq = decision.producer_seq;
  result.expected_seq = decision.expected_seq;
  result.received_seq = decision.received_seq;
  result.duplicate = decision.outcome == AppendDecision::Outcome::kDuplicate;

  switch (decision.outcome) {
    case AppendDecision::Outcome::kRefuse:
      locked.lock.unlock();
      result.status = decision.status;
      return done(std::move(result));
    case AppendDecision::Outcome::kDuplicate:
    case AppendDecision::Outcome::kCloseAgain:
      // A barrier: the repeat is acknowledged once what it repeats is durable. Submitted under
      // the lock, so a rollback of the write it waits for cannot come between the check and the
      // submission (the GroupCommitter dooms it when that write failed).
      submit({}, [entry = locked.entry, result, done](const Status& s) mutable {
        {
          std::lock_guard lock(entry->mu);
          result.tail = entry->durable.meta.tail;
          result.closed = entry->durable.meta.closed;
        }
        result.status = s;
        done(std::move(result));
      });
      return;
    case AppendDecision::Outcome::kAccept:
      // Unless the storage is failing: then nothing is accepted.
      if (Status admitted = health_->admit(); !admitted.ok()) {
        locked.lock.unlock();
        result.status = admitted;
        return done(std::move(result));
      }
      accept_append_locked(locked.entry, std::move(data), options, decision, &body.messages,
                           std::move(result), std::move(done));
      return;
  }
}

void StreamManager::Impl::accept_append_locked(const EntryPtr& entry_ptr, std::string data,
                                               const AppendOptions& options,
                                               const AppendDecision& decision,
                                               std::vector<std::string>* messages,
                                               AppendResult result, AppendCallback done) {
  StreamEntry& entry = *entry_ptr;
  StreamMeta& meta = entry.accepted.meta;
  int64_t now_ms = now();
  meta.last_access_ms = now_ms;
  DurableUpdate update;
  update.epoch = entry.accept_epoch;
  if (options.stream_seq && !data.empty()) {
    meta.last_stream_seq = *options.stream_seq;
    update.stream_seq = meta.last_stream_seq;
  }
  StreamChange change;
  change.kind = StreamChange::Kind::kPut;
  uint64_t payload_bytes = 0;  // ManagerStats::appended_bytes
  if (!entry.accepted.is_json) {
    payload_bytes = data.size();
  } else {
    for (const std::string& message : *messages) payload_bytes += message.size();
  }
  meta.tail += BuildRecords(entry.accepted.is_json, std::move(data), messages, meta.tail,
                            &change.records);
  if (options.close) {
    meta.closed = true;
    if (options.producer) {
      meta.closed_by = ProducerTuple{options.producer->id, options.producer->epoch,
                                     options.producer->seq};
    }
    update.closed_by = meta.closed_by;
  }
  if (decision.next_producer) {
    bool new_producer = !entry.accepted.producers.contains(options.producer->id);
    entry.accepted.producers[options.producer->id] = *decision.next_producer;
    change.producers.emplace(options.producer->id, *decision.next_producer);
    update.producer.emplace(options.producer->id, *decision.next_producer);
    if (new_producer) cache_.recharge(entry);
  }
  // Only the tail moved (recoverable from the records): skip rewriting the meta, and give the
  // storage just the key fields it needs.
  change.write_meta = options.stream_seq.has_value() || options.close;
  if (change.write_meta) {
    change.meta = meta;
    entry.persisted_last_access_ms = now_ms;
    update.last_access = now_ms;
  } else {
    change.meta.path = meta.path;
    change.meta.generation = meta.generation;
  }
  result.tail = update.tail = meta.tail;
  result.closed = update.closed = meta.closed;

  // Live readers will read these records as soon as they are durable: keep a copy for them.
  // (A followed stream has waiters, or a cache its readers use between two waits.)
  size_t change_bytes = 0;
  for (const Record& record : change.records) change_bytes += record.value.size();
  if ((!entry.waiters.empty() || entry.recent) && change_bytes <= RecentRecords::kMaxBytes) {
    update.for_readers = std::make_shared<std::vector<Record>>(change.records);
  }

  // Submitted under the stream's lock, so the queue holds this stream's writes in position
  // order and the durable tail never runs ahead of what is written.
  const uint64_t records = change.records.size();
  std::vector<StreamChange> changes;
  changes.push_back(std::move(change));
  submit(std::move(changes), [this, entry = entry_ptr, result, done, update = std::move(update),
                              records, payload_bytes](const Status& s) mutable {
    std::vector<WakeCallback> wakes;
    {
      std::lock_guard lock(entry->mu);
      if (!s.ok()) {
        roll_back_if_current(entry, update.epoch);
      } else {
        bool had_recent = entry->recent != nullptr;
        ApplyDurable(*entry, update);
        if (had_recent || entry->recent) cache_.recharge(*entry);
        wakes = entry->take_waiters();
      }
    }
    if (s.ok()) {
      appended_records_.fetch_add(records, std::memory_order_relaxed);
      appended_bytes_.fetch_add(payload_bytes, std::memory_order_relaxed);
    }
    RunAll(wakes);
    result.status = s;
    done(std::move(result));
  });
}

}  // namespace streamkeeper
