// TextCodec: how ds-admin puts stored bytes into JSON output: base64 for bytes that are not
// text, a UTF-8 check to tell them apart, and the compact form of a stored JSON message.
#pragma once

#include <string>
#include <string_view>

namespace ds_admin {

// Standard base64 (RFC 4648 §4, padded).
std::string Base64Encode(std::string_view bytes);
// Strict: false on any character outside the alphabet, bad padding or length.
bool Base64Decode(std::string_view text, std::string* out);

// True when `text` is entirely valid UTF-8 (no overlongs, surrogates or code points past
// U+10FFFF): what a JSON string may carry. A record cut inside a character (a fork's
// sub-offset) is not.
bool IsValidUtf8(std::string_view text);

// `json`, a valid JSON text, without the whitespace outside its strings: the message exactly as
// stored (numbers keep their digits, strings their escapes), on one line. Never parses into
// numbers, which would round big integers and turn 1e400 into an infinity JSON cannot carry.
std::string CompactJson(std::string_view json);

}  // namespace ds_admin
