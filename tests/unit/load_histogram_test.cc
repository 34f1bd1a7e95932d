#include "load/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace estoque::load {
namespace {

TEST(LatencyHistogramTest, EmptyReportsZero) {
  LatencyHistogram histogram;
  EXPECT_EQ(histogram.count(), 0u);
  EXPECT_EQ(histogram.Percentile(50), 0u);
  EXPECT_EQ(histogram.Percentile(100), 0u);
  EXPECT_EQ(histogram.max_micros(), 0u);
  EXPECT_EQ(histogram.min_micros(), 0u);
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram histogram;
  for (uint64_t v = 1; v <= 100; ++v) histogram.Record(v);
  EXPECT_EQ(histogram.count(), 100u);
  EXPECT_EQ(histogram.Percentile(50), 50u);
  EXPECT_EQ(histogram.Percentile(90), 90u);
  EXPECT_EQ(histogram.Percentile(99), 99u);
  EXPECT_EQ(histogram.Percentile(100), 100u);
  EXPECT_EQ(histogram.Percentile(0), 1u);
  EXPECT_EQ(histogram.min_micros(), 1u);
  EXPECT_EQ(histogram.max_micros(), 100u);
}

TEST(LatencyHistogramTest, SingleSampleIsEveryPercentile) {
  LatencyHistogram histogram;
  histogram.Record(12345);
  for (double p : {0.0, 1.0, 50.0, 99.0, 99.9, 100.0}) EXPECT_EQ(histogram.Percentile(p), 12345u) << p;
}

TEST(LatencyHistogramTest, BucketsAreContiguousAndTight) {
  // Every value maps to a bucket whose upper bound is >= it, and to the bucket after the one of
  // the previous bucket's upper bound: no gaps, no overlaps.
  int previous_bucket = -1;
  for (uint64_t v = 0; v < 200000; ++v) {
    const int bucket = LatencyHistogram::BucketOf(v);
    ASSERT_GE(LatencyHistogram::BucketUpperBound(bucket), v);
    ASSERT_TRUE(bucket == previous_bucket || bucket == previous_bucket + 1) << v;
    if (bucket != previous_bucket && bucket > 0) {
      ASSERT_EQ(LatencyHistogram::BucketUpperBound(bucket - 1), v - 1) << v;
    }
    previous_bucket = bucket;
  }
  EXPECT_EQ(LatencyHistogram::BucketOf(UINT64_MAX), LatencyHistogram::kBucketCount - 1);
  EXPECT_EQ(LatencyHistogram::BucketUpperBound(LatencyHistogram::kBucketCount - 1), UINT64_MAX);
}

TEST(LatencyHistogramTest, RelativeErrorIsBelowOnePart64) {
  std::mt19937_64 random(1);
  for (int i = 0; i < 100000; ++i) {
    const uint64_t v = random() >> (random() % 64);
    const uint64_t upper = LatencyHistogram::BucketUpperBound(LatencyHistogram::BucketOf(v));
    ASSERT_GE(upper, v);
    ASSERT_LE(static_cast<double>(upper - v), static_cast<double>(v) / 64 + 1) << v;
  }
}

TEST(LatencyHistogramTest, PercentilesMatchSortedSamplesWithinResolution) {
  std::mt19937_64 random(2024);
  std::lognormal_distribution<double> latency(std::log(2000.0), 1.0);  // ~2 ms median
  std::vector<uint64_t> samples;
  LatencyHistogram histogram;
  for (int i = 0; i < 100000; ++i) {
    const auto v = static_cast<uint64_t>(latency(random));
    samples.push_back(v);
    histogram.Record(v);
  }
  std::sort(samples.begin(), samples.end());
  for (double p : {1.0, 10.0, 50.0, 90.0, 99.0, 99.9}) {
    const auto rank = static_cast<std::size_t>(std::ceil(p / 100 * samples.size()));
    const uint64_t exact = samples[rank - 1];
    const uint64_t estimate = histogram.Percentile(p);
    EXPECT_GE(estimate, exact) << p;
    EXPECT_LE(static_cast<double>(estimate), static_cast<double>(exact) * (1 + 1.0 / 64) + 1) << p;
  }
  EXPECT_EQ(histogram.Percentile(100), samples.back());
  EXPECT_EQ(histogram.max_micros(), samples.back());
  EXPECT_EQ(histogram.min_micros(), samples.front());
}

TEST(LatencyHistogramTest, MergeEqualsRecordingEverythingInOne) {
  LatencyHistogram a, b, all;
  std::mt19937_64 random(9);
  for (int i = 0; i < 10000; ++i) {
    const uint64_t v = random() % 1'000'000;
    (i % 3 == 0 ? a : b).Record(v);
    all.Record(v);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.max_micros(), all.max_micros());
  EXPECT_EQ(a.min_micros(), all.min_micros());
  for (double p : {0.0, 25.0, 50.0, 75.0, 99.0, 100.0}) EXPECT_EQ(a.Percentile(p), all.Percentile(p));
  LatencyHistogram empty;
  a.Merge(empty);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min_micros(), all.min_micros());
}

TEST(LatencyHistogramTest, PercentileNeverExceedsMaxAndReportsMilliseconds) {
  LatencyHistogram histogram;
  histogram.Record(1'000'001);  // bucket upper bound is above this
  EXPECT_EQ(histogram.Percentile(50), 1'000'001u);
  EXPECT_DOUBLE_EQ(histogram.PercentileMs(50), 1000.001);
  histogram.Record(UINT64_MAX);
  EXPECT_EQ(histogram.Percentile(100), UINT64_MAX);
}

}  // namespace
}  // namespace estoque::load
