#include "chunked_decoder.h"

#include <algorithm>

namespace dsbench {
namespace {

// 15 hex digits keep the size below 2^60: no overflow, and far beyond any real chunk.
constexpr int kMaxSizeDigits = 15;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

ChunkedDecoder::Result ChunkedDecoder::Fail() {
  state_ = State::kError;
  return Result::kError;
}

ChunkedDecoder::Result ChunkedDecoder::Feed(std::string_view bytes,
                                            std::vector<std::string_view>* pieces) {
  size_t i = 0;
  while (i < bytes.size()) {
    const char c = bytes[i];
    switch (state_) {
      case State::kSize: {
        const int digit = HexValue(c);
        if (digit >= 0) {
          if (++size_digits_ > kMaxSizeDigits) return Fail();
          size_ = size_ * 16 + static_cast<uint64_t>(digit);
          ++i;
          break;
        }
        if (size_digits_ == 0) return Fail();
        if (c == '\r') {
          state_ = State::kSizeLf;
        } else if (c == ';' || c == ' ' || c == '\t') {
          state_ = State::kExtension;
        } else {
          return Fail();
        }
        ++i;
        break;
      }
      case State::kExtension:  // chunk extensions carry nothing we need
        if (c == '\r') state_ = State::kSizeLf;
        ++i;
        break;
      case State::kSizeLf:
        if (c != '\n') return Fail();
        ++i;
        size_digits_ = 0;
        if (size_ == 0) {
          state_ = State::kTrailer;
          trailer_line_empty_ = true;
        } else {
          state_ = State::kData;
        }
        break;
      case State::kData: {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(size_, bytes.size() - i));
        pieces->push_back(bytes.substr(i, take));
        i += take;
        size_ -= take;
        if (size_ == 0) state_ = State::kDataCr;
        break;
      }
      case State::kDataCr:
        if (c != '\r') return Fail();
        state_ = State::kDataLf;
        ++i;
        break;
      case State::kDataLf:
        if (c != '\n') return Fail();
        state_ = State::kSize;
        ++i;
        break;
      case State::kTrailer:  // header lines after the last chunk, ended by an empty line
        if (c == '\r') {
          state_ = State::kTrailerLf;
        } else {
          trailer_line_empty_ = false;
        }
        ++i;
        break;
      case State::kTrailerLf:
        if (c != '\n') return Fail();
        ++i;
        if (trailer_line_empty_) {
          state_ = State::kDone;
          return Result::kDone;
        }
        state_ = State::kTrailer;
        trailer_line_empty_ = true;
        break;
      case State::kDone:
        return Result::kDone;
      case State::kError:
        return Result::kError;
    }
  }
  if (state_ == State::kDone) return Result::kDone;
  if (state_ == State::kError) return Result::kError;
  return Result::kMore;
}

}  // namespace dsbench
