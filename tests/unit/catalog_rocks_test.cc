// RocksCatalog: write-through persistence across reopen, search and paging, RegisterMentioned's
// rules, record times, validation. Hermetic: each test owns a fresh directory.
#include "catalog/rocks_catalog.h"

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "catalog/catalog_codec.h"
#include "support/temp_dir.h"

namespace estoque::catalog {
namespace {

using estoque::test_support::TempDir;

std::string Barcode(int n) { return std::to_string(7890000000000ll + n); }

Product MakeProduct(std::string barcode, std::string name, std::string category = "") {
  Product product;
  product.barcode = std::move(barcode);
  product.name = std::move(name);
  product.category = std::move(category);
  return product;
}

class RocksCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    store::EngineOptions options;
    options.data_dir = dir_.path() + "/db";
    options.block_cache_bytes = 8 << 20;
    options.write_buffer_bytes = 1 << 20;
    auto engine = store::RocksEngine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
    auto catalog = RocksCatalog::Open(engine_.get(), [this] { return now_us_.load(); });
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    catalog_ = std::move(*catalog);
  }

  void Reopen() {
    catalog_.reset();
    engine_.reset();
    Open();
  }

  // Every barcode of a search, following the cursors.
  std::vector<std::string> SearchAll(std::string_view query, std::size_t limit,
                                     std::size_t* pages = nullptr) {
    std::vector<std::string> barcodes;
    std::optional<std::string> after;
    std::size_t count = 0;
    while (true) {
      Result<ProductPage> page = catalog_->SearchProducts(
          query, after ? std::optional<std::string_view>(*after) : std::nullopt, limit);
      EXPECT_TRUE(page.ok());
      if (!page.ok()) break;
      ++count;
      EXPECT_LE(page->items.size(), limit);
      for (const Product& product : page->items) barcodes.push_back(product.barcode);
      if (!page->next_after) break;
      EXPECT_EQ(*page->next_after, page->items.back().barcode);
      after = page->next_after;
    }
    if (pages) *pages = count;
    return barcodes;
  }

  TempDir dir_;
  std::atomic<int64_t> now_us_{1'000'000};
  std::unique_ptr<store::RocksEngine> engine_;
  std::unique_ptr<RocksCatalog> catalog_;
};

TEST_F(RocksCatalogTest, PutGetAndPersistAcrossReopen) {
  Product product = MakeProduct("0423746182527", "Queijo Minas", "Frios");
  product.unit = domain::Unit::kKilogram;
  product.min_stock_milli = 2'500;
  product.active = false;
  Result<Product> stored = catalog_->PutProduct(product);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_TRUE(stored->edited_by_api);
  EXPECT_EQ(stored->created_at_us, 1'000'000);
  EXPECT_EQ(stored->updated_at_us, 1'000'000);

  Branch branch;
  branch.branch = "1001";
  branch.name = "Centro";
  branch.state = "SP";
  branch.time_zone = "America/Manaus";
  branch.allow_negative_stock = true;
  ASSERT_TRUE(catalog_->PutBranch(branch).ok());

  Reopen();
  Result<Product> got = catalog_->GetProduct("0423746182527");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, *stored);
  EXPECT_EQ(catalog_->UnitOf("0423746182527"), domain::Unit::kKilogram);
  EXPECT_EQ(catalog_->DefaultMinStock("0423746182527"), 2'500);
  EXPECT_EQ(catalog_->NameOf("0423746182527"), "Queijo Minas");
  Result<Branch> got_branch = catalog_->GetBranch("1001");
  ASSERT_TRUE(got_branch.ok());
  EXPECT_EQ(got_branch->city, "");
  EXPECT_EQ(got_branch->time_zone, "America/Manaus");
  EXPECT_TRUE(catalog_->AllowsNegativeStock("1001"));
  const auto fallback = domain::TimeZone::Locate("America/Sao_Paulo").value();
  EXPECT_EQ(catalog_->TimeZoneOf("1001", fallback).name(), "America/Manaus");
  // The search index is rebuilt from disk too.
  EXPECT_EQ(SearchAll("minas", 10), std::vector<std::string>{"0423746182527"});
}

