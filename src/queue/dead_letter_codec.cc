#include "queue/dead_letter_codec.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "common/byte_reader.h"
#include "common/fixed_encoding.h"
#include "common/limits.h"

namespace estoque::queue {
namespace {

constexpr uint8_t kVersion = 1;
static_assert(limits::kDeadLetterReasonBytesMax <= std::numeric_limits<uint16_t>::max());

}  // namespace

std::string EncodeDeadLetter(const DeadLetter& letter) {
  const std::size_t reason_bytes = std::min(letter.reason.size(), limits::kDeadLetterReasonBytesMax);
  // Queue messages are bounded far below 4 GiB (the 1 MiB request body).
  const auto message_bytes = static_cast<uint32_t>(letter.message_bytes.size());
  std::string out;
  out.reserve(1 + 4 + 4 * 8 + 2 + reason_bytes + 4 + message_bytes);
  AppendFixed<uint8_t>(&out, kVersion);
  AppendFixed<uint32_t>(&out, letter.attempts);
  AppendFixed<int64_t>(&out, letter.enqueued_at_us);
  AppendFixed<int64_t>(&out, letter.first_failure_at_us);
  AppendFixed<int64_t>(&out, letter.last_failure_at_us);
  AppendFixed<int64_t>(&out, letter.dead_lettered_at_us);
  AppendFixed<uint16_t>(&out, static_cast<uint16_t>(reason_bytes));
  out.append(letter.reason, 0, reason_bytes);
  AppendFixed<uint32_t>(&out, message_bytes);
  out.append(letter.message_bytes);
  return out;
}

Result<DeadLetter> DecodeDeadLetter(uint64_t id, std::string_view bytes) {
  ByteReader reader(bytes);
  uint8_t version = 0;
  if (!reader.Fixed(&version)) return Status::Corruption("empty dead letter");
  if (version != kVersion) {
    return Status::Corruption("unknown dead letter version " + std::to_string(version));
  }
  DeadLetter letter;
  letter.id = id;
  reader.Fixed(&letter.attempts);
  reader.Fixed(&letter.enqueued_at_us);
  reader.Fixed(&letter.first_failure_at_us);
  reader.Fixed(&letter.last_failure_at_us);
  reader.Fixed(&letter.dead_lettered_at_us);
  reader.String<uint16_t>(&letter.reason);
  reader.String<uint32_t>(&letter.message_bytes);
  if (reader.failed()) return Status::Corruption("truncated dead letter");
  if (reader.remaining() != 0) return Status::Corruption("trailing bytes after a dead letter");
  return letter;
}

}  // namespace estoque::queue
