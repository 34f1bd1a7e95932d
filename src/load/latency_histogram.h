// LatencyHistogram: a fixed-size log-linear histogram of durations in microseconds, for request
// latency and freshness percentiles. Recording is O(1) with no allocation; values keep a relative
// error below 1/64 (about 1.6 %); the maximum is exact.
#pragma once

#include <array>
#include <cstdint>

namespace estoque::load {

// Not thread-safe: keep one per thread and Merge them at the end.
class LatencyHistogram {
 public:
  // Values below this are counted exactly; above it, buckets are 1/64 of a power of two wide.
  static constexpr int kExactBits = 7;
  static constexpr int kSubBucketBits = kExactBits - 1;
  // Enough buckets for any uint64_t value.
  static constexpr int kBucketCount = (64 - kExactBits + 2) << kSubBucketBits;

  void Record(uint64_t micros);
  // Adds every sample of `other` to this one.
  void Merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  uint64_t max_micros() const { return max_micros_; }
  uint64_t min_micros() const { return count_ == 0 ? 0 : min_micros_; }

  // The value at or below which `percent` (0..100) of the samples lie: the upper bound of the
  // bucket holding that rank, never above the exact maximum. 0 when empty. Percentile(100) is the
  // exact maximum; Percentile(0) is the smallest bucket that has a sample.
  uint64_t Percentile(double percent) const;

  // Percentile in milliseconds, for reports.
  double PercentileMs(double percent) const { return static_cast<double>(Percentile(percent)) / 1000; }

  // Bucket arithmetic, public for tests.
  static int BucketOf(uint64_t micros);
  static uint64_t BucketUpperBound(int bucket);

 private:
  std::array<uint64_t, kBucketCount> counts_{};
  uint64_t count_ = 0;
  uint64_t max_micros_ = 0;
  uint64_t min_micros_ = UINT64_MAX;
};

}  // namespace estoque::load
