// One fauxqs for every test of a binary (tests/support/fauxqs.h), started by the first test that
// asks and stopped after the last; SharedFauxqs::Require() skips a test, saying why, when fauxqs
// or its Node.js is not installed, unless CI=true (then it fails).
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "support/fauxqs.h"
#include "support/shared_emulator.h"

namespace estoque::test_support {

struct FauxqsTraits {
  using Server = Fauxqs;
  using Install = FauxqsInstall;
  static std::optional<Install> Find(std::string* why) { return FindFauxqs(why); }
  static constexpr const char* kName = "fauxqs";
};
using SharedFauxqs = SharedEmulator<FauxqsTraits>;

inline ::testing::Environment* const kStopSharedFauxqs =
    ::testing::AddGlobalTestEnvironment(new StopSharedEmulator<FauxqsTraits>);

}  // namespace estoque::test_support
