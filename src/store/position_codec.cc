#include "store/position_codec.h"

#include "common/fixed_encoding.h"

#include <bit>
#include <cassert>
#include <cstdint>
#include <cstring>
#include <limits>

namespace estoque::store {
namespace {

constexpr uint8_t kPositionValueVersion = 1;
constexpr uint8_t kCountersVersion = 1;
// u8 version | i64 updated_at_us | i64 quantity_milli | u16 name_len
constexpr std::size_t kPositionHeaderBytes = 1 + 8 + 8 + 2;
// u8 version | 3 x u64
constexpr std::size_t kCountersBytes = 1 + 3 * 8;

}  // namespace

std::string EncodePositionValue(const domain::Position& position) {
  std::string out;
  out.reserve(kPositionHeaderBytes + position.product_name.size());
  EncodePositionValueTo(position, &out);
  return out;
}

void EncodePositionValueTo(const domain::Position& position, std::string* out) {
  assert(position.product_name.size() <= std::numeric_limits<uint16_t>::max());
  out->clear();
  out->push_back(static_cast<char>(kPositionValueVersion));
  AppendFixed<int64_t>(out, position.updated_at_us);
  AppendFixed<int64_t>(out, position.quantity_milli);
  AppendFixed<uint16_t>(out, static_cast<uint16_t>(position.product_name.size()));
  out->append(position.product_name);
}

Status DecodePositionValue(std::string_view value, domain::Position* out) {
  if (value.size() < kPositionHeaderBytes) {
    return Status::Corruption("position value too short: " + std::to_string(value.size()) +
                              " bytes");
  }
  const char* p = value.data();
  if (static_cast<uint8_t>(p[0]) != kPositionValueVersion) {
    return Status::Corruption("unknown position value version " +
                              std::to_string(static_cast<uint8_t>(p[0])));
  }
  const auto name_bytes = ReadFixed<uint16_t>(p + 17);
  if (value.size() != kPositionHeaderBytes + name_bytes) {
    return Status::Corruption("position value has " + std::to_string(value.size()) +
                              " bytes, its header says " +
                              std::to_string(kPositionHeaderBytes + name_bytes));
  }
  out->updated_at_us = ReadFixed<int64_t>(p + 1);
  out->quantity_milli = ReadFixed<int64_t>(p + 9);
  out->product_name.assign(p + kPositionHeaderBytes, name_bytes);
  return Status::Ok();
}

std::string EncodeCounters(const ApplyCounters& counters) {
  std::string out;
  out.reserve(kCountersBytes);
  out.push_back(static_cast<char>(kCountersVersion));
  AppendFixed<uint64_t>(&out, counters.applied_messages_total);
  AppendFixed<uint64_t>(&out, counters.applied_items_total);
  AppendFixed<uint64_t>(&out, counters.dropped_older_items_total);
  return out;
}

Result<ApplyCounters> DecodeCounters(std::string_view value) {
  if (value.size() != kCountersBytes) {
    return Status::Corruption("counters value has " + std::to_string(value.size()) +
                              " bytes, expected " + std::to_string(kCountersBytes));
  }
  const char* p = value.data();
  if (static_cast<uint8_t>(p[0]) != kCountersVersion) {
    return Status::Corruption("unknown counters version " +
                              std::to_string(static_cast<uint8_t>(p[0])));
  }
  ApplyCounters counters;
  counters.applied_messages_total = ReadFixed<uint64_t>(p + 1);
  counters.applied_items_total = ReadFixed<uint64_t>(p + 9);
  counters.dropped_older_items_total = ReadFixed<uint64_t>(p + 17);
  return counters;
}

}  // namespace estoque::store
