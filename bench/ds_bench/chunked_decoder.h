// Incremental decoder for an HTTP/1.1 chunked response body (no networking).
#ifndef DS_BENCH_CHUNKED_DECODER_H_
#define DS_BENCH_CHUNKED_DECODER_H_

#include <cstdint>
#include <string_view>
#include <vector>

namespace dsbench {

// Feed() accepts arbitrary slices of the raw body (boundaries may fall anywhere, including
// inside a chunk-size line or its CRLF) and hands out the chunk data without copying it.
class ChunkedDecoder {
 public:
  enum class Result {
    kMore,   // everything consumed; the body goes on
    kDone,   // the last chunk and its trailer ended the body
    kError,  // not valid chunked framing
  };

  // Appends views into `bytes` holding the next chunk data, in order, to *pieces.
  // Once kDone or kError is returned, further input is not looked at.
  Result Feed(std::string_view bytes, std::vector<std::string_view>* pieces);

 private:
  enum class State { kSize, kExtension, kSizeLf, kData, kDataCr, kDataLf, kTrailer, kTrailerLf,
                     kDone, kError };
  Result Fail();

  State state_ = State::kSize;
  uint64_t size_ = 0;        // of the chunk being read
  int size_digits_ = 0;
  bool trailer_line_empty_ = true;
};

}  // namespace dsbench

#endif  // DS_BENCH_CHUNKED_DECODER_H_
