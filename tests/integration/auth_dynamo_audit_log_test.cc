// DynamoAuditLog against DynamoDB Local (started once for this binary, a table prefix per test):
// the AuditLog contract as RocksAuditLog keeps it (tests/unit/auth_audit_log_test.cc: newest
// first, filters, cursor paging without gaps or repeats, the background writer, malformed
// cursors), across days, and with two nodes writing into one table.
#include "auth/dynamo_audit_log.h"

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/shared_dynamodb_local.h"

namespace estoque::auth {
namespace {

constexpr int64_t kT0 = 1'716'850'591'000'000;  // 2024-05-27 22:56:31 UTC, in microseconds
constexpr int64_t kHour = 3'600'000'000;

AuditEntry Entry(int64_t at_us, std::string key_id, std::string path, int status = 202,
                 std::string method = "POST") {
  AuditEntry entry;
  entry.at_us = at_us;
  entry.key_id = key_id;
  entry.key_name = "name of " + key_id;
  entry.method = std::move(method);
  entry.path = std::move(path);
  entry.status = status;
  return entry;
}

class DynamoAuditLogTest : public test_support::SharedDynamoDbTest {
 protected:
  void SetUp() override {
    SharedDynamoDbTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    log_ = Node();
    ASSERT_NE(log_, nullptr);
  }

  std::unique_ptr<DynamoAuditLog> Node() {
    DynamoAuditLogOptions options;
    options.tables.prefix = prefix_;
    auto log = DynamoAuditLog::Open(client_.get(), options);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return log.ok() ? std::move(*log) : nullptr;
  }

  std::vector<AuditEntry> ListAll(AuditQuery query = {}) {
    Result<AuditPage> page = log_->List(query);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() ? page->items : std::vector<AuditEntry>{};
  }

  // Every entry `query` selects, page by page with `limit`; fails on a repeated cursor.
  std::vector<AuditEntry> Paged(AuditQuery query, std::size_t limit, int* pages = nullptr) {
    query.limit = limit;
    std::vector<AuditEntry> all;
    std::set<std::string> cursors;
    for (int page_count = 1;; ++page_count) {
      Result<AuditPage> page = log_->List(query);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) return all;
      EXPECT_LE(page->items.size(), limit);
      all.insert(all.end(), page->items.begin(), page->items.end());
      if (pages != nullptr) *pages = page_count;
      if (!page->next_after.has_value()) return all;
      EXPECT_TRUE(cursors.insert(*page->next_after).second) << "a cursor repeated";
      if (page_count > 1000) {
        ADD_FAILURE() << "paging does not end";
        return all;
      }
      query.after = page->next_after;
    }
  }

