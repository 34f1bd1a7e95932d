// The on-disk encoding of a queue message (format version 2; version 1 is still read), described
// in docs/STORAGE.md.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "queue/message.h"

namespace estoque::queue {

// Layout v2: u8 version(=2) | i64 enqueued_at_us | u32 item_count | items, each:
//   u8 barcode_len | barcode | u8 branch_len | branch | u16 name_len | name |
//   i64 quantity_milli | i64 updated_at_us
// | u32 sale_count | sales, each: u8 id_len | id | u8 branch_len | branch | i64 event_at_us |
//   u8 origin_len | origin | u32 line_count | lines (u8 barcode_len | barcode | i64 quantity_milli)
// | u32 cancel_count | cancels, each: u8 sale_id_len | sale_id | u8 branch_len | branch |
//   i64 event_at_us | u8 origin_len | origin                              (integers little-endian)
// Version 1 is the same up to the items and has no sales or cancels.
std::string EncodeMessage(const Message& message);
// Corruption on truncation, trailing bytes or an unknown version.
Result<Message> DecodeMessage(std::string_view bytes);

}  // namespace estoque::queue
