// Typed results for every expected failure of the engine.
//
// Expected failures (a missing stream, a conflict, a bad argument) are values, never exceptions.
// Each code maps onto exactly one HTTP status in the protocol layer, so the mapping lives in one
// place (src/protocol/) and the engine stays transport-agnostic.
#pragma once

#include <string>
#include <utility>

namespace streamkeeper {

enum class StatusCode {
  kOk,
  kNotFound,             // no such stream (or it expired)                     -> 404
  kGone,                 // the stream is soft-deleted (forks still use it)    -> 410
  kBadRequest,           // malformed argument (offset, ttl, json, sub-offset) -> 400
  kConfigMismatch,       // create: exists with another configuration          -> 409
  kContentTypeMismatch,  // append: content type differs from the stream's      -> 409
  kSeqConflict,          // append: Stream-Seq not strictly greater             -> 409
  kClosed,               // append: the stream is closed                        -> 409
  kProducerSeqGap,       // producer seq skipped ahead                          -> 409
  kStaleEpoch,           // producer epoch older than the stored one            -> 403
  kPayloadTooLarge,      // body larger than the configured limit               -> 413
  kIoError,              // an unexpected storage failure                       -> 500
  kNoSpace,              // the disk is full (or below the free-space reserve)  -> 507
  kUnavailable,          // storage is failing or recovering; retry later       -> 503
};

class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status NotFound(std::string msg = "stream not found") {
    return Status(StatusCode::kNotFound, std::move(msg));
  }
  static Status Gone(std::string msg = "stream is deleted") {
    return Status(StatusCode::kGone, std::move(msg));
  }
  static Status BadRequest(std::string msg) { return Status(StatusCode::kBadRequest, std::move(msg)); }
  static Status IoError(std::string msg) { return Status(StatusCode::kIoError, std::move(msg)); }
  static Status NoSpace(std::string msg) { return Status(StatusCode::kNoSpace, std::move(msg)); }
  static Status Unavailable(std::string msg) {
    return Status(StatusCode::kUnavailable, std::move(msg));
  }
  static Status Of(StatusCode code, std::string msg) { return Status(code, std::move(msg)); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Status(StatusCode code, std::string msg) : code_(code), message_(std::move(msg)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

}  // namespace streamkeeper
