// Standard base64 (RFC 4648 section 4: A-Z a-z 0-9 + /, '=' padding), for binary carried in text
// formats (the SQS message bodies of queue/sqs_body.h).
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace estoque {

// The padded base64 text of `bytes` (4 characters per 3 bytes, rounded up).
std::string Base64Encode(std::string_view bytes);

// The bytes of padded base64 `text`. InvalidArgument on a character outside the alphabet, a
// length that is not a multiple of 4, misplaced padding or non-zero padding bits (so every byte
// string has exactly one accepted text).
Result<std::string> Base64Decode(std::string_view text);

}  // namespace estoque
