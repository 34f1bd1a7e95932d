#include "load/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>

namespace estoque::load {

int LatencyHistogram::BucketOf(uint64_t micros) {
  constexpr uint64_t kExactLimit = uint64_t{1} << kExactBits;
  if (micros < kExactLimit) return static_cast<int>(micros);
  // Keep the top kSubBucketBits+1 bits: micros >> shift is in [64, 128).
  const int shift = std::bit_width(micros) - 1 - kSubBucketBits;
  return static_cast<int>((shift << kSubBucketBits) + (micros >> shift));
}

uint64_t LatencyHistogram::BucketUpperBound(int bucket) {
  assert(bucket >= 0 && bucket < kBucketCount);
  constexpr int kSubBuckets = 1 << kSubBucketBits;
  if (bucket < (1 << kExactBits)) return static_cast<uint64_t>(bucket);
  const int shift = bucket / kSubBuckets - 1;
  const uint64_t mantissa = static_cast<uint64_t>(bucket % kSubBuckets + kSubBuckets);
  const uint64_t upper = ((mantissa + 1) << shift) - 1;
  // The last bucket's upper bound would wrap past UINT64_MAX.
  return upper < (mantissa << shift) ? UINT64_MAX : upper;
}

void LatencyHistogram::Record(uint64_t micros) {
  ++counts_[BucketOf(micros)];
  ++count_;
  max_micros_ = std::max(max_micros_, micros);
  min_micros_ = std::min(min_micros_, micros);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (int i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  max_micros_ = std::max(max_micros_, other.max_micros_);
  min_micros_ = std::min(min_micros_, other.min_micros_);
}

uint64_t LatencyHistogram::Percentile(double percent) const {
  if (count_ == 0) return 0;
  percent = std::clamp(percent, 0.0, 100.0);
  // The rank (1-based) of the sample at `percent`: ceil(p/100 * n), at least 1.
  const uint64_t rank =
      std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(percent / 100 * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (int i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(BucketUpperBound(i), max_micros_);
  }
  return max_micros_;
}

}  // namespace estoque::load
