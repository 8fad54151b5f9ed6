// SnapshotBody: the body of GET /_admin/snapshot, a BodyStream (protocol/http_types.h) fed by a
// producer thread that reads the checkpoint into tar pieces (snapshot/tar_writer.h).
//
// The producer (SnapshotPipe::produce, on the admin worker thread) keeps at most
// kQueuedPieces pieces of kPieceBytes ready ahead of the connection, so memory per snapshot
// is bounded (about 1 MiB) however large the store; the connection's thread only takes a
// ready piece or leaves its request for the producer to answer. When the response is dropped
// (done, client gone, connection cut at shutdown) the pipe is cancelled and the producer stops
// at its next piece; the server's shutdown cancels it too (AdminEndpoints::shutdown).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>

#include "protocol/http_types.h"

namespace streamkeeper {

class TarWriter;

class SnapshotPipe {
 public:
  static constexpr size_t kPieceBytes = 256 << 10;
  static constexpr size_t kQueuedPieces = 4;

  // On the producer's thread: pieces from `writer` until the archive ends, a read fails
  // (a failed piece ends the response cut short) or the pipe is cancelled. Returns true when
  // the whole archive was handed over; *bytes gets what was produced.
  bool produce(TarWriter& writer, uint64_t* bytes);

  // The consumer's side (SnapshotBody::next): a ready piece goes to `deliver` at once, else
  // `deliver` waits for the producer.
  void next(BodyStream::Deliver deliver);

  // Stops the producer and drops a waiting delivery. Any thread; idempotent.
  void cancel();
  bool cancelled();

 private:
  // Hands `piece` to a waiting delivery, or queues it (waiting for room). False if cancelled.
  bool hand_over(BodyStream::Piece piece);

  std::mutex mu_;
  std::condition_variable room_;
  std::deque<BodyStream::Piece> ready_;
  BodyStream::Deliver waiting_;
  bool cancelled_ = false;
};

// The BodyStream a response carries; dropping it cancels the pipe.
class SnapshotBody final : public BodyStream {
 public:
  explicit SnapshotBody(std::shared_ptr<SnapshotPipe> pipe) : pipe_(std::move(pipe)) {}
  ~SnapshotBody() override { pipe_->cancel(); }
  void next(Deliver deliver) override { pipe_->next(std::move(deliver)); }

 private:
  std::shared_ptr<SnapshotPipe> pipe_;
};

}  // namespace streamkeeper
