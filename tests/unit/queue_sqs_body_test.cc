// The SQS backend's pure parts: base64, the SQS message body (queue/sqs_body.h) and the message
// ids of several nodes (queue/sqs_message_ids.h).
#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/base64.h"
#include "common/limits.h"
#include "queue/message_codec.h"
#include "queue/sqs_body.h"
#include "queue/sqs_message_ids.h"

namespace estoque::queue {
namespace {

TEST(Base64, MatchesRfc4648Vectors) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},         {"f", "Zg=="},        {"fo", "Zm8="},        {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [bytes, text] : vectors) {
    EXPECT_EQ(Base64Encode(bytes), text);
    Result<std::string> decoded = Base64Decode(text);
    ASSERT_TRUE(decoded.ok()) << text;
    EXPECT_EQ(*decoded, bytes);
  }
}

TEST(Base64, RoundTripsEveryByte) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (std::size_t cut = 0; cut < 4; ++cut) {
    const std::string part = bytes.substr(cut);
    Result<std::string> decoded = Base64Decode(Base64Encode(part));
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, part);
  }
}

TEST(Base64, RefusesMalformedText) {
  for (const std::string text : {"Zg=", "Zg", "Z===", "Zh==", "Zm9=", "Zm9v!A==", "=Zm9", "Zg==Zg=="}) {
    EXPECT_FALSE(Base64Decode(text).ok()) << text;
  }
}

Message Sample() {
  Message message;
  message.enqueued_at_us = 1'716'844'591'123'456;
  message.items.push_back({"5140642011605", "1001", "Caf\xC3\xA9", 3'011'000, 1'716'844'000'000'000});
  message.sales.push_back(domain::Sale{"v-1", "1001", {{"7891000100103", 2'000}}, 1'716'844'000'000'001, "pdv"});
  return message;
}

TEST(SqsBody, CarriesTheIdAndTheMessageBytes) {
  const std::string bytes = EncodeMessage(Sample());
  const std::string body = EncodeSqsBody(18'446'744'073'709'551'615ull, bytes);
  EXPECT_EQ(body.find('\0'), std::string::npos);
  Result<SqsBody> decoded = DecodeSqsBody(body);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->id, 18'446'744'073'709'551'615ull);
  EXPECT_EQ(decoded->message_bytes, bytes);
  EXPECT_FALSE(decoded->dead_letter.has_value());
}

TEST(SqsBody, CarriesADeadLetterWithItsFailure) {
  DeadLetter letter;
  letter.id = 42;
  letter.reason = "corruption: bad";
  letter.attempts = 5;
  letter.enqueued_at_us = 1;
  letter.first_failure_at_us = 2;
  letter.last_failure_at_us = 3;
  letter.dead_lettered_at_us = 4;
  letter.message_bytes = EncodeMessage(Sample());
  Result<SqsBody> decoded = DecodeSqsBody(EncodeSqsDeadLetterBody(letter));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->id, 42u);
  EXPECT_EQ(decoded->message_bytes, letter.message_bytes);
  ASSERT_TRUE(decoded->dead_letter.has_value());
  EXPECT_EQ(*decoded->dead_letter, letter);
}

TEST(SqsBody, RefusesOtherBodiesAsCorruption) {
  for (const std::string body :
       {"", "hello", "[]", R"({"v":2,"id":"1","message":""})", R"({"v":1,"id":1,"message":""})",
        R"({"v":1,"id":"0","message":""})", R"({"v":1,"id":"1x","message":""})",
        R"({"v":1,"id":"1"})", R"({"v":1,"id":"1","message":"","dead_letter":""})",
        R"({"v":1,"id":"1","message":"%%%%"})", R"({"v":1,"id":"1","dead_letter":"AAAA"})"}) {
    Result<SqsBody> decoded = DecodeSqsBody(body);
    ASSERT_FALSE(decoded.ok()) << body;
    EXPECT_EQ(decoded.status().code(), StatusCode::kCorruption) << body;
  }
}

TEST(SqsBody, TheLongestMessageFitsOneSqsMessageAlsoAsADeadLetter) {
  DeadLetter letter;
  letter.id = UINT64_MAX;
  letter.reason = std::string(limits::kDeadLetterReasonBytesMax, '"');  // the longest kept
  letter.attempts = UINT32_MAX;
  letter.message_bytes = std::string(kSqsMessageBytesMax, '\xFF');
  EXPECT_LE(EncodeSqsBody(letter.id, letter.message_bytes).size(), kSqsBodyBytesMax);
  EXPECT_LE(EncodeSqsDeadLetterBody(letter).size(), kSqsBodyBytesMax);
}

TEST(SqsFallbackId, IsStableNonZeroAndBelow2To63) {
  EXPECT_EQ(SqsFallbackId("a"), SqsFallbackId("a"));
  EXPECT_NE(SqsFallbackId("a"), SqsFallbackId("b"));
  for (const std::string id : {"", "a", "0d1c3b5e-0000-4000-8000-000000000000"}) {
    EXPECT_GE(SqsFallbackId(id), 1u);
    EXPECT_LT(SqsFallbackId(id), uint64_t{1} << 63);
  }
}

TEST(MessageIdSource, IdsIncreaseEvenWhenTheClockStandsStillOrGoesBack) {
  int64_t now_us = 1'800'000'000'000'000;
  MessageIdSource ids(7, [&] { return now_us; });
  const uint64_t first = ids.Next();
  EXPECT_EQ(first, (uint64_t{1'800'000'000'000'000} << MessageIdSource::kTagBits) | 7);
  const uint64_t second = ids.Next();  // same microsecond
  EXPECT_GT(second, first);
  now_us -= 5'000'000;  // the clock steps back
  EXPECT_GT(ids.Next(), second);
  EXPECT_EQ(ids.Next() & ((1u << MessageIdSource::kTagBits) - 1), 7u);
}

TEST(MessageIdSource, TwoNodesWithDifferentTagsNeverCollide) {
  int64_t now_us = 1'800'000'000'000'000;
  MessageIdSource a(1, [&] { return now_us; });
  MessageIdSource b(2, [&] { return now_us; });
  std::set<uint64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(seen.insert(a.Next()).second);
    EXPECT_TRUE(seen.insert(b.Next()).second);
  }
}

TEST(MessageIdSource, ConcurrentCallersGetDistinctIds) {
  MessageIdSource ids;
  std::vector<std::vector<uint64_t>> got(4);
  std::vector<std::thread> threads;
  for (auto& mine : got) {
    threads.emplace_back([&ids, &mine] {
      for (int i = 0; i < 2000; ++i) mine.push_back(ids.Next());
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::set<uint64_t> all;
  for (const auto& mine : got) all.insert(mine.begin(), mine.end());
  EXPECT_EQ(all.size(), 8000u);
  EXPECT_LT(*all.rbegin(), uint64_t{1} << 63);
}

}  // namespace
}  // namespace estoque::queue
