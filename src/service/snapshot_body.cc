#include "service/snapshot_body.h"

#include <utility>

#include "snapshot/tar_writer.h"

namespace streamkeeper {

bool SnapshotPipe::produce(TarWriter& writer, uint64_t* bytes) {
  *bytes = 0;
  for (;;) {
    if (cancelled()) return false;
    BodyStream::Piece piece;
    piece.data.reserve(kPieceBytes);
    bool done = false;
    Status s = writer.Next(kPieceBytes, &piece.data, &done);
    if (!s.ok()) {
      piece.data = s.message();
      piece.failed = true;
      hand_over(std::move(piece));
      return false;
    }
    *bytes += piece.data.size();
    piece.last = done;
    if (!hand_over(std::move(piece))) return false;
    if (done) return true;
  }
}

bool SnapshotPipe::hand_over(BodyStream::Piece piece) {
  std::unique_lock lock(mu_);
  room_.wait(lock, [this] { return cancelled_ || waiting_ || ready_.size() < kQueuedPieces; });
  if (cancelled_) return false;
  if (waiting_ && ready_.empty()) {
    BodyStream::Deliver deliver = std::move(waiting_);
    waiting_ = nullptr;
    lock.unlock();
    deliver(std::move(piece));
    return true;
  }
  ready_.push_back(std::move(piece));
  return true;
}

void SnapshotPipe::next(BodyStream::Deliver deliver) {
  std::unique_lock lock(mu_);
  if (cancelled_) return;
  if (ready_.empty()) {
    waiting_ = std::move(deliver);
    room_.notify_all();
    return;
  }
  BodyStream::Piece piece = std::move(ready_.front());
  ready_.pop_front();
  lock.unlock();
  room_.notify_all();
  deliver(std::move(piece));
}

void SnapshotPipe::cancel() {
  BodyStream::Deliver dropped;  // destroyed outside the lock: it may hold the last session ref
  {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    dropped = std::move(waiting_);
    waiting_ = nullptr;
    ready_.clear();
  }
  room_.notify_all();
}

bool SnapshotPipe::cancelled() {
  std::lock_guard lock(mu_);
  return cancelled_;
}

}  // namespace streamkeeper
