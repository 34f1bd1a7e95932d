// Listings read by a caller that sees only some rows (a key scoped to several branches, listing
// without a `filial`): the store's pages are filtered in the API layer. For a key with one branch
// the handlers pass that branch to the store instead (ResolveListBranch), and the ledger filters
// in the store (LedgerQuery::branches); this is for the rest.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.h"

namespace estoque::api::handlers {

// Rows a filtered page may read before it returns (with a cursor) even if it kept fewer than
// `limit`: bounds the work of one request when the caller's rows are rare.
inline constexpr std::size_t kScopedScanRowsMax = 10'000;

// Reads store pages with `fetch(after, n)` (at most n rows after the resume point `after`, as a
// Page with `items` and `next_after`), keeping the rows for which `keep(row)` is true, until
// `limit` rows were kept, the listing ended, or kScopedScanRowsMax rows were read. Each fetch asks
// only for the rows still missing, so the kept rows never exceed `limit` and the returned
// next_after (the store's, after the last row READ) skips and repeats nothing. A page may
// therefore hold fewer than `limit` rows, even none, and still have a next_after: clients follow
// the cursor until it is null. Errors of `fetch` are returned as they are.
template <typename Page, typename Fetch, typename Keep>
Result<Page> ReadFilteredPage(Fetch&& fetch, Keep&& keep, std::optional<std::string> after,
                              std::size_t limit) {
  Page page;
  std::size_t read = 0;
  while (true) {
    const std::size_t missing = limit - page.items.size();
    Result<Page> chunk = fetch(after ? std::optional<std::string_view>(*after) : std::nullopt,
                               missing);
    if (!chunk.ok()) return chunk.status();
    read += chunk->items.size();
    for (auto& row : chunk->items) {
      if (keep(row)) page.items.push_back(std::move(row));
    }
    after = std::move(chunk->next_after);
    if (!after.has_value() || chunk->items.empty() || page.items.size() == limit ||
        read >= kScopedScanRowsMax) {
      break;
    }
  }
  page.next_after = std::move(after);
  return page;
}

}  // namespace estoque::api::handlers