TEST_F(RocksCatalogTest, UnknownRecordsAndDefaults) {
  EXPECT_EQ(catalog_->GetProduct(Barcode(1)).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog_->DeleteProduct(Barcode(1)).code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog_->GetBranch("1001").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog_->UnitOf(Barcode(1)), std::nullopt);
  EXPECT_EQ(catalog_->DefaultMinStock(Barcode(1)), 0);
  EXPECT_EQ(catalog_->NameOf(Barcode(1)), "");
  EXPECT_FALSE(catalog_->AllowsNegativeStock("1001"));
  const auto fallback = domain::TimeZone::Locate("UTC").value();
  EXPECT_EQ(catalog_->TimeZoneOf("1001", fallback).name(), "UTC");
  Branch no_zone;
  no_zone.branch = "1002";
  ASSERT_TRUE(catalog_->PutBranch(no_zone).ok());
  EXPECT_EQ(catalog_->TimeZoneOf("1002", fallback).name(), "UTC");
}

TEST_F(RocksCatalogTest, ReplaceKeepsCreationTimeAndAdvancesUpdateTime) {
  ASSERT_TRUE(catalog_->PutProduct(MakeProduct(Barcode(1), "Leite")).ok());
  // Same clock reading (or a clock that went back): the update time still moves forward, so
  // created == updated only for the write that created the record.
  now_us_ = 500;
  Result<Product> replaced = catalog_->PutProduct(MakeProduct(Barcode(1), "Leite Integral"));
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(replaced->created_at_us, 1'000'000);
  EXPECT_EQ(replaced->updated_at_us, 1'000'001);
  now_us_ = 5'000'000;
  replaced = catalog_->PutProduct(MakeProduct(Barcode(1), "Leite Desnatado"));
  EXPECT_EQ(replaced->created_at_us, 1'000'000);
  EXPECT_EQ(replaced->updated_at_us, 5'000'000);

  Branch branch;
  branch.branch = "1001";
  Result<Branch> created = catalog_->PutBranch(branch);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->created_at_us, created->updated_at_us);
  Result<Branch> updated = catalog_->PutBranch(branch);
  EXPECT_EQ(updated->created_at_us, created->created_at_us);
  EXPECT_GT(updated->updated_at_us, created->updated_at_us);
}

