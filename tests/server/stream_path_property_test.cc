// The stream path rule (streamkeeper/stream_path.h) over tens of thousands of random paths, as
// the HTTP API applies it (a request target, percent-decoded) and as the library does
// (StreamManager::create). Seeded: a failure names its seed and case, and reproduces.
//
// Properties, for every random decoded path D and every target that encodes it:
//   1. the target decodes to D (every equivalent spelling names the same stream);
//   2. the path is accepted exactly when D has none of the forbidden features (a NUL or other
//      control character, invalid UTF-8, an empty segment, a "." or ".." segment, more than
//      kMaxStreamPathBytes bytes), each checked here by its own simple predicate;
//   3. so acceptance is the same for every spelling;
//   4. the handler answers 400 INVALID_PATH exactly for the refused ones, whatever the method,
//      and StreamManager::create refuses exactly those too.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <future>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "protocol/protocol_handler.h"
#include "protocol/request_target.h"
#include "streamkeeper/memory_storage.h"
#include "streamkeeper/stream_manager.h"
#include "streamkeeper/stream_path.h"
#include "protocol_handler_fixture.h"

namespace streamkeeper {
namespace {

// ---------------------------------------------------------------------------------------------
// The forbidden features, each on its own (not through CheckStreamPath).

bool HasControl(const std::string& path) {
  for (unsigned char c : path) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// Decodes code points by their bit patterns and checks each against the range its length may
// encode (so overlong forms, surrogates and values past U+10FFFF are invalid).
bool IsValidUtf8(const std::string& text) {
  size_t i = 0;
  while (i < text.size()) {
    unsigned char lead = static_cast<unsigned char>(text[i]);
    int length;
    uint32_t cp;
    if ((lead & 0x80) == 0) {
      length = 1;
      cp = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      cp = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      cp = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      cp = lead & 0x07;
    } else
      return false;
    if (i + length > text.size()) return false;
    for (int k = 1; k < length; ++k) {
      unsigned char c = static_cast<unsigned char>(text[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr uint32_t kMinOfLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinOfLength[length] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out;
  std::string current;
  for (size_t i = path[0] == '/' ? 1 : 0; i < path.size(); ++i) {
    if (path[i] == '/') {
      out.push_back(current);
      current.clear();
    } else {
      current += path[i];
    }
  }
  out.push_back(current);
  return out;
}

bool HasEmptySegment(const std::string& path) {
  for (const auto& segment : Segments(path)) {
    if (segment.empty()) return true;
  }
  return false;
}

bool HasDotSegment(const std::string& path) {
  for (const auto& segment : Segments(path)) {
    if (segment == "." || segment == "..") return true;
  }
  return false;
}

bool Forbidden(const std::string& path) {
  return path.empty() || path.size() > kMaxStreamPathBytes || HasControl(path) ||
         !IsValidUtf8(path) || HasEmptySegment(path) || HasDotSegment(path);
}

TEST(StreamPathTest, TheRuleOnExamples) {
  for (const char* ok :
       {"/v1/stream/chat/42", "chat/42", "/s", "x", "...", "a/.b/c.", "caf\xC3\xA9", "/a b/+@:!"}) {
    EXPECT_TRUE(CheckStreamPath(ok).ok()) << ok;
  }
  for (const char* bad :
       {"", "/", "//a", "a/", "a//b", "./a", "a/..", "/a/./b", "a\x01", "a\x7F", "\xFF", "a\xC3"}) {
    EXPECT_EQ(CheckStreamPath(bad).code(), StatusCode::kBadRequest) << bad;
  }
  EXPECT_EQ(CheckStreamPath(std::string("a\0b", 3)).message(), "stream path contains a NUL byte");
  EXPECT_TRUE(CheckStreamPath(std::string(kMaxStreamPathBytes, 'x')).ok());
  EXPECT_FALSE(CheckStreamPath(std::string(kMaxStreamPathBytes + 1, 'x')).ok());
}

// ---------------------------------------------------------------------------------------------
// Random paths and their spellings

class PathGenerator {
 public:
  explicit PathGenerator(uint64_t seed) : rng_(seed) {}

  // A decoded stream path under the prefix: segments of letters, dots, UTF-8 (valid or not),
  // controls and percent signs, joined by single or doubled slashes, now and then very long.
  std::string path() {
    std::string name;
    int segments = 1 + pick(5);
    for (int s = 0; s < segments; ++s) {
      if (s > 0) name += chance(8) ? "//" : "/";
      name += segment();
    }
    if (chance(20)) name += "/";
    if (chance(6)) {  // around the length bound
      name.insert(pick(static_cast<int>(name.size()) + 1), std::string(900 + pick(200), 'x'));
    }
    return std::string(kStreamPrefix) + name;
  }

  // `decoded` written as a request target: bytes outside the path characters percent-encoded,
  // and, when `extra`, other bytes too (letters, dots, slashes; in either hex case).
  std::string encode(const std::string& decoded, bool extra) {
    static constexpr std::string_view kRaw =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/";
    std::string out = "/";
    for (size_t i = 1; i < decoded.size(); ++i) {  // the leading slash stays as it is
      unsigned char c = static_cast<unsigned char>(decoded[i]);
      bool raw = kRaw.find(static_cast<char>(c)) != std::string_view::npos && c != 0;
      if (raw && !(extra && chance(4))) {
        out += static_cast<char>(c);
        continue;
      }
      const char* hex = chance(2) ? "0123456789ABCDEF" : "0123456789abcdef";
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xF];
    }
    return out;
  }

  int pick(int n) { return static_cast<int>(rng_() % static_cast<uint64_t>(n)); }
  bool chance(int one_in) { return pick(one_in) == 0; }

 private:
  std::string segment() {
    switch (pick(20)) {
      case 0:
        return ".";
      case 1:
        return "..";
      case 2:
        return "";
      case 3:
        return "...";  // three dots is a name
      default:
        break;
    }
    std::string out;
    int pieces = 1 + pick(4);
    for (int p = 0; p < pieces; ++p) out += piece();
    return out;
  }

  std::string piece() {
    static const std::vector<std::string> kPieces = {"a",
                                                     "chat",
                                                     "42",
                                                     "x-y_z~",
                                                     ".",
                                                     "..",
                                                     "v1",
                                                     "%",
                                                     "?",
                                                     "#",
                                                     " ",
                                                     "+",
                                                     "@:",
                                                     "\xC3\xA9",
                                                     "\xE6\x97\xA5",
                                                     "\xF0\x9F\x98\x80",  // é, 日, 😀
                                                     "\xFF",
                                                     "\x80",
                                                     "\xC0\xAF",
                                                     "\xE0\x80\xAF",  // not UTF-8; overlong slashes
                                                     "\xED\xA0\x80",
                                                     "\xF4\x90\x80\x80",
                                                     "\xE6\x97",  // a surrogate, past U+10FFFF, cut
                                                     std::string(1, '\0'),
                                                     "\n",
                                                     "\r\n",
                                                     "\t",
                                                     "\x1F",
                                                     "\x7F"};
    // Mostly plain pieces, so that many paths are valid.
    if (chance(6)) return kPieces[pick(static_cast<int>(kPieces.size()))];
    return kPieces[pick(13)];
  }

  std::mt19937_64 rng_;
};

// How a target is judged by the API: decoded, then checked. `decoded` gets the path.
bool Accepted(const std::string& target, std::string* decoded) {
  RequestTarget parsed;
  Status s = ParseRequestTarget(target, &parsed);
  EXPECT_TRUE(s.ok()) << "a well-formed encoding did not parse: " << target << ": " << s.message();
  *decoded = parsed.path;
  return ValidateStreamPath(parsed.path).ok();
}

std::string Printable(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    }
  }
  return out.size() > 200 ? out.substr(0, 200) + "...(" + std::to_string(bytes.size()) + " bytes)"
                          : out;
}

TEST(StreamPathPropertyTest, AcceptedExactlyWithoutForbiddenFeaturesInEverySpelling) {
  constexpr uint64_t kSeed = 20261207;
  constexpr int kCases = 40'000;
  PathGenerator generator(kSeed);
  int accepted = 0;
  for (int i = 0; i < kCases; ++i) {
    std::string path = generator.path();
    bool valid = !Forbidden(path);
    accepted += valid ? 1 : 0;
    ASSERT_EQ(CheckStreamPath(path).ok(), valid)
        << "seed " << kSeed << " case " << i << ": " << Printable(path) << ": "
        << CheckStreamPath(path).message();
    for (bool extra : {false, true, true}) {
      std::string target = generator.encode(path, extra);
      std::string decoded;
      bool target_accepted = Accepted(target, &decoded);
      ASSERT_EQ(decoded, path) << "seed " << kSeed << " case " << i << ": " << target;
      ASSERT_EQ(target_accepted, valid) << "seed " << kSeed << " case " << i << ": " << target;
    }
  }
  // The generator reaches both sides, and every feature (so the properties were exercised).
  EXPECT_GT(accepted, kCases / 5);
  EXPECT_LT(accepted, kCases * 4 / 5);
  RecordProperty("accepted", accepted);
}

TEST(StreamPathPropertyTest, GeneratorProducesEveryForbiddenFeature) {
  PathGenerator generator(7);
  int control = 0, utf8 = 0, empty = 0, dot = 0, length = 0;
  for (int i = 0; i < 10'000; ++i) {
    std::string path = generator.path();
    control += HasControl(path);
    utf8 += !IsValidUtf8(path);
    empty += HasEmptySegment(path);
    dot += HasDotSegment(path);
    length += path.size() > kMaxStreamPathBytes;
  }
  for (int count : {control, utf8, empty, dot, length}) EXPECT_GT(count, 200);
  RecordProperty("counts", std::to_string(control) + " " + std::to_string(utf8) + " " +
                               std::to_string(empty) + " " + std::to_string(dot) + " " +
                               std::to_string(length));
}

// The handler and the library, on a sample of the same paths.
class StreamPathApiTest : public testing::ProtocolHandlerFixture {
 protected:
  HttpResponse Call(const std::string& method, const std::string& target) {
    return ProtocolHandlerFixture::Call(method, target, {{"Content-Type", "text/plain"}});
  }
};

TEST_F(StreamPathApiTest, EveryMethodIsRefusedWithInvalidPathExactlyForForbiddenPaths) {
  constexpr uint64_t kSeed = 4437;
  PathGenerator generator(kSeed);
  const char* kMethods[] = {"GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "PATCH"};
  for (int i = 0; i < 3000; ++i) {
    std::string path = generator.path();
    bool valid = !Forbidden(path);
    std::string target = generator.encode(path, true);
    const char* method = kMethods[generator.pick(7)];
    HttpResponse response = Call(method, target);
    bool invalid_path = response.status == 400 &&
                        response.body.find(R"("code":"INVALID_PATH")") != std::string::npos;
    ASSERT_EQ(invalid_path, !valid) << "seed " << kSeed << " case " << i << ": " << method << " "
                                    << target << " -> " << response.status << " " << response.body;
    // The library: create refuses the same paths, whatever spelling reached it.
    CreateOptions options;
    options.content_type = "text/plain";
    CreateResult result;
    Status created = manager_->create(path, options, &result);
    if (valid) {
      ASSERT_TRUE(created.ok()) << "case " << i << ": " << Printable(path) << ": "
                                << created.message();
    } else {
      ASSERT_EQ(created.code(), StatusCode::kBadRequest) << "case " << i << ": " << Printable(path);
    }
  }
}

}  // namespace
}  // namespace streamkeeper
