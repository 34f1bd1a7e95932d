// DynamoCatalog against DynamoDB Local (started once for this binary, a table prefix per test):
// the Catalog contract as RocksCatalog keeps it (tests/unit/catalog_rocks_test.cc), and what N
// stateless nodes add: two DynamoCatalog instances on one table set are two nodes. A node sees
// its own writes at once, reads of one record see every node's writes at once, the cached
// lookups and search after a refresh; conditional writes keep API edits from being overwritten
// by a node whose cache is stale, and never lose a concurrent edit.
#include "catalog/dynamo_catalog.h"

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "aws/dynamodb_tables.h"
#include "support/shared_dynamodb_local.h"

namespace estoque::catalog {
namespace {

std::string Barcode(int n) { return std::to_string(7890000000000ll + n); }

Product MakeProduct(std::string barcode, std::string name) {
  Product product;
  product.barcode = std::move(barcode);
  product.name = std::move(name);
  return product;
}

Branch MakeBranch(std::string code, std::string zone = "") {
  Branch branch;
  branch.branch = std::move(code);
  branch.name = "Loja " + branch.branch;
  branch.time_zone = std::move(zone);
  return branch;
}

class DynamoCatalogTest : public test_support::SharedDynamoDbTest {
 protected:
  // A node: its own catalog instance over the test's tables. The refresh thread runs rarely, so
  // the tests decide when a node reads other nodes' changes (Refresh).
  std::unique_ptr<DynamoCatalog> Node() {
    DynamoCatalogOptions options;
    options.tables.prefix = prefix_;
    options.tables.poll_interval = std::chrono::milliseconds(50);
    options.refresh_interval = std::chrono::hours(1);
    auto catalog = DynamoCatalog::Open(client_.get(), options);
    EXPECT_TRUE(catalog.ok()) << catalog.status().ToString();
    return catalog.ok() ? std::move(*catalog) : nullptr;
  }

  std::vector<std::string> SearchAll(Catalog& catalog, std::string_view query, std::size_t limit,
                                     std::size_t* pages = nullptr) {
    std::vector<std::string> barcodes;
    std::optional<std::string> after;
    std::size_t count = 0;
    while (true) {
      Result<ProductPage> page = catalog.SearchProducts(
          query, after ? std::optional<std::string_view>(*after) : std::nullopt, limit);
      EXPECT_TRUE(page.ok());
      if (!page.ok()) break;
      ++count;
      for (const Product& product : page->items) barcodes.push_back(product.barcode);
      if (!page->next_after) break;
      after = page->next_after;
    }
    if (pages) *pages = count;
    return barcodes;
  }
};

TEST_F(DynamoCatalogTest, CreatesItsTablesWithTheChangeIndexInTheConfiguredMode) {
  DynamoCatalogOptions options;
  options.tables.prefix = prefix_;
  options.tables.billing_mode = aws::dynamodb::BillingMode::kProvisioned;
  options.tables.throughput = {7, 3};
  auto catalog = DynamoCatalog::Open(client_.get(), options);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  for (const char* table : {"produtos", "filiais"}) {
    auto description = aws::dynamodb::DescribeTable(*client_, prefix_ + table);
    ASSERT_TRUE(description.ok()) << description.error().ToString();
    EXPECT_EQ(description->at("ProvisionedThroughput").at("ReadCapacityUnits"), 7);
    EXPECT_EQ(description->at("ProvisionedThroughput").at("WriteCapacityUnits"), 3);
    const auto& indexes = description->at("GlobalSecondaryIndexes").as_array();
    ASSERT_EQ(indexes.size(), 1u);
    EXPECT_EQ(indexes[0].at("IndexName"), "por_atualizacao");
  }
  // A second node finds the tables and uses them as they are.
  EXPECT_NE(Node(), nullptr);
}

TEST_F(DynamoCatalogTest, AWriteIsSeenAtOnceByItsNodeAndByOtherNodesAfterARefresh) {
  auto a = Node(), b = Node();
  ASSERT_TRUE(a && b);
  Result<Product> put = a->PutProduct(MakeProduct(Barcode(1), "Café Torrado"));
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_TRUE(put->edited_by_api);
  EXPECT_EQ(put->created_at_us, put->updated_at_us);
  EXPECT_EQ(a->NameOf(Barcode(1)), "Café Torrado");
  // GetProduct reads the table: b sees it at once; its cached lookups after a refresh.
  Result<Product> got = b->GetProduct(Barcode(1));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, *put);
  auto c = Node();  // a third node, not refreshed: nothing cached until it refreshes
  ASSERT_TRUE(c);
  ASSERT_TRUE(a->PutProduct(MakeProduct(Barcode(2), "Leite")).ok());
  EXPECT_EQ(c->NameOf(Barcode(2)), "");
  ASSERT_TRUE(c->Refresh().ok());
  EXPECT_EQ(c->NameOf(Barcode(2)), "Leite");
  EXPECT_EQ(c->UnitOf(Barcode(2)), domain::Unit::kUnit);
  // A new node loads everything at its start.
  auto d = Node();
  ASSERT_TRUE(d);
  EXPECT_EQ(SearchAll(*d, "", 10), (std::vector<std::string>{Barcode(1), Barcode(2)}));
}

TEST_F(DynamoCatalogTest, SearchIgnoresCaseAndAccentsAndPagesNeverSkipOrRepeat) {
  auto a = Node(), b = Node();
  ASSERT_TRUE(a && b);
  std::vector<Product> batch;
  std::vector<std::string> expected_all, expected_even;
  for (int i = 0; i < 100; ++i) {
    const bool even = i % 2 == 0;
    batch.push_back(MakeProduct(Barcode(i), even ? "Pão " + std::to_string(i) : "Café " + std::to_string(i)));
    expected_all.push_back(Barcode(i));
    if (even) expected_even.push_back(Barcode(i));
  }
  Result<Catalog::PutProductsOutcome> outcome = a->PutProducts(batch);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->created, 100u);
  ASSERT_TRUE(b->Refresh().ok());
  for (Catalog* catalog : {static_cast<Catalog*>(a.get()), static_cast<Catalog*>(b.get())}) {
    std::size_t pages = 0;
    EXPECT_EQ(SearchAll(*catalog, "", 40, &pages), expected_all);
    EXPECT_EQ(pages, 3u);
    EXPECT_EQ(SearchAll(*catalog, "PAO", 10, &pages), expected_even);
    EXPECT_EQ(pages, 5u);
    EXPECT_EQ(SearchAll(*catalog, "cafe", 100).size(), 50u);
    EXPECT_EQ(SearchAll(*catalog, "CAFÉ 7", 100),
              (std::vector<std::string>{Barcode(7), Barcode(71), Barcode(73), Barcode(75),
                                        Barcode(77), Barcode(79)}));
  }
}

