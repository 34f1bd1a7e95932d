// Search folding (catalog/text_fold.h): case and accents ignored, as Portuguese names need.
#include "catalog/text_fold.h"

#include <gtest/gtest.h>

namespace estoque::catalog {
namespace {

TEST(FoldForSearch, StripsAccentsAndCase) {
  EXPECT_EQ(FoldForSearch("Caf\xC3\xA9"), "cafe");                  // Café
  EXPECT_EQ(FoldForSearch("cafe"), "cafe");
  EXPECT_EQ(FoldForSearch("A\xC3\xA7\xC3\xBA" "car"), "acucar");     // Açúcar
  EXPECT_EQ(FoldForSearch("ACUCAR"), "acucar");
  EXPECT_EQ(FoldForSearch("P\xC3\xA3o de Queijo"), "pao de queijo");  // Pão
  EXPECT_EQ(FoldForSearch("\xC3\x93LEO DE SOJA"), "oleo de soja");   // ÓLEO
  EXPECT_EQ(FoldForSearch("Ma\xC3\xA7\xC3\xA3"), "maca");            // Maçã
  EXPECT_EQ(FoldForSearch("PIMENT\xC3\x83O"), "pimentao");           // PIMENTÃO
}

TEST(FoldForSearch, AlreadyDecomposedInputFoldsTheSame) {
  // "Café" written as e + U+0301 COMBINING ACUTE ACCENT (NFD), as some systems send it.
  EXPECT_EQ(FoldForSearch("Cafe\xCC\x81"), FoldForSearch("Caf\xC3\xA9"));
}

TEST(FoldForSearch, FullCaseFoldingAndAsciiFastPath) {
  EXPECT_EQ(FoldForSearch("Stra\xC3\x9F" "e"), "strasse");  // ß folds to ss
  EXPECT_EQ(FoldForSearch(""), "");
  EXPECT_EQ(FoldForSearch("Leite 1L - 12 UN"), "leite 1l - 12 un");
}

TEST(FoldForSearch, FoldedQueryIsASubstringOfFoldedName) {
  const std::string name = FoldForSearch("Caf\xC3\xA9 Torrado e Mo\xC3\xAD" "do 500g");
  EXPECT_NE(name.find(FoldForSearch("CAFE")), std::string::npos);
  EXPECT_NE(name.find(FoldForSearch("moido")), std::string::npos);
  EXPECT_NE(name.find(FoldForSearch("MO\xC3\x8D" "DO")), std::string::npos);  // MOÍDO
  EXPECT_EQ(name.find(FoldForSearch("acucar")), std::string::npos);
}

TEST(FoldForSearch, InvalidUtf8DoesNotCrash) {
  const std::string folded = FoldForSearch("caf\xC3");
  EXPECT_EQ(folded.substr(0, 3), "caf");
}

}  // namespace
}  // namespace estoque::catalog