  std::unique_ptr<DynamoAuditLog> log_;
};

TEST_F(DynamoAuditLogTest, RecordFlushListNewestFirstAcrossDays) {
  EXPECT_TRUE(ListAll().empty());
  std::vector<AuditEntry> recorded;
  for (int i = 0; i < 6; ++i) {
    // 10 hours apart: the entries fall on three days, with no entry on some hours in between.
    recorded.push_back(Entry(kT0 + i * 10 * kHour, i % 2 ? "k_b" : "k_a",
                             "/v1/posicoes/" + std::to_string(i), 200 + i, i == 4 ? "DELETE" : "POST"));
    log_->Record(recorded.back());
  }
  ASSERT_TRUE(log_->Flush().ok());
  std::vector<AuditEntry> listed = ListAll();
  ASSERT_EQ(listed.size(), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(listed[i], recorded[5 - i]) << i;
  Result<AuditPage> page = log_->List({});
  ASSERT_TRUE(page.ok());
  EXPECT_FALSE(page->next_after.has_value());
  // Paged one by one across the days.
  EXPECT_EQ(Paged({}, 1).size(), 6u);
}

TEST_F(DynamoAuditLogTest, EntriesOfTheSameMicrosecondKeepTheirOrder) {
  for (int i = 0; i < 3; ++i) log_->Record(Entry(kT0, "k_a", "/p/" + std::to_string(i)));
  ASSERT_TRUE(log_->Flush().ok());
  log_->Record(Entry(kT0, "k_a", "/p/3"));
  ASSERT_TRUE(log_->Flush().ok());
  std::vector<AuditEntry> listed = ListAll();
  ASSERT_EQ(listed.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(listed[i].path, "/p/" + std::to_string(3 - i));
}

TEST_F(DynamoAuditLogTest, TheBackgroundWriterFlushesWithoutBeingAsked) {
  log_->Record(Entry(kT0, "k_a", "/v1/movimentos"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (ListAll().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(ListAll().size(), 1u);
}

TEST_F(DynamoAuditLogTest, FiltersByKeyAndTime) {
  for (int i = 0; i < 30; ++i) {
    log_->Record(Entry(kT0 + i * 1'000'000, "k_" + std::to_string(i % 3), "/p/" + std::to_string(i)));
  }
  ASSERT_TRUE(log_->Flush().ok());
  AuditQuery by_key;
  by_key.key_id = "k_1";
  std::vector<AuditEntry> keyed = ListAll(by_key);
  ASSERT_EQ(keyed.size(), 10u);
  for (std::size_t i = 0; i < keyed.size(); ++i) {
    EXPECT_EQ(keyed[i].key_id, "k_1");
    EXPECT_EQ(keyed[i].path, "/p/" + std::to_string(28 - 3 * i));
  }
  by_key.key_id = "k_nobody";
  EXPECT_TRUE(ListAll(by_key).empty());

  AuditQuery window;  // desde and ate are inclusive
  window.since_us = kT0 + 10 * 1'000'000;
  window.until_us = kT0 + 14 * 1'000'000;
  std::vector<AuditEntry> windowed = ListAll(window);
  ASSERT_EQ(windowed.size(), 5u);
  EXPECT_EQ(windowed.front().at_us, kT0 + 14 * 1'000'000);
  EXPECT_EQ(windowed.back().at_us, kT0 + 10 * 1'000'000);
  AuditQuery only_since;
  only_since.since_us = kT0 + 25 * 1'000'000 + 1;
  EXPECT_EQ(ListAll(only_since).size(), 4u);  // 26..29
  AuditQuery only_until;
  only_until.until_us = kT0 + 2 * 1'000'000 - 1;
  EXPECT_EQ(ListAll(only_until).size(), 2u);  // 0, 1
  AuditQuery both;
  both.key_id = "k_0";
  both.since_us = kT0 + 10 * 1'000'000;
  both.until_us = kT0 + 20 * 1'000'000;
  std::vector<AuditEntry> combined = ListAll(both);
  ASSERT_EQ(combined.size(), 3u);  // 12, 15, 18
  EXPECT_EQ(combined[0].path, "/p/18");
  EXPECT_EQ(combined[2].path, "/p/12");
}

TEST_F(DynamoAuditLogTest, CursorPagingHasNoGapsOrRepeats) {
  constexpr int kEntries = 120;
  std::vector<AuditEntry> recorded;
  for (int i = 0; i < kEntries; ++i) {
    // Some entries share a microsecond, and they span midnight (kT0 is 22:56 UTC).
    recorded.push_back(Entry(kT0 + (i / 4) * 5 * 60'000'000ll, "k_" + std::to_string(i % 3),
                             "/p/" + std::to_string(i)));
    log_->Record(recorded.back());
  }
  ASSERT_TRUE(log_->Flush().ok());
  for (std::size_t limit : {7u, 100u, 1000u}) {
    int pages = 0;
    std::vector<AuditEntry> all = Paged({}, limit, &pages);
    ASSERT_EQ(all.size(), recorded.size()) << "limit " << limit;
    for (int i = 0; i < kEntries; ++i) EXPECT_EQ(all[i], recorded[kEntries - 1 - i]) << limit << " " << i;
    EXPECT_EQ(pages, static_cast<int>((kEntries + limit - 1) / limit)) << limit;
  }
  AuditQuery by_key;
  by_key.key_id = "k_2";
  std::vector<AuditEntry> expected;
  for (int i = kEntries - 1; i >= 0; --i) {
    if (recorded[i].key_id == "k_2") expected.push_back(recorded[i]);
  }
  EXPECT_EQ(Paged(by_key, 6), expected);
}

TEST_F(DynamoAuditLogTest, TwoNodesWriteIntoOneLog) {
  auto other = Node();
  ASSERT_NE(other, nullptr);
  for (int i = 0; i < 10; ++i) {
    (i % 2 ? other : log_)->Record(Entry(kT0 + i, "k_a", "/p/" + std::to_string(i)));
  }
  // Both nodes at the same microsecond: both kept (their node ids differ).
  log_->Record(Entry(kT0 + 100, "k_a", "/same/a"));
  other->Record(Entry(kT0 + 100, "k_a", "/same/b"));
  ASSERT_TRUE(log_->Flush().ok());
  ASSERT_TRUE(other->Flush().ok());
  std::vector<AuditEntry> listed = ListAll();
  ASSERT_EQ(listed.size(), 12u);
  std::set<std::string> same{listed[0].path, listed[1].path};
  EXPECT_EQ(same, (std::set<std::string>{"/same/a", "/same/b"}));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(listed[2 + i].path, "/p/" + std::to_string(9 - i));
  // Both list the same.
  Result<AuditPage> from_other = other->List({});
  ASSERT_TRUE(from_other.ok());
  EXPECT_EQ(from_other->items, listed);
}

TEST_F(DynamoAuditLogTest, MalformedCursorIsInvalidArgument) {
  log_->Record(Entry(kT0, "k_a", "/p"));
  ASSERT_TRUE(log_->Flush().ok());
  for (std::string cursor : {std::string(""), std::string("abc"), std::string(16, '\0'),
                             std::string(42, 'x')}) {
    AuditQuery query;
    query.after = cursor;
    EXPECT_EQ(log_->List(query).status().code(), StatusCode::kInvalidArgument) << cursor.size();
  }
  AuditQuery oldest;  // well formed, older than every entry: an empty last page
  oldest.after = "0000000000000001#00000000#0000000000000000";
  Result<AuditPage> page = log_->List(oldest);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_TRUE(page->items.empty());
  EXPECT_FALSE(page->next_after.has_value());
}

}  // namespace
}  // namespace estoque::auth
