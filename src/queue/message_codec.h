// The on-disk encoding of a queue message (format version 1), described in docs/STORAGE.md.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "queue/message.h"

namespace estoque::queue {

// Layout v1: u8 version(=1) | i64 enqueued_at_us | u32 item_count | items, each:
//   u8 barcode_len | barcode | u8 branch_len | branch | u16 name_len | name |
//   i64 quantity_milli | i64 updated_at_us          (integers little-endian)
std::string EncodeMessage(const Message& message);
// Corruption on truncation, trailing bytes or an unknown version.
Result<Message> DecodeMessage(std::string_view bytes);

}  // namespace estoque::queue
