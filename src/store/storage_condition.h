// StorageCondition: whether the store's disk accepts writes now, and if not, why. Reads never
// depend on it: a store that refuses writes keeps serving everything it holds.
#pragma once

#include <cstdint>
#include <string_view>

namespace estoque::store {

enum class StorageCondition : uint8_t {
  kOk = 0,   // writes are accepted
  kNoSpace,  // the disk is (nearly) full: writes are refused until space returns, then accepted
             // again without a restart
  kIoError,  // the disk failed a write (other than for space): writes are refused; retried
             // with backoff, and if the database cannot resume in place, until a restart
};

// Stable lower_snake name for logs and metrics: "ok", "no_space", "io_error".
constexpr std::string_view StorageConditionName(StorageCondition condition) {
  switch (condition) {
    case StorageCondition::kOk:
      return "ok";
    case StorageCondition::kNoSpace:
      return "no_space";
    case StorageCondition::kIoError:
      return "io_error";
  }
  return "unknown";
}

}  // namespace estoque::store
