// Keys and values of the ledger column families (docs/STORAGE.md):
//   "ledger"            barcode \0 branch \0 u64be(event_at_us) origin \0 id  -> LedgerValue
//   "ledger_by_branch"  branch \0 u64be(event_at_us) origin \0 id \0 barcode  -> empty | group
//   "movement_ids"      branch \0 origin \0 id                                -> ledger key
// So one product-branch's movements are contiguous and ordered by event time (then identity), a
// branch's movements likewise, and a movement's identity finds its entry.
//
// A branch index entry names one movement, or a group: the lines of one sale (or of its
// cancellation) share branch, time and origin and have ids "<sale>#<n>", so in the index order
// (time, origin, id, barcode) they are contiguous and nothing else sorts between them. One entry
// keyed by the first line (by id, then barcode) lists the others in its value, in order: one
// index write per sale instead of one per line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "domain/movement.h"

namespace estoque::store {

// "barcode\0branch\0": every ledger key of the product-branch starts with it.
std::string LedgerPrefix(std::string_view barcode, std::string_view branch);
// "branch\0": every ledger_by_branch key of the branch starts with it.
std::string LedgerBranchPrefix(std::string_view branch);
// Appends the 8-byte big-endian event time (sorts like the time; REQUIRES at_us >= 0).
void AppendEventTime(std::string* out, int64_t at_us);

std::string LedgerKey(const domain::Movement& movement);
std::string LedgerBranchKey(const domain::Movement& movement);
// The same, written over *out (its capacity reused: the apply path builds two keys per movement).
void AssignLedgerKey(const domain::Movement& movement, std::string* out);
void AssignLedgerBranchKey(const domain::Movement& movement, std::string* out);
std::string MovementIdKey(std::string_view branch, std::string_view origin, std::string_view id);
// origin '\0' id: the part of the keys that tells apart movements at the same time.
std::string MovementIdentity(std::string_view origin, std::string_view id);

// Fill barcode, branch, event_at_us, origin and id of *out. Corruption if malformed.
[[nodiscard]] Status DecodeLedgerKey(std::string_view key, domain::Movement* out);
[[nodiscard]] Status DecodeLedgerBranchKey(std::string_view key, domain::Movement* out);

// True for the movements a branch index group may hold: the lines of a sale or of a sale's
// cancellation (origin "venda" or "cancelamento", id "<reference>#...").
bool IsBranchIndexGroupable(const domain::Movement& movement);
// Group value: u8 version | repeated { u8 suffix_len | suffix | u8 barcode_len | barcode }, one
// per member after the first, in (id, barcode) order; a member's id is the first member's id up
// to and including its '#', then the suffix. Start with Begin, then Append each later member
// (`id_suffix`: its id after the '#').
void BeginLedgerBranchGroup(std::string* value);
void AppendLedgerBranchGroupMember(std::string_view id_suffix, std::string_view barcode,
                                   std::string* value);
// The movements (barcode, branch, event_at_us, origin, id) one branch index entry names, in index
// order, into *out (resized; its elements' strings reused). Corruption if malformed.
[[nodiscard]] Status DecodeLedgerBranchEntry(std::string_view key, std::string_view value,
                                             std::vector<domain::Movement>* out);

// Value layout v1: u8 version | u8 kind | u8 reason | i64 quantity_milli | i64 recorded_at_us |
//   u8 reference_len | reference | u16 name_len | product_name             (little-endian)
// (reference empty when the id carries it, see DecodeLedgerValue).
void EncodeLedgerValueTo(const domain::Movement& movement, std::string* out);
// Fills kind, reason, quantity_milli, recorded_at_us, reference, product_name. The reference of a
// movement derived from a sale, transfer or reservation ("<reference>#..." ids) is not stored but
// rebuilt from the id: decode the key first (origin and id set).
[[nodiscard]] Status DecodeLedgerValue(std::string_view value, domain::Movement* out);

}  // namespace estoque::store
