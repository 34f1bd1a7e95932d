#include "store/ledger_codec.h"

#include <cassert>
#include <limits>

#include "common/byte_reader.h"
#include "common/fixed_encoding.h"

namespace estoque::store {
namespace {

constexpr uint8_t kLedgerValueVersion = 1;
constexpr uint8_t kLedgerBranchGroupVersion = 1;

int64_t ReadEventTime(std::string_view bytes) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return static_cast<int64_t>(value);
}

// Splits off the text before the next '\0' of *rest. False if there is none.
bool TakeField(std::string_view* rest, std::string_view* field) {
  const std::size_t end = rest->find('\0');
  if (end == std::string_view::npos) return false;
  *field = rest->substr(0, end);
  rest->remove_prefix(end + 1);
  return true;
}

bool TakeTime(std::string_view* rest, int64_t* at_us) {
  if (rest->size() < 8) return false;
  *at_us = ReadEventTime(*rest);
  rest->remove_prefix(8);
  return *at_us >= 0;
}

}  // namespace

std::string LedgerPrefix(std::string_view barcode, std::string_view branch) {
  std::string prefix;
  prefix.reserve(barcode.size() + branch.size() + 2);
  prefix.append(barcode);
  prefix.push_back('\0');
  prefix.append(branch);
  prefix.push_back('\0');
  return prefix;
}

std::string LedgerBranchPrefix(std::string_view branch) {
  std::string prefix(branch);
  prefix.push_back('\0');
  return prefix;
}

void AppendEventTime(std::string* out, int64_t at_us) {
  assert(at_us >= 0);
  const auto value = static_cast<uint64_t>(at_us);
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>((value >> shift) & 0xff));
}

std::string MovementIdentity(std::string_view origin, std::string_view id) {
  std::string identity(origin);
  identity.push_back('\0');
  identity.append(id);
  return identity;
}

void AssignLedgerKey(const domain::Movement& movement, std::string* out) {
  out->assign(movement.barcode);
  out->push_back('\0');
  out->append(movement.branch);
  out->push_back('\0');
  AppendEventTime(out, movement.event_at_us);
  out->append(movement.origin);
  out->push_back('\0');
  out->append(movement.id);
}

void AssignLedgerBranchKey(const domain::Movement& movement, std::string* out) {
  out->assign(movement.branch);
  out->push_back('\0');
  AppendEventTime(out, movement.event_at_us);
  out->append(movement.origin);
  out->push_back('\0');
  out->append(movement.id);
  out->push_back('\0');
  out->append(movement.barcode);
}

std::string LedgerKey(const domain::Movement& movement) {
  std::string key;
  AssignLedgerKey(movement, &key);
  return key;
}

std::string LedgerBranchKey(const domain::Movement& movement) {
  std::string key;
  AssignLedgerBranchKey(movement, &key);
  return key;
}

std::string MovementIdKey(std::string_view branch, std::string_view origin, std::string_view id) {
  std::string key(branch);
  key.push_back('\0');
  key.append(origin);
  key.push_back('\0');
  key.append(id);
  return key;
}

Status DecodeLedgerKey(std::string_view key, domain::Movement* out) {
  std::string_view rest = key;
  std::string_view barcode, branch, origin;
  if (!TakeField(&rest, &barcode) || !TakeField(&rest, &branch) ||
      !TakeTime(&rest, &out->event_at_us) || !TakeField(&rest, &origin)) {
    return Status::Corruption("malformed ledger key");
  }
  out->barcode.assign(barcode);
  out->branch.assign(branch);
  out->origin.assign(origin);
  out->id.assign(rest);
  return Status::Ok();
}

Status DecodeLedgerBranchKey(std::string_view key, domain::Movement* out) {
  std::string_view rest = key;
  std::string_view branch, origin, id;
  if (!TakeField(&rest, &branch) || !TakeTime(&rest, &out->event_at_us) ||
      !TakeField(&rest, &origin) || !TakeField(&rest, &id)) {
    return Status::Corruption("malformed ledger index key");
  }
  out->barcode.assign(rest);
  out->branch.assign(branch);
  out->origin.assign(origin);
  out->id.assign(id);
  return Status::Ok();
}

bool IsBranchIndexGroupable(const domain::Movement& movement) {
  return (movement.origin == "venda" || movement.origin == "cancelamento") &&
         !movement.reference.empty() && movement.id.size() > movement.reference.size() &&
         movement.id.compare(0, movement.reference.size(), movement.reference) == 0 &&
         movement.id[movement.reference.size()] == '#';
}

void BeginLedgerBranchGroup(std::string* value) {
  value->clear();
  value->push_back(static_cast<char>(kLedgerBranchGroupVersion));
}

