// The body of an SQS message of the SQS queue backend (sqs_queue.h), described in docs/AWS.md.
// SQS bodies are text (XML characters only), so the queue message's bytes (message_codec.h)
// travel base64-encoded inside a small JSON object that also carries the message's estoque id
// (stable across redeliveries, replays and dead-lettering, unlike SQS's MessageId):
//
//   {"v":1,"id":"<decimal u64>","message":"<base64 of EncodeMessage>"}
//   {"v":1,"id":"<decimal u64>","dead_letter":"<base64 of EncodeDeadLetter>"}   (in the DLQ)
//
// The second form is what the worker sends to the dead-letter queue: the message plus why it
// failed, in dead_letter_codec.h's format. A message the queue's redrive policy moved there keeps
// the first form.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "queue/dead_letter_queue.h"

namespace estoque::queue {

// Bodies are at most this long: SQS's 256 KiB, the limit of every queue (aws/sqs_client.h).
inline constexpr std::size_t kSqsBodyBytesMax = 256u * 1024u;
// JSON around the base64 (keys, quotes, a 20-digit id), with room to spare.
inline constexpr std::size_t kSqsBodyFramingBytesMax = 128;
// What dead_letter_codec.h adds to a message: fixed fields and a reason of at most
// limits::kDeadLetterReasonBytesMax bytes, with room to spare.
inline constexpr std::size_t kSqsDeadLetterOverheadBytesMax = 1100;
// The longest encoded queue message (EncodeMessage) the SQS queue sends as one SQS message, so
// that its body fits kSqsBodyBytesMax also once dead-lettered. A longer message of positions is
// split into several SQS messages (sqs_queue.h).
inline constexpr std::size_t kSqsMessageBytesMax =
    (kSqsBodyBytesMax - kSqsBodyFramingBytesMax) / 4 * 3 - kSqsDeadLetterOverheadBytesMax;

struct SqsBody {
  uint64_t id = 0;
  std::string message_bytes;  // the message as EncodeMessage wrote it (not decoded here)
  // Set for the dead_letter form; its id and message_bytes equal the fields above.
  std::optional<DeadLetter> dead_letter;
};

// The body of queue message `id` whose encoded bytes are `message_bytes`.
std::string EncodeSqsBody(uint64_t id, std::string_view message_bytes);
// The dead-letter queue body of `letter` (its id, message bytes and failure).
std::string EncodeSqsDeadLetterBody(const DeadLetter& letter);
// Either form. Corruption when `body` is not one of them (not JSON, another version, a missing or
// malformed field, base64 that does not decode, a dead letter that does not decode).
Result<SqsBody> DecodeSqsBody(std::string_view body);

// The id of an SQS message whose body is not one of the forms above (so it carries none): a
// hash (FNV-1a) of its SQS MessageId, in [1, 2^63).
uint64_t SqsFallbackId(std::string_view sqs_message_id);

}  // namespace estoque::queue