TEST_F(DynamoCatalogTest, PutProductsIsOneTransactionOfAtMostAHundred) {
  auto a = Node();
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->PutProduct(MakeProduct(Barcode(1), "Arroz")).ok());
  Result<Catalog::PutProductsOutcome> outcome =
      a->PutProducts({MakeProduct(Barcode(1), "Arroz 5kg"), MakeProduct(Barcode(2), "Feijão")});
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->created, 1u);
  EXPECT_EQ(outcome->updated, 1u);
  // One invalid record: nothing written.
  Result<Catalog::PutProductsOutcome> invalid =
      a->PutProducts({MakeProduct(Barcode(3), "Sal"), MakeProduct(Barcode(4), "")});
  EXPECT_EQ(invalid.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a->GetProduct(Barcode(3)).status().code(), StatusCode::kNotFound);
  std::vector<Product> too_many;
  for (int i = 0; i < 101; ++i) too_many.push_back(MakeProduct(Barcode(100 + i), "Item"));
  Result<Catalog::PutProductsOutcome> refused = a->PutProducts(too_many);
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("at most 100"), std::string::npos);
  EXPECT_EQ(a->GetProduct(Barcode(100)).status().code(), StatusCode::kNotFound);
}

TEST_F(DynamoCatalogTest, AStaleNodeNeverOverwritesAnApiEditWithAPdvName) {
  auto a = Node(), b = Node();
  ASSERT_TRUE(a && b);
  // A PDV message names an unknown product on b: created from the first message.
  ASSERT_TRUE(b->RegisterMentioned({{Barcode(1), "", false}}).ok());
  Result<Product> created = a->GetProduct(Barcode(1));
  ASSERT_TRUE(created.ok());
  EXPECT_FALSE(created->edited_by_api);
  EXPECT_EQ(created->name, "");
  // The API edits it on a; b still caches the nameless product.
  ASSERT_TRUE(a->PutProduct(MakeProduct(Barcode(1), "Nome do Cadastro")).ok());
  EXPECT_EQ(b->NameOf(Barcode(1)), "");
  // b's next mention carries a name: b's cache says "nameless, not edited", but the write's
  // condition fails on the newer item and the decision, made again on it, is not to write.
  ASSERT_TRUE(b->RegisterMentioned({{Barcode(1), "Nome do PDV", false}}).ok());
  Result<Product> after = a->GetProduct(Barcode(1));
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->name, "Nome do Cadastro");
  EXPECT_TRUE(after->edited_by_api);
  EXPECT_EQ(b->NameOf(Barcode(1)), "Nome do Cadastro");  // b learnt the item from the failure

  // Two nodes meeting the same unknown barcode create it once; the first name wins.
  ASSERT_TRUE(a->RegisterMentioned({{Barcode(2), "Primeiro", true}}).ok());
  ASSERT_TRUE(b->RegisterMentioned({{Barcode(2), "Segundo", false}}).ok());
  Result<Product> once = b->GetProduct(Barcode(2));
  ASSERT_TRUE(once.ok());
  EXPECT_EQ(once->name, "Primeiro");
  EXPECT_EQ(once->unit, domain::Unit::kKilogram);
  EXPECT_EQ(once->created_at_us, once->updated_at_us);

  EXPECT_EQ(a->RegisterMentioned({{"12", "x", false}}).code(), StatusCode::kInvalidArgument);
}

