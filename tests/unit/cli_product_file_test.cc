// Product files of `estoque import produtos` (cli/product_file.h): JSON and CSV, every check.
// (The seed's catalog file is imported end to end in e2e_catalog_test.cc.)
#include "cli/product_file.h"

#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace estoque::cli {
namespace {

using estoque::test_support::TempDir;

class ProductFileTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& contents) {
    const std::string path = dir_.path() + "/" + name;
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }

  Status ErrorOf(const std::string& name, const std::string& contents) {
    Result<std::vector<ProductRow>> rows = ReadProductFile(Write(name, contents));
    EXPECT_FALSE(rows.ok());
    return rows.status();
  }

  TempDir dir_;
};

TEST_F(ProductFileTest, JsonWithEveryField) {
  Result<std::vector<ProductRow>> rows = ReadProductFile(Write(
      "p.json", R"([{"codigo_barra":"0423746182527","nome_produto":"Queijo","unidade":"KG",
                     "categoria":"Frios","estoque_minimo":2.5,"ativo":false,"outro":1}])"));
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  const catalog::Product& product = rows->at(0).product;
  EXPECT_EQ(product.barcode, "0423746182527");
  EXPECT_EQ(product.unit, domain::Unit::kKilogram);
  EXPECT_EQ(product.category, "Frios");
  EXPECT_EQ(product.min_stock_milli, 2'500);
  EXPECT_FALSE(product.active);
}

TEST_F(ProductFileTest, JsonProblemsNameTheIndex) {
  Status status = ErrorOf("p.json", R"([{"codigo_barra":"0423746182527","nome_produto":"A"},
                                        {"codigo_barra":4237461825,"nome_produto":"B"},
                                        {"codigo_barra":"0423746182527","nome_produto":"C"}])");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("index 1: codigo_barra: must be a string"), std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("index 2: codigo_barra: duplicate of item 0"), std::string::npos)
      << status.message();
  EXPECT_NE(ErrorOf("p.json", "[").message().find("not valid JSON"), std::string::npos);
  EXPECT_NE(ErrorOf("p.json", "[]").message().find("has no products"), std::string::npos);
}

TEST_F(ProductFileTest, CsvWithCommasHeaderInAnyOrderAndDefaults) {
  Result<std::vector<ProductRow>> rows = ReadProductFile(Write(
      "p.csv",
      "Nome_Produto, codigo_barra ,unidade,categoria,estoque_minimo,ativo\r\n"
      "\"Caf\xC3\xA9, 500g\",7891000315507,un,Mercearia,12,sim\r\n"
      "Queijo,0423746182527,KG,,1.5,false\r\n"
      "  Leite  ,7891000100103,,,,\r\n"));
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ(rows->at(0).where, "line 2");
  EXPECT_EQ(rows->at(0).product.name, "Caf\xC3\xA9, 500g");
  EXPECT_EQ(rows->at(0).product.barcode, "7891000315507");
  EXPECT_EQ(rows->at(0).product.min_stock_milli, 12'000);
  EXPECT_TRUE(rows->at(0).product.active);
  EXPECT_EQ(rows->at(1).product.unit, domain::Unit::kKilogram);
  EXPECT_EQ(rows->at(1).product.min_stock_milli, 1'500);
  EXPECT_FALSE(rows->at(1).product.active);
  EXPECT_EQ(rows->at(2).product.name, "Leite");
  EXPECT_EQ(rows->at(2).product.unit, domain::Unit::kUnit);
  EXPECT_EQ(rows->at(2).product.category, "");
}

TEST_F(ProductFileTest, CsvWithSemicolonsAndDecimalComma) {
  Result<std::vector<ProductRow>> rows = ReadProductFile(Write(
      "p.txt", "codigo_barra;nome_produto;unidade;estoque_minimo\n"
               "0423746182527;Queijo Minas;KG;2,75\n"));
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->at(0).product.min_stock_milli, 2'750);
}

TEST_F(ProductFileTest, CsvProblemsNameTheLine) {
  Status status = ErrorOf("p.csv",
                          "codigo_barra,nome_produto,unidade,estoque_minimo,ativo\n"
                          "123,Curto,UN,1,true\n"
                          "7891000315507,Parafuso,UN,1.5,true\n"
                          "7891000100103,,CX,1,talvez\n"
                          "7891000315507,Repetido,UN,1,true\n"
                          "7891000315508,Faltando\n");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  const std::string& message = status.message();
  EXPECT_NE(message.find("7 problem(s)"), std::string::npos) << message;
  EXPECT_NE(message.find("line 2: codigo_barra: must be 8 to 14 digits"), std::string::npos);
  EXPECT_NE(message.find("line 3: estoque_minimo: must be a whole number for unit UN"),
            std::string::npos);
  EXPECT_NE(message.find("line 4: unidade: must be one of UN, KG, L, M"), std::string::npos);
  EXPECT_NE(message.find("line 4: nome_produto: must have 1 to 200 characters"), std::string::npos);
  EXPECT_NE(message.find("line 4: ativo:"), std::string::npos);
  EXPECT_EQ(message.find("line 4: estoque_minimo"), std::string::npos);
  EXPECT_NE(message.find("line 5: codigo_barra: 7891000315507 repeats line 3"), std::string::npos)
      << message;
  EXPECT_NE(message.find("line 6: has 2 fields, the header has 5"), std::string::npos);
}

TEST_F(ProductFileTest, CsvHeaderProblems) {
  EXPECT_NE(ErrorOf("p.csv", "codigo_barra,nome,x\n").message().find("unknown column 'nome'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("p.csv", "codigo_barra,codigo_barra\n").message().find("appears twice"),
            std::string::npos);
  EXPECT_NE(ErrorOf("p.csv", "codigo_barra,unidade\n").message().find("no nome_produto column"),
            std::string::npos);
  EXPECT_NE(ErrorOf("p.csv", "").message().find("no header row"), std::string::npos);
  EXPECT_NE(ErrorOf("p.csv", "codigo_barra,nome_produto\n").message().find("has no products"),
            std::string::npos);
  EXPECT_EQ(ReadProductFile(dir_.path() + "/missing.csv").status().code(), StatusCode::kNotFound);
}

TEST_F(ProductFileTest, FormatDetection) {
  EXPECT_EQ(DetectProductFileFormat("a.JSON", "x"), ProductFileFormat::kJson);
  EXPECT_EQ(DetectProductFileFormat("a.Csv", "["), ProductFileFormat::kCsv);
  EXPECT_EQ(DetectProductFileFormat("produtos", " \n[{}]"), ProductFileFormat::kJson);
  EXPECT_EQ(DetectProductFileFormat("produtos.txt", "codigo_barra,nome_produto"),
            ProductFileFormat::kCsv);
}

}  // namespace
}  // namespace estoque::cli
