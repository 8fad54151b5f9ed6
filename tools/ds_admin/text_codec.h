// TextCodec: how ds-admin puts stored bytes into JSON output: base64 for bytes that are not
// text, a UTF-8 check to tell them apart (both shared with the server, in src/util), and the
// compact form of a stored JSON message.
#pragma once

#include <string>
#include <string_view>

#include "util/base64.h"
#include "util/utf8.h"

namespace ds_admin {

using streamkeeper::Base64Decode;  // util/base64.h
using streamkeeper::Base64Encode;

// IsValidUtf8: what a JSON string may carry. A record cut inside a character (a fork's
// sub-offset) is not.
using streamkeeper::IsValidUtf8;  // util/utf8.h

// `json`, a valid JSON text, without the whitespace outside its strings: the message exactly as
// stored (numbers keep their digits, strings their escapes), on one line. Never parses into
// numbers, which would round big integers and turn 1e400 into an infinity JSON cannot carry.
std::string CompactJson(std::string_view json);

}  // namespace ds_admin