TEST_F(DynamoCatalogTest, ManyUnknownProductsAreCreatedInTransactionsThatYieldToOtherNodes) {
  auto a = Node(), b = Node();
  ASSERT_TRUE(a && b);
  // b created one of them first (a does not know it): the transaction holding it is cancelled
  // and its products are written one by one, the known one decided again (not renamed).
  ASSERT_TRUE(b->RegisterMentioned({{Barcode(1'050), "Nome de b", false}}).ok());
  std::vector<std::string> barcodes(250), names(250);  // the mentions' views point into them
  std::vector<Catalog::Mention> mentions;
  for (int i = 0; i < 250; ++i) {
    barcodes[i] = Barcode(1'000 + i);
    names[i] = "Produto " + std::to_string(i);
    mentions.push_back({barcodes[i], names[i], i % 7 == 0});
  }
  ASSERT_TRUE(a->RegisterMentioned(mentions).ok());
  auto c = Node();  // loads what the table holds
  ASSERT_TRUE(c);
  EXPECT_EQ(SearchAll(*c, "", 1000).size(), 250u);
  EXPECT_EQ(c->NameOf(Barcode(1'050)), "Nome de b");
  EXPECT_EQ(a->NameOf(Barcode(1'050)), "Nome de b");  // learnt from the failed condition
  EXPECT_EQ(c->NameOf(Barcode(1'249)), "Produto 249");
  EXPECT_EQ(c->UnitOf(Barcode(1'007)), domain::Unit::kKilogram);
  // Known now: a second call writes nothing (and costs no request: its cache knows them all).
  ASSERT_TRUE(a->RegisterMentioned(mentions).ok());
}

TEST_F(DynamoCatalogTest, ConcurrentEditsFromTwoNodesAreNeverLost) {
  auto a = Node(), b = Node();
  ASSERT_TRUE(a && b);
  Result<Product> initial = a->PutProduct(MakeProduct(Barcode(1), "Início"));
  ASSERT_TRUE(initial.ok());
  ASSERT_TRUE(b->Refresh().ok());
  // Each node edits the product 10 times, in parallel, from a cache that is stale after the
  // other's first write. An edit either lands (its version condition failed on the other's
  // newer item and it was decided again on that item) or, after kWriteAttemptsMax lost races,
  // says Conflict; none is silently overwritten.
  std::vector<Product> written[2];
  std::vector<std::string> failures[2];
  std::vector<std::thread> writers;
  for (int n = 0; n < 2; ++n) {
    writers.emplace_back([node = n == 0 ? a.get() : b.get(), n, &written = written[n],
                          &failures = failures[n]] {
      for (int i = 0; i < 10; ++i) {
        const std::string name = std::string(n == 0 ? "A" : "B") + std::to_string(i);
        Result<Product> put = node->PutProduct(MakeProduct(Barcode(1), name));
        if (put.ok()) written.push_back(*put);
        if (!put.ok() && put.status().code() != StatusCode::kConflict) {
          failures.push_back(put.status().ToString());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  EXPECT_TRUE(failures[0].empty()) << failures[0].front();
  EXPECT_TRUE(failures[1].empty()) << failures[1].front();
  // Every write got its own time, after the one before it; the stored item is the newest write.
  EXPECT_FALSE(written[0].empty());
  EXPECT_FALSE(written[1].empty());
  std::vector<Product> all = written[0];
  all.insert(all.end(), written[1].begin(), written[1].end());
  std::sort(all.begin(), all.end(),
            [](const Product& x, const Product& y) { return x.updated_at_us < y.updated_at_us; });
  for (std::size_t i = 1; i < all.size(); ++i) {
    EXPECT_LT(all[i - 1].updated_at_us, all[i].updated_at_us);
  }
  for (const Product& product : all) EXPECT_EQ(product.created_at_us, initial->created_at_us);
  Result<Product> last = a->GetProduct(Barcode(1));
  ASSERT_TRUE(last.ok());
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(*last, all.back());
}

TEST_F(DynamoCatalogTest, ADeletionReachesOtherNodesThroughItsTombstone) {
  auto a = Node(), b = Node();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->PutProduct(MakeProduct(Barcode(1), "Biscoito")).ok());
  ASSERT_TRUE(b->Refresh().ok());
  EXPECT_EQ(b->NameOf(Barcode(1)), "Biscoito");
  ASSERT_TRUE(a->DeleteProduct(Barcode(1)).ok());
  EXPECT_EQ(a->DeleteProduct(Barcode(1)).code(), StatusCode::kNotFound);
  EXPECT_EQ(b->GetProduct(Barcode(1)).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(b->Refresh().ok());
  EXPECT_EQ(b->NameOf(Barcode(1)), "");
  EXPECT_TRUE(SearchAll(*b, "", 10).empty());
  // A refresh that reads the older write again (the overlap) does not bring it back.
  ASSERT_TRUE(b->Refresh().ok());
  EXPECT_FALSE(b->UnitOf(Barcode(1)).has_value());
  // Created again: a new record.
  Result<Product> again = b->PutProduct(MakeProduct(Barcode(1), "Biscoito Novo"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->created_at_us, again->updated_at_us);
  ASSERT_TRUE(a->Refresh().ok());
  EXPECT_EQ(a->NameOf(Barcode(1)), "Biscoito Novo");
  auto c = Node();  // loads tombstones and records alike
  ASSERT_TRUE(c);
  EXPECT_EQ(c->NameOf(Barcode(1)), "Biscoito Novo");
}

TEST_F(DynamoCatalogTest, BranchesAcrossNodes) {
  auto a = Node(), b = Node();
  ASSERT_TRUE(a && b);
  Branch branch = MakeBranch("1002", "America/Manaus");
  branch.allow_negative_stock = true;
  ASSERT_TRUE(a->PutBranch(branch).ok());
  ASSERT_TRUE(a->PutBranch(MakeBranch("1001")).ok());
  EXPECT_EQ(a->PutBranch(MakeBranch("1003", "Mars/Olympus")).status().code(),
            StatusCode::kInvalidArgument);
  const auto utc = domain::TimeZone::Locate("UTC").value();
  EXPECT_FALSE(b->AllowsNegativeStock("1002"));
  Result<std::vector<Branch>> listed = b->ListBranches();  // reads the table
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].branch, "1001");
  EXPECT_EQ((*listed)[1].branch, "1002");
  EXPECT_TRUE(b->AllowsNegativeStock("1002"));
  EXPECT_EQ(b->TimeZoneOf("1002", utc).name(), "America/Manaus");
  // An edit on b reaches a's cache after a refresh; created_at kept, updated_at raised.
  branch.allow_negative_stock = false;
  Result<Branch> edited = b->PutBranch(branch);
  ASSERT_TRUE(edited.ok());
  EXPECT_LT(edited->created_at_us, edited->updated_at_us);
  EXPECT_TRUE(a->AllowsNegativeStock("1002"));
  ASSERT_TRUE(a->Refresh().ok());
  EXPECT_FALSE(a->AllowsNegativeStock("1002"));
  Result<Branch> got = a->GetBranch("1002");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, *edited);
  EXPECT_EQ(a->GetBranch("9999").status().code(), StatusCode::kNotFound);
}

TEST_F(DynamoCatalogTest, TheRefreshThreadFollowsOtherNodes) {
  DynamoCatalogOptions options;
  options.tables.prefix = prefix_;
  options.refresh_interval = std::chrono::milliseconds(50);
  auto a = DynamoCatalog::Open(client_.get(), options);
  auto b = DynamoCatalog::Open(client_.get(), options);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->PutProduct(MakeProduct(Barcode(1), "Manteiga")).ok());
  for (int i = 0; i < 200 && (*b)->NameOf(Barcode(1)).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ((*b)->NameOf(Barcode(1)), "Manteiga");
}

}  // namespace
}  // namespace estoque::catalog
