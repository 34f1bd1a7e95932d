#include "queue/message_codec.h"

#include "common/byte_reader.h"
#include "common/fixed_encoding.h"

#include <bit>
#include <cassert>
#include <cstdint>
#include <cstring>
#include <limits>

namespace estoque::queue {
namespace {

constexpr uint8_t kMessageVersion = 2;
constexpr uint8_t kMessageVersionItemsOnly = 1;
// u8 version | i64 enqueued_at_us | u32 item_count
constexpr std::size_t kHeaderBytes = 1 + 8 + 4;
// The fixed part of an item: u8 barcode_len | u8 branch_len | u16 name_len | 2 x i64.
constexpr std::size_t kItemFixedBytes = 1 + 1 + 2 + 8 + 8;


using Reader = ByteReader;

// u8 length | bytes. REQUIRES: text.size() <= 255 (ids, branches, barcodes, origins are shorter).
void AppendShortString(std::string* out, std::string_view text) {
  assert(text.size() <= std::numeric_limits<uint8_t>::max());
  AppendFixed<uint8_t>(out, static_cast<uint8_t>(text.size()));
  out->append(text);
}

// The smallest encoded sale line and sale, to bound counts read from a corrupt message.
constexpr std::size_t kSaleLineMinBytes = 1 + 8;
constexpr std::size_t kSaleMinBytes = 1 + 1 + 8 + 1 + 4;
constexpr std::size_t kCancelMinBytes = 1 + 1 + 8 + 1;

Status DecodeSalesAndCancels(Reader& reader, Message* message) {
  uint32_t sale_count = 0;
  if (!reader.Fixed(&sale_count)) return Status::Corruption("queue message truncated before sales");
  if (sale_count > reader.remaining() / kSaleMinBytes) {
    return Status::Corruption("queue message claims too many sales");
  }
  message->sales.resize(sale_count);
  for (domain::Sale& sale : message->sales) {
    uint32_t line_count = 0;
    if (!reader.String<uint8_t>(&sale.id) || !reader.String<uint8_t>(&sale.branch) ||
        !reader.Fixed(&sale.event_at_us) || !reader.String<uint8_t>(&sale.origin) ||
        !reader.Fixed(&line_count)) {
      return Status::Corruption("queue message truncated in a sale");
    }
    if (line_count > reader.remaining() / kSaleLineMinBytes) {
      return Status::Corruption("queue message claims too many sale lines");
    }
    sale.lines.resize(line_count);
    for (domain::SaleLine& line : sale.lines) {
      if (!reader.String<uint8_t>(&line.barcode) || !reader.Fixed(&line.quantity_milli)) {
        return Status::Corruption("queue message truncated in a sale line");
      }
    }
  }
  uint32_t cancel_count = 0;
  if (!reader.Fixed(&cancel_count)) return Status::Corruption("queue message truncated before cancels");
  if (cancel_count > reader.remaining() / kCancelMinBytes) {
    return Status::Corruption("queue message claims too many cancels");
  }
  message->cancels.resize(cancel_count);
  for (domain::SaleCancel& cancel : message->cancels) {
    if (!reader.String<uint8_t>(&cancel.sale_id) || !reader.String<uint8_t>(&cancel.branch) ||
        !reader.Fixed(&cancel.event_at_us) || !reader.String<uint8_t>(&cancel.origin)) {
      return Status::Corruption("queue message truncated in a cancel");
    }
  }
  return Status::Ok();
}

}  // namespace

std::string EncodeMessage(const Message& message) {
  assert(message.items.size() <= std::numeric_limits<uint32_t>::max());
  std::size_t size = kHeaderBytes;
  for (const domain::Position& item : message.items) {
    size += kItemFixedBytes + item.barcode.size() + item.branch.size() + item.product_name.size();
  }
  size += 4 + 4;  // sale and cancel counts
  for (const domain::Sale& sale : message.sales) {
    size += kSaleMinBytes + sale.id.size() + sale.branch.size() + sale.origin.size();
    for (const domain::SaleLine& line : sale.lines) size += kSaleLineMinBytes + line.barcode.size();
  }
  for (const domain::SaleCancel& cancel : message.cancels) {
    size += kCancelMinBytes + cancel.sale_id.size() + cancel.branch.size() + cancel.origin.size();
  }
  std::string out;
  out.reserve(size);  // exact: one allocation
  out.push_back(static_cast<char>(kMessageVersion));
  AppendFixed<int64_t>(&out, message.enqueued_at_us);
  AppendFixed<uint32_t>(&out, static_cast<uint32_t>(message.items.size()));
  for (const domain::Position& item : message.items) {
    assert(item.barcode.size() <= std::numeric_limits<uint8_t>::max());
    assert(item.branch.size() <= std::numeric_limits<uint8_t>::max());
    assert(item.product_name.size() <= std::numeric_limits<uint16_t>::max());
    AppendFixed<uint8_t>(&out, static_cast<uint8_t>(item.barcode.size()));
    out.append(item.barcode);
    AppendFixed<uint8_t>(&out, static_cast<uint8_t>(item.branch.size()));
    out.append(item.branch);
    AppendFixed<uint16_t>(&out, static_cast<uint16_t>(item.product_name.size()));
    out.append(item.product_name);
    AppendFixed<int64_t>(&out, item.quantity_milli);
    AppendFixed<int64_t>(&out, item.updated_at_us);
  }
  AppendFixed<uint32_t>(&out, static_cast<uint32_t>(message.sales.size()));
  for (const domain::Sale& sale : message.sales) {
    AppendShortString(&out, sale.id);
    AppendShortString(&out, sale.branch);
    AppendFixed<int64_t>(&out, sale.event_at_us);
    AppendShortString(&out, sale.origin);
    AppendFixed<uint32_t>(&out, static_cast<uint32_t>(sale.lines.size()));
    for (const domain::SaleLine& line : sale.lines) {
      AppendShortString(&out, line.barcode);
      AppendFixed<int64_t>(&out, line.quantity_milli);
    }
  }
  AppendFixed<uint32_t>(&out, static_cast<uint32_t>(message.cancels.size()));
  for (const domain::SaleCancel& cancel : message.cancels) {
    AppendShortString(&out, cancel.sale_id);
    AppendShortString(&out, cancel.branch);
    AppendFixed<int64_t>(&out, cancel.event_at_us);
    AppendShortString(&out, cancel.origin);
  }
  assert(out.size() == size);
  return out;
}

Result<Message> DecodeMessage(std::string_view bytes) {
  Reader reader(bytes);
  uint8_t version = 0;
  if (!reader.Fixed(&version)) return Status::Corruption("queue message is empty");
  if (version != kMessageVersion && version != kMessageVersionItemsOnly) {
    return Status::Corruption("unknown queue message version " + std::to_string(version));
  }
  Message message;
  uint32_t item_count = 0;
  if (!reader.Fixed(&message.enqueued_at_us) || !reader.Fixed(&item_count)) {
    return Status::Corruption("queue message header truncated");
  }
  // Checked before reserving, so a corrupt count cannot make us allocate gigabytes.
  if (item_count > reader.remaining() / kItemFixedBytes) {
    return Status::Corruption("queue message claims " + std::to_string(item_count) +
                              " items in " + std::to_string(reader.remaining()) + " bytes");
  }
  message.items.resize(item_count);
  for (uint32_t i = 0; i < item_count; ++i) {
    domain::Position& item = message.items[i];
    if (!reader.String<uint8_t>(&item.barcode) || !reader.String<uint8_t>(&item.branch) ||
        !reader.String<uint16_t>(&item.product_name) || !reader.Fixed(&item.quantity_milli) ||
        !reader.Fixed(&item.updated_at_us)) {
      return Status::Corruption("queue message truncated in item " + std::to_string(i));
    }
  }
  if (version == kMessageVersion) {
    Status rest = DecodeSalesAndCancels(reader, &message);
    if (!rest.ok()) return rest;
  }
  if (reader.remaining() != 0) {
    return Status::Corruption("queue message has " + std::to_string(reader.remaining()) +
                              " trailing bytes");
  }
  return message;
}

}  // namespace estoque::queue
