#include "domain/branch.h"

#include <gtest/gtest.h>

#include <string>

namespace estoque::domain {
namespace {

TEST(BranchTest, AcceptsAllowedCharactersAndLengths) {
  for (const std::string& branch :
       {std::string("1001"), std::string("1002"), std::string("a"), std::string("Z"),
        std::string("0"), std::string("_"), std::string("-"), std::string("loja-centro_01"),
        std::string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"), std::string(32, '9')}) {
    EXPECT_TRUE(ValidateBranch(branch).ok()) << branch;
  }
}

TEST(BranchTest, RejectsEmptyTooLongAndOtherCharacters) {
  const std::string bad[] = {
      "",           std::string(33, '1'), "10 01",     " 1001",   "1001 ", "1001\n",
      "loja.centro", "loja/1",            "filial#1",  "ção",     "10:01", "a+b",
      "1001\t",      std::string("10\0" "01", 5),       "\x7f",    "\xc3\xa7", "{}",
  };
  for (const std::string& branch : bad) {
    const Status status = ValidateBranch(branch);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << branch;
    EXPECT_EQ(status.message(), "must be 1 to 32 characters of A-Z a-z 0-9 _ -") << branch;
  }
}

TEST(BranchTest, EveryByteOutsideTheSetIsRejected) {
  for (int byte = 0; byte < 256; ++byte) {
    const char c = static_cast<char>(byte);
    const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                         (c >= '0' && c <= '9') || c == '_' || c == '-';
    EXPECT_EQ(ValidateBranch(std::string(1, c)).ok(), allowed) << byte;
  }
}

}  // namespace
}  // namespace estoque::domain
