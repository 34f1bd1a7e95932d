// ReadFilteredPage (api/scoped_page.h): a filtered listing walked page by page returns every kept
// row once, in order, never more than `limit` per page, and stops reading at the scan budget with
// a cursor that resumes where it stopped.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "api/scoped_page.h"

namespace estoque::api::handlers {
namespace {

struct Page {
  std::vector<int> items;
  std::optional<std::string> next_after;
};

// A store listing 0..size-1 in order; the cursor is the last row's number.
struct Listing {
  int size = 0;
  int fetches = 0;
  Result<Page> operator()(std::optional<std::string_view> after, std::size_t limit) {
    ++fetches;
    Page page;
    int next = after ? std::stoi(std::string(*after)) + 1 : 0;
    for (; next < size && page.items.size() < limit; ++next) page.items.push_back(next);
    if (next < size && !page.items.empty()) page.next_after = std::to_string(page.items.back());
    return page;
  }
};

std::vector<int> WalkAll(Listing& listing, int modulus, std::size_t limit, std::size_t* pages) {
  std::vector<int> rows;
  std::optional<std::string> after;
  *pages = 0;
  while (true) {
    Result<Page> page = ReadFilteredPage<Page>(
        listing, [&](int row) { return row % modulus == 0; }, after, limit);
    EXPECT_TRUE(page.ok());
    ++*pages;
    EXPECT_LE(page->items.size(), limit);
    rows.insert(rows.end(), page->items.begin(), page->items.end());
    if (!page->next_after) break;
    after = page->next_after;
  }
  return rows;
}

TEST(ScopedPageTest, EveryKeptRowOnceInOrder) {
  for (std::size_t limit : {1u, 2u, 7u, 100u}) {
    Listing listing{100};
    std::size_t pages = 0;
    const std::vector<int> rows = WalkAll(listing, 3, limit, &pages);
    std::vector<int> expected;
    for (int i = 0; i < 100; i += 3) expected.push_back(i);
    EXPECT_EQ(rows, expected) << "limit " << limit;
  }
}

TEST(ScopedPageTest, FullPagesWhileRowsRemain) {
  Listing listing{100};
  Result<Page> page =
      ReadFilteredPage<Page>(listing, [](int row) { return row % 10 == 0; }, std::nullopt, 4);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->items, (std::vector<int>{0, 10, 20, 30}));
  ASSERT_TRUE(page->next_after.has_value());
  EXPECT_EQ(*page->next_after, "30");  // nothing read past the last kept row
}

TEST(ScopedPageTest, StopsAtTheScanBudgetWithACursor) {
  Listing listing{static_cast<int>(kScopedScanRowsMax) * 3};
  Result<Page> page =
      ReadFilteredPage<Page>(listing, [](int) { return false; }, std::nullopt, 1000);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->items.empty());
  ASSERT_TRUE(page->next_after.has_value());
  EXPECT_EQ(std::stoul(*page->next_after) + 1, kScopedScanRowsMax);
}

TEST(ScopedPageTest, FetchErrorsPassThrough) {
  auto failing = [](std::optional<std::string_view>, std::size_t) -> Result<Page> {
    return Status::InvalidArgument("malformed cursor");
  };
  Result<Page> page = ReadFilteredPage<Page>(failing, [](int) { return true; }, std::nullopt, 5);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace estoque::api::handlers
