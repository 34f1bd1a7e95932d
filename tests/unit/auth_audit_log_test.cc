// AuditLog: Record + Flush + List newest first, filters, cursor paging without gaps or repeats,
// the background writer, reopening, malformed cursors. Hermetic: each test owns a fresh directory.
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "auth/audit_log.h"
#include "store/rocksdb_engine.h"
#include "support/temp_dir.h"

namespace estoque::auth {
namespace {

using estoque::test_support::TempDir;

constexpr int64_t kT0 = 1'716'850'591'000'000;  // 2024-05-27, in microseconds

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

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    store::EngineOptions options;
    options.data_dir = dir_.path() + "/data";
    options.block_cache_bytes = 8 << 20;
    options.row_cache_bytes = 0;
    auto engine = store::RocksEngine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
    auto log = RocksAuditLog::Open(engine_.get());
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    log_ = std::move(*log);
  }

  void Reopen() {
    log_.reset();
    engine_.reset();
    Open();
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
      if (page_count > 10'000) {
        ADD_FAILURE() << "paging does not end";
        return all;
      }
      query.after = page->next_after;
    }
  }

  TempDir dir_;
  std::unique_ptr<store::RocksEngine> engine_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(AuditLogTest, RecordFlushListNewestFirst) {
  EXPECT_TRUE(ListAll().empty());
  std::vector<AuditEntry> recorded;
  for (int i = 0; i < 5; ++i) {
    recorded.push_back(Entry(kT0 + i * 1000, i % 2 ? "k_b" : "k_a", "/v1/posicoes/" + std::to_string(i),
                             200 + i, i == 4 ? "DELETE" : "POST"));
    log_->Record(recorded.back());
  }
  ASSERT_TRUE(log_->Flush().ok());
  std::vector<AuditEntry> listed = ListAll();
  ASSERT_EQ(listed.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(listed[i], recorded[4 - i]) << i;
  Result<AuditPage> page = log_->List({});
  ASSERT_TRUE(page.ok());
  EXPECT_FALSE(page->next_after.has_value());  // everything fit
}

TEST_F(AuditLogTest, EntriesOfTheSameMicrosecondKeepTheirOrder) {
  for (int i = 0; i < 3; ++i) log_->Record(Entry(kT0, "k_a", "/p/" + std::to_string(i)));
  ASSERT_TRUE(log_->Flush().ok());
  log_->Record(Entry(kT0, "k_a", "/p/3"));
  ASSERT_TRUE(log_->Flush().ok());
  std::vector<AuditEntry> listed = ListAll();
  ASSERT_EQ(listed.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(listed[i].path, "/p/" + std::to_string(3 - i));
}

TEST_F(AuditLogTest, TheBackgroundWriterFlushesWithoutBeingAsked) {
  log_->Record(Entry(kT0, "k_a", "/v1/movimentos"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (ListAll().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(ListAll().size(), 1u);
}

TEST_F(AuditLogTest, FiltersByKeyAndTime) {
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

  AuditQuery empty_window;
  empty_window.since_us = kT0 + 100 * 1'000'000;
  EXPECT_TRUE(ListAll(empty_window).empty());
}

TEST_F(AuditLogTest, CursorPagingHasNoGapsOrRepeats) {
  constexpr int kEntries = 250;
  std::vector<AuditEntry> recorded;
  for (int i = 0; i < kEntries; ++i) {
    // Some entries share a microsecond: the cursor must still resume between them.
    recorded.push_back(Entry(kT0 + (i / 4) * 10, "k_" + std::to_string(i % 3), "/p/" + std::to_string(i)));
    log_->Record(recorded.back());
  }
  ASSERT_TRUE(log_->Flush().ok());
  for (std::size_t limit : {1u, 7u, 100u, 250u, 1000u}) {
    int pages = 0;
    std::vector<AuditEntry> all = Paged({}, limit, &pages);
    ASSERT_EQ(all.size(), recorded.size()) << "limit " << limit;
    for (int i = 0; i < kEntries; ++i) EXPECT_EQ(all[i], recorded[kEntries - 1 - i]) << limit << " " << i;
    EXPECT_EQ(pages, static_cast<int>((kEntries + limit - 1) / limit)) << limit;
  }
  // With a key filter: exactly that key's entries, in order.
  AuditQuery by_key;
  by_key.key_id = "k_2";
  std::vector<AuditEntry> keyed = Paged(by_key, 6);
  std::vector<AuditEntry> expected;
  for (int i = kEntries - 1; i >= 0; --i) {
    if (recorded[i].key_id == "k_2") expected.push_back(recorded[i]);
  }
  EXPECT_EQ(keyed, expected);
  // With a time window.
  AuditQuery window;
  window.since_us = kT0 + 100;
  window.until_us = kT0 + 300;
  std::vector<AuditEntry> windowed = Paged(window, 9);
  expected.clear();
  for (int i = kEntries - 1; i >= 0; --i) {
    if (recorded[i].at_us >= kT0 + 100 && recorded[i].at_us <= kT0 + 300) expected.push_back(recorded[i]);
  }
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(windowed, expected);
}

TEST_F(AuditLogTest, NewEntriesDoNotDisturbAPagingInProgress) {
  for (int i = 0; i < 10; ++i) log_->Record(Entry(kT0 + i, "k_a", "/old/" + std::to_string(i)));
  ASSERT_TRUE(log_->Flush().ok());
  AuditQuery query;
  query.limit = 4;
  Result<AuditPage> first = log_->List(query);
  ASSERT_TRUE(first.ok() && first->next_after.has_value());
  for (int i = 0; i < 5; ++i) log_->Record(Entry(kT0 + 100 + i, "k_a", "/new/" + std::to_string(i)));
  ASSERT_TRUE(log_->Flush().ok());
  query.after = first->next_after;
  std::vector<AuditEntry> rest = Paged(query, 4);
  ASSERT_EQ(rest.size(), 6u);
  EXPECT_EQ(rest.front().path, "/old/5");
  EXPECT_EQ(rest.back().path, "/old/0");
}

TEST_F(AuditLogTest, ReopeningKeepsEntriesAndTheSequence) {
  for (int i = 0; i < 3; ++i) log_->Record(Entry(kT0, "k_a", "/before/" + std::to_string(i)));
  ASSERT_TRUE(log_->Flush().ok());
  log_->Record(Entry(kT0 + 5, "k_a", "/unflushed"));  // the destructor writes it
  Reopen();
  ASSERT_EQ(ListAll().size(), 4u);
  // Same microsecond as before the restart: the sequence continues, nothing is overwritten.
  for (int i = 0; i < 2; ++i) log_->Record(Entry(kT0, "k_b", "/after/" + std::to_string(i)));
  log_->Record(Entry(kT0 + 5, "k_b", "/after/late"));
  ASSERT_TRUE(log_->Flush().ok());
  std::vector<AuditEntry> listed = ListAll();
  std::vector<std::string> paths;
  for (const AuditEntry& entry : listed) paths.push_back(entry.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"/after/late", "/unflushed", "/after/1", "/after/0",
                                             "/before/2", "/before/1", "/before/0"}));
}

TEST_F(AuditLogTest, MalformedCursorIsInvalidArgument) {
  log_->Record(Entry(kT0, "k_a", "/p"));
  ASSERT_TRUE(log_->Flush().ok());
  for (std::string cursor : {std::string(""), std::string("abc"), std::string(15, 'x'), std::string(17, 'x')}) {
    AuditQuery query;
    query.after = cursor;
    EXPECT_EQ(log_->List(query).status().code(), StatusCode::kInvalidArgument) << cursor.size();
  }
  // A well-formed cursor past every entry is simply an empty page.
  AuditQuery oldest;
  oldest.after = std::string(16, '\0');
  Result<AuditPage> page = log_->List(oldest);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->items.empty());
  EXPECT_FALSE(page->next_after.has_value());
}

TEST_F(AuditLogTest, LongFieldsAreKeptWithinTheirBound) {
  AuditEntry entry = Entry(kT0, "k_a", "/" + std::string(70'000, 'p'));
  log_->Record(entry);
  ASSERT_TRUE(log_->Flush().ok());
  std::vector<AuditEntry> listed = ListAll();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].path.size(), 65'535u);  // truncated to the u16 length, still readable
  EXPECT_EQ(listed[0].key_id, "k_a");
}

}  // namespace
}  // namespace estoque::auth
