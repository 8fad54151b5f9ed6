// Fuzz target: JSON append bodies through SplitJsonMessages (validation and one-level
// flattening) and the JSON record layout.
//
// Checks, for any body:
//   - a body Boost.JSON rejects is rejected, one it accepts is accepted;
//   - flattening keeps each message's text and nothing else: every message parses on its own to
//     the value the whole body holds at that place (the array's element, or the body itself);
//   - a record decodes to the message and batch count it was encoded with; arbitrary bytes as a
//     record value decode without reading out of bounds.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "manager/json_messages.h"

namespace {

[[noreturn]] void Fail(const char* what, std::string_view body) {
  std::fprintf(stderr, "json_messages_fuzzer: %s\nbody: %.*s\n", what,
               static_cast<int>(body.size()), body.data());
  std::abort();
}

// Equal JSON values, except that doubles may differ in their last bits: Boost.JSON 1.81 parses a
// long decimal to a different double depending on the bytes after it (found by this target:
// 111111113.111111111 alone and inside [..,"a",111,null] differ by one ulp). Streamkeeper stores
// each message's original text, so that never changes what a reader gets.
bool SameJson(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_double() && b.is_double()) {
    double x = a.get_double(), y = b.get_double();
    // Boost.JSON 1.81 also parses 0e400 to NaN (found by this target): NaN on both sides is the
    // same parse.
    if (std::isnan(x) || std::isnan(y)) return std::isnan(x) && std::isnan(y);
    return x == y || std::fabs(x - y) <= 1e-15 * std::fmax(std::fabs(x), std::fabs(y));
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto &x = a.get_array(), &y = b.get_array();
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!SameJson(x[i], y[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    const auto &x = a.get_object(), &y = b.get_object();
    if (x.size() != y.size()) return false;
    for (auto xi = x.begin(), yi = y.begin(); xi != x.end(); ++xi, ++yi) {
      if (xi->key() != yi->key() || !SameJson(xi->value(), yi->value())) return false;
    }
    return true;
  }
  return a == b;
}

boost::json::value ParseOrFail(std::string_view text, std::string_view body) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(text, ec);
  if (ec) Fail("a message does not parse on its own", body);
  return value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace streamkeeper;
  std::string_view body(reinterpret_cast<const char*>(data), size);

  std::vector<std::string> messages;
  Status status = SplitJsonMessages(body, &messages);
  boost::system::error_code ec;
  boost::json::value whole = boost::json::parse(body, ec);
  if (ec) {
    if (status.ok()) Fail("invalid JSON accepted", body);
    if (status.code() != StatusCode::kBadRequest) Fail("invalid JSON not a bad request", body);
  } else {
    if (!status.ok()) Fail("valid JSON rejected", body);
    if (whole.is_array()) {
      const auto& array = whole.as_array();
      if (messages.size() != array.size()) Fail("array split into the wrong count", body);
      for (size_t i = 0; i < array.size(); ++i) {
        if (!SameJson(ParseOrFail(messages[i], body), array[i])) {
          Fail("element changed by the split", body);
        }
      }
    } else {
      if (messages.size() != 1) Fail("a non-array is not exactly one message", body);
      if (!SameJson(ParseOrFail(messages[0], body), whole)) Fail("message changed", body);
    }
  }

  // The record layout: encode each message with its batch count, decode it back.
  for (size_t i = 0; i < messages.size(); ++i) {
    uint64_t remaining = messages.size() - i;
    std::string record = EncodeJsonRecord(messages[i], remaining);
    std::string_view message;
    uint64_t decoded = 0;
    if (!DecodeJsonRecord(record, &message, &decoded) || decoded != remaining ||
        message != messages[i]) {
      Fail("record round trip", body);
    }
  }
  // Arbitrary bytes as a stored record (a corrupt value must be refused or split in bounds).
  std::string_view message;
  uint64_t remaining = 0;
  if (DecodeJsonRecord(body, &message, &remaining)) {
    if (message.size() >= body.size() ||
        message.data() + message.size() != body.data() + body.size()) {
      Fail("decoded message is not a suffix of the record", body);
    }
  }
  return 0;
}
