// The ledger column families' keys and the branch index groups (store/ledger_codec.h).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/ledger_codec.h"

namespace estoque::store {
namespace {

domain::Movement SaleLine(const std::string& sale, int line, const std::string& barcode) {
  domain::Movement movement;
  movement.kind = domain::MovementKind::kSale;
  movement.branch = "1001";
  movement.barcode = barcode;
  movement.event_at_us = 1'700'000'000'000'000;
  movement.origin = "venda";
  movement.reference = sale;
  movement.id = sale + "#" + std::to_string(line);
  return movement;
}

TEST(LedgerBranchKey, RoundTripsAndSortsByTimeOriginIdBarcode) {
  domain::Movement a = SaleLine("v1", 1, "7891");
  domain::Movement decoded;
  ASSERT_TRUE(DecodeLedgerBranchKey(LedgerBranchKey(a), &decoded).ok());
  EXPECT_EQ(decoded.branch, a.branch);
  EXPECT_EQ(decoded.event_at_us, a.event_at_us);
  EXPECT_EQ(decoded.origin, a.origin);
  EXPECT_EQ(decoded.id, a.id);
  EXPECT_EQ(decoded.barcode, a.barcode);

  domain::Movement later = a;
  later.event_at_us += 1;
  domain::Movement other_origin = a;
  other_origin.origin = "vendas";  // a longer origin sorts after ("\0" is the lowest byte)
  domain::Movement next_id = SaleLine("v1", 10, "0000");
  EXPECT_LT(LedgerBranchKey(a), LedgerBranchKey(next_id));
  EXPECT_LT(LedgerBranchKey(next_id), LedgerBranchKey(other_origin));
  EXPECT_LT(LedgerBranchKey(other_origin), LedgerBranchKey(later));
}

TEST(LedgerBranchKey, MalformedKeysAreCorruption) {
  domain::Movement decoded;
  std::string key = LedgerBranchKey(SaleLine("v1", 1, "7891"));
  for (std::size_t size : {0u, 4u, 5u, 12u, 13u}) {
    EXPECT_EQ(DecodeLedgerBranchKey(key.substr(0, size), &decoded).code(), StatusCode::kCorruption)
        << size;
  }
}

TEST(LedgerBranchGroup, OnlySaleAndCancellationLinesGroup) {
  EXPECT_TRUE(IsBranchIndexGroupable(SaleLine("v1", 1, "7891")));
  domain::Movement cancel = SaleLine("v1", 1, "7891");
  cancel.origin = "cancelamento";
  EXPECT_TRUE(IsBranchIndexGroupable(cancel));
  domain::Movement transfer = SaleLine("t1", 1, "7891");
  transfer.origin = "transferencia";
  EXPECT_FALSE(IsBranchIndexGroupable(transfer));
  domain::Movement api = SaleLine("v1", 1, "7891");
  api.reference = "";
  EXPECT_FALSE(IsBranchIndexGroupable(api));
  api.reference = "v2";  // the id does not start with "<reference>#"
  EXPECT_FALSE(IsBranchIndexGroupable(api));
}

TEST(LedgerBranchGroup, EntryExpandsToItsMembersInOrder) {
  const std::vector<domain::Movement> lines = {SaleLine("v1", 1, "7893"), SaleLine("v1", 10, "7891"),
                                               SaleLine("v1", 2, "7892")};
  std::string value;
  BeginLedgerBranchGroup(&value);
  AppendLedgerBranchGroupMember("10", lines[1].barcode, &value);  // ids after "v1#"
  AppendLedgerBranchGroupMember("2", lines[2].barcode, &value);
  std::vector<domain::Movement> members(7);  // reused, resized
  ASSERT_TRUE(DecodeLedgerBranchEntry(LedgerBranchKey(lines[0]), value, &members).ok());
  ASSERT_EQ(members.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(members[i].id, lines[i].id);
    EXPECT_EQ(members[i].barcode, lines[i].barcode);
    EXPECT_EQ(members[i].branch, "1001");
    EXPECT_EQ(members[i].origin, "venda");
    EXPECT_EQ(members[i].event_at_us, lines[0].event_at_us);
    EXPECT_EQ(LedgerKey(members[i]), LedgerKey(lines[i]));
  }
  // A single entry (empty value) names one movement.
  ASSERT_TRUE(DecodeLedgerBranchEntry(LedgerBranchKey(lines[0]), "", &members).ok());
  EXPECT_EQ(members.size(), 1u);
}

TEST(LedgerBranchGroup, MalformedGroupsAreCorruption) {
  const std::string key = LedgerBranchKey(SaleLine("v1", 1, "7893"));
  std::string value;
  BeginLedgerBranchGroup(&value);
  AppendLedgerBranchGroupMember("2", "7892", &value);
  std::vector<domain::Movement> members;
  for (std::size_t size = 1; size < value.size(); ++size) {
    if (size == 1) continue;  // a version byte alone is a group without further members
    EXPECT_EQ(DecodeLedgerBranchEntry(key, value.substr(0, size), &members).code(),
              StatusCode::kCorruption)
        << size;
  }
  std::string bad_version = value;
  bad_version[0] = 9;
  EXPECT_EQ(DecodeLedgerBranchEntry(key, bad_version, &members).code(), StatusCode::kCorruption);
  domain::Movement no_hash = SaleLine("v1", 1, "7893");
  no_hash.id = "v1";
  EXPECT_EQ(DecodeLedgerBranchEntry(LedgerBranchKey(no_hash), value, &members).code(),
            StatusCode::kCorruption);
}

}  // namespace
}  // namespace estoque::store
