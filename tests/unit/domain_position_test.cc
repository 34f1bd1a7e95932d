#include "domain/position.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

namespace estoque::domain {
namespace {

Position MakePosition(int64_t updated_at_us, int64_t quantity_milli, std::string name = "Café") {
  return Position{"7891000315507", "1001", std::move(name), quantity_milli, updated_at_us};
}

// What a store does with each delivery: keep the incoming one iff it supersedes the stored one.
void Apply(std::optional<Position>* stored, const Position& incoming) {
  if (!stored->has_value() || Supersedes(incoming, **stored)) *stored = incoming;
}

TEST(PositionTest, NewerWins) {
  const Position old_position = MakePosition(1000, 5000);
  const Position new_position = MakePosition(1001, 1);
  EXPECT_TRUE(Supersedes(new_position, old_position));
  EXPECT_FALSE(Supersedes(old_position, new_position));  // older is dropped
}

TEST(PositionTest, TimeDominatesQuantityAndName) {
  EXPECT_TRUE(Supersedes(MakePosition(2, 0, "A"), MakePosition(1, 999999, "zzz")));
  EXPECT_FALSE(Supersedes(MakePosition(1, 999999, "zzz"), MakePosition(2, 0, "A")));
  EXPECT_TRUE(Supersedes(MakePosition(2, -5), MakePosition(1, 5)));
}

TEST(PositionTest, EqualTimesAreSettledDeterministically) {
  // Larger quantity wins ...
  EXPECT_TRUE(Supersedes(MakePosition(7, 2000), MakePosition(7, 1000)));
  EXPECT_FALSE(Supersedes(MakePosition(7, 1000), MakePosition(7, 2000)));
  EXPECT_TRUE(Supersedes(MakePosition(7, 0), MakePosition(7, -1)));
  // ... then the byte-wise greater name (UTF-8 bytes compare as unsigned).
  EXPECT_TRUE(Supersedes(MakePosition(7, 1000, "Cafe"), MakePosition(7, 1000, "Cafa")));
  EXPECT_FALSE(Supersedes(MakePosition(7, 1000, "Cafa"), MakePosition(7, 1000, "Cafe")));
  EXPECT_TRUE(Supersedes(MakePosition(7, 1000, "Café"), MakePosition(7, 1000, "Cafe")));
  EXPECT_TRUE(Supersedes(MakePosition(7, 1000, "Cafe "), MakePosition(7, 1000, "Cafe")));
  // Exactly one of two distinct positions with the same time supersedes the other.
  const Position a = MakePosition(7, 1000, "x");
  const Position b = MakePosition(7, 1000, "y");
  EXPECT_NE(Supersedes(a, b), Supersedes(b, a));
}

TEST(PositionTest, IdenticalRedeliveryIsANoOp) {
  const Position p = MakePosition(123, 456);
  EXPECT_FALSE(Supersedes(p, p));
  std::optional<Position> stored = p;
  Apply(&stored, p);
  EXPECT_EQ(*stored, p);
}

TEST(PositionTest, SupersedesIsAStrictTotalOrder) {
  std::mt19937_64 random(7);
  std::uniform_int_distribution<int64_t> small(0, 3);
  const char* names[] = {"a", "b", "Café", "Cafe"};
  std::vector<Position> all;
  for (int i = 0; i < 60; ++i) {
    all.push_back(MakePosition(small(random), small(random), names[small(random)]));
  }
  for (const Position& x : all) {
    EXPECT_FALSE(Supersedes(x, x));  // irreflexive
    for (const Position& y : all) {
      if (x == y) {
        EXPECT_FALSE(Supersedes(x, y));
      } else {
        EXPECT_NE(Supersedes(x, y), Supersedes(y, x));  // total and asymmetric
      }
      for (const Position& z : all) {
        if (Supersedes(x, y) && Supersedes(y, z)) {
          EXPECT_TRUE(Supersedes(x, z));  // transitive
        }
      }
    }
  }
}

// Property: whatever the order of delivery, with duplicates, the final position is the same.
TEST(PositionTest, EveryPermutationConvergesToTheSameFinalPosition) {
  std::mt19937_64 random(20240527);
  std::uniform_int_distribution<int64_t> time(0, 3);  // few values: many ties
  std::uniform_int_distribution<int64_t> quantity(0, 2);
  std::uniform_int_distribution<int> name(0, 2);
  std::uniform_int_distribution<int> size(1, 7);
  const char* names[] = {"Café", "Cafe", "Caf"};
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<Position> deliveries;
    const int n = size(random);
    for (int i = 0; i < n; ++i) {
      deliveries.push_back(MakePosition(time(random), quantity(random), names[name(random)]));
      if (i % 3 == 0) deliveries.push_back(deliveries.back());  // at-least-once duplicates
    }
    // The expected winner: the maximum of the documented order.
    const Position expected = *std::max_element(
        deliveries.begin(), deliveries.end(), [](const Position& a, const Position& b) {
          return std::tie(a.updated_at_us, a.quantity_milli, a.product_name) <
                 std::tie(b.updated_at_us, b.quantity_milli, b.product_name);
        });
    // Exhaustively for small sets (<= 8! orders), by 2000 seeded shuffles otherwise.
    std::vector<int> order(deliveries.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    const auto check = [&](const std::vector<int>& permutation) {
      std::optional<Position> stored;
      for (int index : permutation) Apply(&stored, deliveries[index]);
      ASSERT_TRUE(stored.has_value());
      ASSERT_EQ(*stored, expected);
    };
    if (order.size() <= 8) {
      do check(order);
      while (std::next_permutation(order.begin(), order.end()));
    } else {
      for (int shuffle = 0; shuffle < 2000; ++shuffle) {
        std::shuffle(order.begin(), order.end(), random);
        check(order);
      }
    }
  }
}

}  // namespace
}  // namespace estoque::domain