void AppendLedgerBranchGroupMember(std::string_view suffix, std::string_view barcode,
                                   std::string* value) {
  assert(suffix.size() <= std::numeric_limits<uint8_t>::max() &&
         barcode.size() <= std::numeric_limits<uint8_t>::max());
  value->push_back(static_cast<char>(suffix.size()));
  value->append(suffix);
  value->push_back(static_cast<char>(barcode.size()));
  value->append(barcode);
}

Status DecodeLedgerBranchEntry(std::string_view key, std::string_view value,
                               std::vector<domain::Movement>* out) {
  out->resize(1);
  domain::Movement& first = (*out)[0];
  Status decoded = DecodeLedgerBranchKey(key, &first);
  if (!decoded.ok() || value.empty()) return decoded;
  const std::size_t hash = first.id.find('#');
  if (static_cast<uint8_t>(value[0]) != kLedgerBranchGroupVersion ||
      hash == std::string::npos) {
    return Status::Corruption("malformed ledger index group");
  }
  const std::string id_prefix = first.id.substr(0, hash + 1);  // *out may reallocate below
  std::string_view rest = value.substr(1);
  auto take = [&rest](std::string_view* field) {
    if (rest.empty() || rest.size() < 1u + static_cast<uint8_t>(rest[0])) return false;
    *field = rest.substr(1, static_cast<uint8_t>(rest[0]));
    rest.remove_prefix(1 + field->size());
    return true;
  };
  std::size_t count = 1;
  while (!rest.empty()) {
    std::string_view suffix, barcode;
    if (!take(&suffix) || !take(&barcode)) return Status::Corruption("malformed ledger index group");
    if (out->size() <= count) out->emplace_back();
    domain::Movement& member = (*out)[count++];
    const domain::Movement& head = (*out)[0];
    member.branch.assign(head.branch);
    member.event_at_us = head.event_at_us;
    member.origin.assign(head.origin);
    member.id.assign(id_prefix);
    member.id.append(suffix);
    member.barcode.assign(barcode);
  }
  out->resize(count);
  return Status::Ok();
}

namespace {

// Movements estoque derives from a sale, transfer or reservation have ids "<reference>#...": their
// reference is not stored again (it would be most of the value of a sale line).
bool ReferenceIsInId(const domain::Movement& movement) {
  return !movement.reference.empty() && movement.id.size() > movement.reference.size() &&
         movement.id.compare(0, movement.reference.size(), movement.reference) == 0 &&
         movement.id[movement.reference.size()] == '#' &&
         (movement.origin == "venda" || movement.origin == "cancelamento" ||
          movement.origin == "transferencia" || movement.origin == "reserva");
}

}  // namespace

void EncodeLedgerValueTo(const domain::Movement& movement, std::string* out) {
  assert(movement.reference.size() <= std::numeric_limits<uint8_t>::max());
  const std::string_view reference =
      ReferenceIsInId(movement) ? std::string_view() : std::string_view(movement.reference);
  assert(movement.product_name.size() <= std::numeric_limits<uint16_t>::max());
  out->clear();
  out->push_back(static_cast<char>(kLedgerValueVersion));
  AppendFixed<uint8_t>(out, static_cast<uint8_t>(movement.kind));
  AppendFixed<uint8_t>(out, static_cast<uint8_t>(movement.reason));
  AppendFixed<int64_t>(out, movement.quantity_milli);
  AppendFixed<int64_t>(out, movement.recorded_at_us);
  AppendFixed<uint8_t>(out, static_cast<uint8_t>(reference.size()));
  out->append(reference);
  AppendFixed<uint16_t>(out, static_cast<uint16_t>(movement.product_name.size()));
  out->append(movement.product_name);
}

Status DecodeLedgerValue(std::string_view value, domain::Movement* out) {
  ByteReader reader(value);
  uint8_t version = 0, kind = 0, reason = 0;
  reader.Fixed(&version);
  reader.Fixed(&kind);
  reader.Fixed(&reason);
  reader.Fixed(&out->quantity_milli);
  reader.Fixed(&out->recorded_at_us);
  reader.String<uint8_t>(&out->reference);
  reader.String<uint16_t>(&out->product_name);
  if (reader.failed() || reader.remaining() != 0 || version != kLedgerValueVersion ||
      kind < 1 || kind > 8 || reason > 5) {
    return Status::Corruption("malformed ledger value");
  }
  out->kind = static_cast<domain::MovementKind>(kind);
  out->reason = static_cast<domain::AdjustReason>(reason);
  if (out->reference.empty() && (out->origin == "venda" || out->origin == "cancelamento" ||
                                 out->origin == "transferencia" || out->origin == "reserva")) {
    out->reference = out->id.substr(0, out->id.find('#'));  // see ReferenceIsInId
  }
  return Status::Ok();
}

}  // namespace estoque::store
