// Fuzz target: the queue message codec (queue/message_codec.h), what EmbeddedQueue::Open decodes
// from disk at every start. Input: the bytes of a stored message (version 1 or 2).
// Checks: a message that decodes re-encodes (as version 2) to bytes that decode to the same
// message, and a version 2 message re-encodes to exactly its input (one encoding per message).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.h"
#include "queue/message_codec.h"

namespace {

bool SameMessage(const estoque::queue::Message& a, const estoque::queue::Message& b) {
  return a.items == b.items && a.enqueued_at_us == b.enqueued_at_us && a.sales == b.sales &&
         a.cancels == b.cancels;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace estoque;
  const std::string_view bytes = fuzz::AsText(data, size);
  Result<queue::Message> message = queue::DecodeMessage(bytes);
  if (!message.ok()) {
    FUZZ_CHECK(message.status().code() == StatusCode::kCorruption, message.status().ToString());
    return 0;
  }
  const std::string encoded = queue::EncodeMessage(*message);
  Result<queue::Message> again = queue::DecodeMessage(encoded);
  FUZZ_CHECK(again.ok(), again.status().ToString());
  FUZZ_CHECK(SameMessage(*again, *message), "round trip changed the message");
  FUZZ_CHECK(bytes[0] != 2 || encoded == bytes, "a version 2 message re-encodes differently");
  return 0;
}
