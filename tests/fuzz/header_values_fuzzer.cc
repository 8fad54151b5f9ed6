// Fuzz target: the parsers of header and query values - offsets (Stream-Next-Offset, ?offset=,
// Stream-Fork-Offset), Stream-TTL and Stream-Fork-Sub-Offset, Stream-Expires-At, Producer-Epoch
// and Producer-Seq, Stream-Closed, Content-Type, Stream-Cursor, and request targets.
// (Stream-Seq is an opaque string compared bytewise by the manager; http_request_fuzzer covers
// it.)
//
// Checks, besides ASan/UBSan: what a parser accepts is canonical where the protocol says so
// (it renders back to the same text), and formatting then parsing is the identity.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "manager/content_type.h"
#include "protocol/cursor.h"
#include "protocol/header_values.h"
#include "protocol/request_target.h"
#include "streamkeeper/offset.h"

namespace {

[[noreturn]] void Fail(const char* what, std::string_view input) {
  std::fprintf(stderr, "header_values_fuzzer: %s\ninput: %.*s\n", what,
               static_cast<int>(input.size()), input.data());
  std::abort();
}

uint64_t Load64(std::string_view in) {
  uint64_t v = 0;
  std::memcpy(&v, in.data(), in.size() < 8 ? in.size() : 8);
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace streamkeeper;
  std::string_view in(reinterpret_cast<const char*>(data), size);

  // Offsets.
  if (auto offset = ParseOffset(in)) {
    if (offset->kind == ParsedOffset::Kind::kPosition) {
      auto again = ParseOffset(FormatOffset(offset->position));
      if (!again || again->kind != ParsedOffset::Kind::kPosition ||
          again->position != offset->position) {
        Fail("offset does not survive format+parse", in);
      }
    } else if (in != "-1" && in != "now") {
      Fail("sentinel from something else", in);
    }
  }
  if (auto position = ParsePosition(in)) {
    if (ParsePosition(FormatOffset(*position)) != position) Fail("position round trip", in);
  }
  uint64_t number = Load64(in);
  {
    std::string text = FormatOffset(number);
    // Positions stop at 16 digits (kMaxKeyNumber); larger ones only widen the text.
    if (number < 10'000'000'000'000'000ULL && text.size() != 33) {
      Fail("formatted offset is not 33 characters", in);
    }
    auto parsed = ParseOffset(text);
    if (!parsed || parsed->kind != ParsedOffset::Kind::kPosition || parsed->position != number) {
      Fail("FormatOffset does not parse back", in);
    }
  }

  // Stream-TTL, Stream-Fork-Sub-Offset: canonical decimal.
  if (auto value = ParseCanonicalUnsigned(in)) {
    if (std::to_string(*value) != in) Fail("non-canonical unsigned accepted", in);
  }
  // At most 19 digits are read (a TTL of 10^19 s is refused, which is fine).
  if (number < 10'000'000'000'000'000'000ULL &&
      ParseCanonicalUnsigned(std::to_string(number)) != number) {
    Fail("unsigned round trip", in);
  }

  // Producer-Epoch / Producer-Seq: digits, at most 2^53 - 1.
  if (auto value = ParseProducerNumber(in)) {
    if (*value > (uint64_t{1} << 53) - 1) Fail("producer number above 2^53 - 1", in);
    for (char c : in) {
      if (c < '0' || c > '9') Fail("producer number with a non-digit", in);
    }
  }

  // Stream-Expires-At.
  if (auto ms = ParseRfc3339(in)) {
    if (*ms < kMinRfc3339Ms || *ms > kMaxRfc3339Ms) Fail("RFC 3339 time out of range", in);
    std::string text = FormatRfc3339(*ms);
    if (ParseRfc3339(text) != ms) Fail("RFC 3339 format+parse of a parsed time", in);
  }
  {
    // Any time from year 0 to 9999 formats and parses back.
    constexpr uint64_t kSpan = static_cast<uint64_t>(kMaxRfc3339Ms - kMinRfc3339Ms) + 1;
    int64_t ms = kMinRfc3339Ms + static_cast<int64_t>(number % kSpan);
    if (ParseRfc3339(FormatRfc3339(ms)) != ms) Fail("RFC 3339 round trip", FormatRfc3339(ms));
  }

  (void)IsTrueFlag(in);

  // Content-Type.
  std::string media = NormalizeMediaType(in);
  if (NormalizeMediaType(media) != media) Fail("NormalizeMediaType is not idempotent", in);
  if (!SameMediaType(in, in)) Fail("a type differs from itself", in);
  (void)IsWellFormedContentType(in);
  (void)IsJsonContentType(in);
  (void)IsTextContentType(in);

  // Stream-Cursor from a client (any text), and a request target.
  (void)NextCursor(1'780'000'000'000, in);
  RequestTarget target;
  if (ParseRequestTarget(in, &target).ok() && ValidateStreamPath(target.path).ok()) {
    // The properties of accepted paths (tests/server/stream_path_property_test.cc), checked
    // on the fuzzer's inputs too.
    if (target.path.size() > kMaxPathBytes) Fail("accepted an overlong path", in);
    if (target.path.find('\0') != std::string::npos) Fail("accepted a NUL in a path", in);
    if (target.path.find("//") != std::string::npos) Fail("accepted an empty segment", in);
    if (target.path.find("/./") != std::string::npos ||
        target.path.find("/../") != std::string::npos ||
        target.path.ends_with("/.") || target.path.ends_with("/..")) {
      Fail("accepted a dot segment", in);
    }
  }
  (void)ValidateStreamPath(in);
  return 0;
}