TEST_F(RocksCatalogTest, InvalidRecordsAreRefusedAndNothingIsWritten) {
  EXPECT_EQ(catalog_->PutProduct(MakeProduct("123", "X")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(catalog_->PutProduct(MakeProduct(Barcode(1), "")).status().code(),
            StatusCode::kInvalidArgument);
  Product fractional = MakeProduct(Barcode(1), "Parafuso");
  fractional.min_stock_milli = 1'500;  // UN: whole numbers only
  Result<Product> refused = catalog_->PutProduct(fractional);
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.status().message(), "estoque_minimo: must be a whole number for unit UN");
  fractional.min_stock_milli = -1'000;
  EXPECT_EQ(catalog_->PutProduct(fractional).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(catalog_->PutProduct(MakeProduct(Barcode(1), "X", std::string(101, 'c')))
                .status()
                .code(),
            StatusCode::kInvalidArgument);

  Branch branch;
  branch.branch = "1001";
  branch.time_zone = "Mars/Olympus_Mons";
  Result<Branch> bad_zone = catalog_->PutBranch(branch);
  EXPECT_EQ(bad_zone.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_zone.status().message().rfind("fuso: ", 0), 0u) << bad_zone.status().message();
  branch.time_zone = "";
  branch.state = "sp";
  EXPECT_EQ(catalog_->PutBranch(branch).status().code(), StatusCode::kInvalidArgument);
  branch.state = "";
  branch.branch = "no spaces";
  EXPECT_EQ(catalog_->PutBranch(branch).status().code(), StatusCode::kInvalidArgument);

  Reopen();
  EXPECT_EQ(catalog_->GetProduct(Barcode(1)).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(catalog_->ListBranches()->empty());
}

TEST_F(RocksCatalogTest, PutProductsIsAtomicAndCounts) {
  ASSERT_TRUE(catalog_->PutProduct(MakeProduct(Barcode(2), "Arroz")).ok());
  std::vector<Product> batch = {MakeProduct(Barcode(1), "Feijão"), MakeProduct(Barcode(2), "Arroz 5kg"),
                                MakeProduct(Barcode(3), "Açúcar")};
  Result<Catalog::PutProductsOutcome> outcome = catalog_->PutProducts(batch);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->created, 2u);
  EXPECT_EQ(outcome->updated, 1u);
  EXPECT_EQ(catalog_->NameOf(Barcode(2)), "Arroz 5kg");

  // One bad product, or a repeated barcode: nothing of the batch is written.
  std::vector<Product> bad = {MakeProduct(Barcode(4), "Sal"), MakeProduct("12", "Bad")};
  Result<Catalog::PutProductsOutcome> refused = catalog_->PutProducts(bad);
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.status().message().rfind("product 1: codigo_barra: ", 0), 0u);
  std::vector<Product> repeated = {MakeProduct(Barcode(5), "Sal"), MakeProduct(Barcode(5), "Sal")};
  EXPECT_EQ(catalog_->PutProducts(repeated).status().code(), StatusCode::kInvalidArgument);
  Reopen();
  EXPECT_EQ(catalog_->GetProduct(Barcode(4)).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog_->GetProduct(Barcode(5)).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(SearchAll("", 100).size(), 3u);
}

TEST_F(RocksCatalogTest, DeleteRemovesFromMemoryDiskAndSearch) {
  ASSERT_TRUE(catalog_->PutProduct(MakeProduct(Barcode(1), "Café")).ok());
  ASSERT_TRUE(catalog_->PutProduct(MakeProduct(Barcode(2), "Café Solúvel")).ok());
  ASSERT_TRUE(catalog_->DeleteProduct(Barcode(1)).ok());
  EXPECT_EQ(catalog_->GetProduct(Barcode(1)).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(SearchAll("cafe", 10), std::vector<std::string>{Barcode(2)});
  Reopen();
  EXPECT_EQ(catalog_->GetProduct(Barcode(1)).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(SearchAll("cafe", 10), std::vector<std::string>{Barcode(2)});
  // Deleted, then created again.
  Result<Product> again = catalog_->PutProduct(MakeProduct(Barcode(1), "Café"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->created_at_us, again->updated_at_us);
}

TEST_F(RocksCatalogTest, SearchIgnoresCaseAndAccentsInBarcodeOrder) {
  ASSERT_TRUE(catalog_->PutProduct(MakeProduct(Barcode(30), "Café Torrado")).ok());
  ASSERT_TRUE(catalog_->PutProduct(MakeProduct(Barcode(10), "CAFÉ SOLÚVEL")).ok());
  ASSERT_TRUE(catalog_->PutProduct(MakeProduct(Barcode(20), "Açúcar Cristal")).ok());
  ASSERT_TRUE(catalog_->PutProduct(MakeProduct(Barcode(40), "Leite com Café")).ok());
  EXPECT_EQ(SearchAll("cafe", 10),
            (std::vector<std::string>{Barcode(10), Barcode(30), Barcode(40)}));
  EXPECT_EQ(SearchAll("ACUCAR", 10), std::vector<std::string>{Barcode(20)});
  EXPECT_EQ(SearchAll("açúcar", 10), std::vector<std::string>{Barcode(20)});
  EXPECT_EQ(SearchAll("soluvel", 10), std::vector<std::string>{Barcode(10)});
  EXPECT_TRUE(SearchAll("chocolate", 10).empty());
  EXPECT_EQ(SearchAll("", 10).size(), 4u);
}

TEST_F(RocksCatalogTest, SearchPagesNeverSkipOrRepeat) {
  std::vector<Product> batch;
  std::vector<std::string> expected_all, expected_even;
  for (int i = 0; i < 250; ++i) {
    const bool even = i % 2 == 0;
    batch.push_back(MakeProduct(Barcode(i), even ? "Pão " + std::to_string(i) : "Leite " + std::to_string(i)));
    expected_all.push_back(Barcode(i));
    if (even) expected_even.push_back(Barcode(i));
  }
  ASSERT_TRUE(catalog_->PutProducts(batch).ok());
  std::size_t pages = 0;
  EXPECT_EQ(SearchAll("", 100, &pages), expected_all);
  EXPECT_EQ(pages, 3u);
  EXPECT_EQ(SearchAll("PAO", 25, &pages), expected_even);
  EXPECT_EQ(pages, 5u);  // exactly 125 matches: the last full page says there is no more
  EXPECT_EQ(SearchAll("pao", 1000, &pages), expected_even);
  EXPECT_EQ(pages, 1u);

  // Resuming after a barcode that is not (or no longer) in the catalog works.
  Result<ProductPage> page = catalog_->SearchProducts("", std::string_view("1"), 2);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->items.front().barcode, Barcode(0));
  page = catalog_->SearchProducts("", std::string_view("9"), 2);
  EXPECT_TRUE(page->items.empty());
  EXPECT_FALSE(page->next_after);
}

TEST_F(RocksCatalogTest, RegisterMentionedCreatesUnknownProducts) {
  const std::string milk = Barcode(1), cheese = Barcode(2), nameless = Barcode(3);
  ASSERT_TRUE(catalog_->RegisterMentioned({{milk, "Leite", false},
                                           {cheese, "", true},
                                           {cheese, "Queijo", false},  // same call: merged
                                           {nameless, "", false}})
                  .ok());
  Result<Product> got = catalog_->GetProduct(milk);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->name, "Leite");
  EXPECT_EQ(got->unit, domain::Unit::kUnit);
  EXPECT_FALSE(got->edited_by_api);
  EXPECT_TRUE(got->active);
  EXPECT_EQ(got->created_at_us, got->updated_at_us);
  EXPECT_EQ(catalog_->NameOf(cheese), "Queijo");
  EXPECT_EQ(catalog_->UnitOf(cheese), domain::Unit::kKilogram);  // a fractional mention
  EXPECT_EQ(catalog_->NameOf(nameless), "");
  Reopen();  // written through
  EXPECT_EQ(catalog_->NameOf(milk), "Leite");
  EXPECT_EQ(catalog_->UnitOf(cheese), domain::Unit::kKilogram);
  EXPECT_TRUE(catalog_->GetProduct(nameless).ok());
}

TEST_F(RocksCatalogTest, RegisterMentionedNamesOnlyNamelessProducts) {
  const std::string sold = Barcode(1), named = Barcode(2);
  ASSERT_TRUE(catalog_->RegisterMentioned({{sold, "", false}, {named, "Arroz", false}}).ok());
  // A later message names the product a sale registered; names are never changed afterwards.
  ASSERT_TRUE(catalog_->RegisterMentioned({{sold, "Feijão", false}, {named, "Arroz Tipo 1", false}}).ok());
  EXPECT_EQ(catalog_->NameOf(sold), "Feijão");
  EXPECT_EQ(catalog_->NameOf(named), "Arroz");
  ASSERT_TRUE(catalog_->RegisterMentioned({{sold, "Outro", true}}).ok());
  EXPECT_EQ(catalog_->NameOf(sold), "Feijão");
  EXPECT_EQ(catalog_->UnitOf(sold), domain::Unit::kUnit);  // an existing unit is not changed
}

TEST_F(RocksCatalogTest, CatalogEditsWinOverPdvNames) {
  const std::string barcode = Barcode(1);
  ASSERT_TRUE(catalog_->RegisterMentioned({{barcode, "CAFE PILAO 500G", false}}).ok());
  ASSERT_TRUE(catalog_->PutProduct(MakeProduct(barcode, "Café Pilão 500 g")).ok());
  ASSERT_TRUE(catalog_->RegisterMentioned({{barcode, "CAFE PILAO", false}}).ok());
  EXPECT_EQ(catalog_->NameOf(barcode), "Café Pilão 500 g");
  EXPECT_EQ(catalog_->GetProduct(barcode)->created_at_us, 1'000'000);  // registration time kept
}

TEST_F(RocksCatalogTest, RegisterMentionedWithKnownBarcodesWritesNothing) {
  ASSERT_TRUE(catalog_->RegisterMentioned({{Barcode(1), "Leite", false}}).ok());
  const Product before = catalog_->GetProduct(Barcode(1)).value();
  now_us_ = 9'000'000;
  ASSERT_TRUE(catalog_->RegisterMentioned({{Barcode(1), "Leite", false}, {Barcode(1), "", true}}).ok());
  EXPECT_EQ(catalog_->GetProduct(Barcode(1)).value(), before);
  EXPECT_TRUE(catalog_->RegisterMentioned({}).ok());
}

TEST_F(RocksCatalogTest, RegisterMentionedRefusesInvalidInput) {
  EXPECT_EQ(catalog_->RegisterMentioned({{Barcode(1), "ok", false}, {"12", "x", false}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(catalog_->RegisterMentioned({{Barcode(2), "bad\x01name", false}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(catalog_->GetProduct(Barcode(1)).status().code(), StatusCode::kNotFound);
}

TEST_F(RocksCatalogTest, ListBranchesInOrder) {
  for (const char* id : {"1003", "1001", "loja-b", "1002"}) {
    Branch branch;
    branch.branch = id;
    ASSERT_TRUE(catalog_->PutBranch(branch).ok());
  }
  Result<std::vector<Branch>> branches = catalog_->ListBranches();
  ASSERT_TRUE(branches.ok());
  std::vector<std::string> ids;
  for (const Branch& branch : *branches) ids.push_back(branch.branch);
  EXPECT_EQ(ids, (std::vector<std::string>{"1001", "1002", "1003", "loja-b"}));
}

TEST_F(RocksCatalogTest, CorruptStoredValueFailsTheOpen) {
  ASSERT_TRUE(engine_->db()
                  ->Put(rocksdb::WriteOptions(), engine_->products(), Barcode(1), "\x09garbage")
                  .ok());
  catalog_.reset();
  auto reopened = RocksCatalog::Open(engine_.get());
  EXPECT_EQ(reopened.status().code(), StatusCode::kCorruption);
  EXPECT_NE(reopened.status().message().find(Barcode(1)), std::string::npos);
}

TEST_F(RocksCatalogTest, ConcurrentReadersAndWriters) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        Result<ProductPage> page = catalog_->SearchProducts("produto", std::nullopt, 50);
        ASSERT_TRUE(page.ok());
        for (const Product& product : page->items) {
          ASSERT_FALSE(product.name.empty());
        }
        (void)catalog_->NameOf(Barcode(7));
      }
    });
  }
  for (int i = 0; i < 90; ++i) {
    ASSERT_TRUE(catalog_->PutProduct(MakeProduct(Barcode(i), "Produto " + std::to_string(i))).ok());
    if (i % 3 == 0) {
      ASSERT_TRUE(catalog_->DeleteProduct(Barcode(i)).ok());
    }
  }
  stop = true;
  for (auto& reader : readers) reader.join();
  EXPECT_EQ(SearchAll("produto", 1000).size(), 60u);
}

}  // namespace
}  // namespace estoque::catalog
