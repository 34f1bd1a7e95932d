#include "queue/message_codec.h"

#include "common/fixed_encoding.h"

#include <bit>
#include <cassert>
#include <cstdint>
#include <cstring>
#include <limits>

namespace estoque::queue {
namespace {

constexpr uint8_t kMessageVersion = 1;
// u8 version | i64 enqueued_at_us | u32 item_count
constexpr std::size_t kHeaderBytes = 1 + 8 + 4;
// The fixed part of an item: u8 barcode_len | u8 branch_len | u16 name_len | 2 x i64.
constexpr std::size_t kItemFixedBytes = 1 + 1 + 2 + 8 + 8;


// Reads fixed-width integers and length-prefixed strings from a buffer, refusing to read past its
// end. After the first failure every read fails.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  template <typename T>
  bool Fixed(T* value) {
    if (bytes_.size() - offset_ < sizeof(T)) return false;
    std::memcpy(value, bytes_.data() + offset_, sizeof(T));
    offset_ += sizeof(T);
    return true;
  }

  template <typename Length>
  bool String(std::string* value) {
    Length length = 0;
    if (!Fixed(&length)) return false;
    if (bytes_.size() - offset_ < length) return false;
    value->assign(bytes_.data() + offset_, length);
    offset_ += length;
    return true;
  }

  std::size_t remaining() const { return bytes_.size() - offset_; }

 private:
  std::string_view bytes_;
  std::size_t offset_ = 0;
};

}  // namespace

std::string EncodeMessage(const Message& message) {
  assert(message.items.size() <= std::numeric_limits<uint32_t>::max());
  std::size_t size = kHeaderBytes;
  for (const domain::Position& item : message.items) {
    size += kItemFixedBytes + item.barcode.size() + item.branch.size() + item.product_name.size();
  }
  std::string out;
  out.reserve(size);
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
  assert(out.size() == size);
  return out;
}

Result<Message> DecodeMessage(std::string_view bytes) {
  Reader reader(bytes);
  uint8_t version = 0;
  if (!reader.Fixed(&version)) return Status::Corruption("queue message is empty");
  if (version != kMessageVersion) {
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
  if (reader.remaining() != 0) {
    return Status::Corruption("queue message has " + std::to_string(reader.remaining()) +
                              " trailing bytes");
  }
  return message;
}

}  // namespace estoque::queue
