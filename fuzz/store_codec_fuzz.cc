// Fuzz target: the decoders of what the embedded backend reads back from RocksDB (store/*_codec.h,
// catalog/catalog_codec.h): a damaged value must give Corruption, never a crash. Input: one
// selector byte, then the stored bytes: 'p' position value, 'c' counters, 'P' product, 'B' branch,
// 's' sale record, 't' transfer, 'r' reservation, 'k' ledger key, 'i' ledger branch index entry
// (first byte: key length, then key, then value), 'v' ledger value, 'd' dead letter
// (queue/dead_letter_codec.h); any other byte: byte % 11.
// Checks: errors are Corruption; whatever decodes re-encodes to bytes that decode the same.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "catalog/catalog_codec.h"
#include "fuzz_support.h"
#include "queue/dead_letter_codec.h"
#include "store/ledger_codec.h"
#include "store/position_codec.h"
#include "store/record_codec.h"

namespace estoque::fuzz {
namespace {

void CheckCorruption(const Status& status) {
  FUZZ_CHECK(status.code() == StatusCode::kCorruption, status.ToString());
}

// Decode -> encode -> decode gives the first decoded value again. `decode(bytes, T*)` -> Status.
template <typename T, typename Decode, typename Encode>
void RoundTrip(std::string_view bytes, T initial, Decode decode, Encode encode) {
  T value = initial;
  if (Status status = decode(bytes, &value); !status.ok()) return CheckCorruption(status);
  const std::string encoded = encode(value);
  T again = initial;
  const Status status = decode(encoded, &again);
  FUZZ_CHECK(status.ok(), "re-encoded value refused: " + status.ToString());
  FUZZ_CHECK(again == value, "round trip changed the value");
}

// Adapts a Result-returning decoder to RoundTrip's shape.
template <typename T, typename Decode>
auto FromResult(Decode decode) {
  return [decode](std::string_view bytes, T* out) {
    Result<T> decoded = decode(bytes);
    if (!decoded.ok()) return decoded.status();
    *out = std::move(decoded).value();
    return Status::Ok();
  };
}

struct Counters {
  store::ApplyCounters value;
  friend bool operator==(const Counters& a, const Counters& b) {
    return a.value.applied_messages_total == b.value.applied_messages_total &&
           a.value.applied_items_total == b.value.applied_items_total &&
           a.value.dropped_older_items_total == b.value.dropped_older_items_total;
  }
};

void PositionValue(std::string_view bytes) {
  RoundTrip(bytes, domain::Position{}, store::DecodePositionValue, store::EncodePositionValue);
}

void CountersValue(std::string_view bytes) {
  RoundTrip(
      bytes, Counters{},
      [](std::string_view in, Counters* out) {
        Result<store::ApplyCounters> decoded = store::DecodeCounters(in);
        if (!decoded.ok()) return decoded.status();
        out->value = *decoded;
        return Status::Ok();
      },
      [](const Counters& counters) { return store::EncodeCounters(counters.value); });
}

void ProductValue(std::string_view bytes) {
  RoundTrip(bytes, catalog::Product{}, catalog::DecodeProductValue, catalog::EncodeProductValue);
}

void BranchValue(std::string_view bytes) {
  RoundTrip(bytes, catalog::Branch{}, catalog::DecodeBranchValue, catalog::EncodeBranchValue);
}

void SaleRecord(std::string_view bytes) {
  RoundTrip(bytes, store::SaleRecord{}, FromResult<store::SaleRecord>(store::DecodeSaleRecord),
            store::EncodeSaleRecord);
}

void TransferValue(std::string_view bytes) {
  RoundTrip(bytes, domain::Transfer{}, FromResult<domain::Transfer>(store::DecodeTransfer),
            store::EncodeTransfer);
}

void ReservationValue(std::string_view bytes) {
  RoundTrip(bytes, domain::Reservation{}, FromResult<domain::Reservation>(store::DecodeReservation),
            store::EncodeReservation);
}

void LedgerKeys(std::string_view bytes) {
  RoundTrip(bytes, domain::Movement{}, store::DecodeLedgerKey,
            [](const domain::Movement& movement) { return store::LedgerKey(movement); });
  RoundTrip(bytes, domain::Movement{}, store::DecodeLedgerBranchKey,
            [](const domain::Movement& movement) { return store::LedgerBranchKey(movement); });
}

void LedgerBranchEntry(std::string_view bytes) {
  if (bytes.empty()) return;
  const std::size_t key_size = std::min<std::size_t>(static_cast<uint8_t>(bytes[0]), bytes.size() - 1);
  const std::string_view key = bytes.substr(1, key_size);
  const std::string_view value = bytes.substr(1 + key_size);
  std::vector<domain::Movement> movements;
  if (Status status = store::DecodeLedgerBranchEntry(key, value, &movements); !status.ok()) {
    return CheckCorruption(status);
  }
  FUZZ_CHECK(!movements.empty(), "an entry that names no movement");
  for (const domain::Movement& movement : movements) {
    FUZZ_CHECK(movement.event_at_us >= 0, std::to_string(movement.event_at_us));
    FUZZ_CHECK(movement.branch == movements[0].branch, "a group spans branches");
  }
}

void LedgerValue(std::string_view bytes) {
  // The value's reference may be rebuilt from the key's id: decode with the key's part set, as
  // the store does (a sale line, and a movement sent through the API).
  for (const auto& [origin, id] : {std::pair{"venda", "cx3-000451#1"}, std::pair{"api", "nf-1"}}) {
    domain::Movement keyed;
    keyed.origin = origin;
    keyed.id = id;
    RoundTrip(bytes, keyed, store::DecodeLedgerValue, [](const domain::Movement& movement) {
      std::string value;
      store::EncodeLedgerValueTo(movement, &value);
      return value;
    });
  }
}

void DeadLetterValue(std::string_view bytes) {
  RoundTrip(
      bytes, queue::DeadLetter{},
      [](std::string_view in, queue::DeadLetter* out) {
        Result<queue::DeadLetter> decoded = queue::DecodeDeadLetter(7, in);
        if (!decoded.ok()) return decoded.status();
        *out = std::move(decoded).value();
        return Status::Ok();
      },
      queue::EncodeDeadLetter);
}

}  // namespace
}  // namespace estoque::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace estoque::fuzz;
  if (size == 0) return 0;
  const std::string_view bytes = AsText(data + 1, size - 1);
  switch (data[0]) {
    case 'p': PositionValue(bytes); break;
    case 'c': CountersValue(bytes); break;
    case 'P': ProductValue(bytes); break;
    case 'B': BranchValue(bytes); break;
    case 's': SaleRecord(bytes); break;
    case 't': TransferValue(bytes); break;
    case 'r': ReservationValue(bytes); break;
    case 'k': LedgerKeys(bytes); break;
    case 'i': LedgerBranchEntry(bytes); break;
    case 'v': LedgerValue(bytes); break;
    case 'd': DeadLetterValue(bytes); break;
    default: {
      constexpr void (*kDecoders[])(std::string_view) = {
          PositionValue, CountersValue,    ProductValue,      BranchValue,
          SaleRecord,    TransferValue,    ReservationValue,  LedgerKeys,
          LedgerBranchEntry, LedgerValue,  DeadLetterValue};
      kDecoders[data[0] % 11](bytes);
    }
  }
  return 0;
}
