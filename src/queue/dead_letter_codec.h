// The on-disk encoding of a dead letter (the value of the "dlq" column family; the key is the
// message id, store::QueueKey), described in docs/STORAGE.md.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "queue/dead_letter_queue.h"

namespace estoque::queue {

// Layout v1 (integers little-endian):
//   u8 version(=1) | u32 attempts | i64 enqueued_at_us | i64 first_failure_at_us |
//   i64 last_failure_at_us | i64 dead_lettered_at_us | u16 reason_len | reason |
//   u32 message_len | message (the queue row's bytes, as stored)
// `id` is not encoded (it is the key). A reason longer than limits::kDeadLetterReasonBytesMax is
// cut to that many bytes.
std::string EncodeDeadLetter(const DeadLetter& letter);
// The dead letter of `id` stored as `bytes`. Corruption on truncation, trailing bytes or an
// unknown version.
Result<DeadLetter> DecodeDeadLetter(uint64_t id, std::string_view bytes);

}  // namespace estoque::queue
