// SharedEmulator<Traits>: one emulator (DynamoDB Local, fauxqs) for every test of a binary,
// started by the first test that asks and stopped after the last one (the per-emulator header
// registers the stop: shared_dynamodb_local.h, shared_fauxqs.h).
//
// Traits: `using Server` (Start(), last_error(), startup_time(), endpoint_url()), `using Install`,
// `static std::optional<Install> Find(std::string* why)` and `static constexpr const char* kName`.
#pragma once

#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace estoque::test_support {

template <typename Traits>
struct SharedEmulator {
  std::unique_ptr<typename Traits::Server> server;
  std::string skip_reason;  // set when not installed
  std::string start_error;  // set when installed but it did not start

  static SharedEmulator& Get() {
    static SharedEmulator* shared = [] {
      auto* state = new SharedEmulator;
      std::optional<typename Traits::Install> install = Traits::Find(&state->skip_reason);
      if (!install) return state;
      state->server = std::make_unique<typename Traits::Server>(*install);
      if (!state->server->Start()) {
        state->start_error = state->server->last_error();
        return state;
      }
      std::cout << Traits::kName << " answered " << state->server->startup_time().count()
                << " ms after its start, on " << state->server->endpoint_url() << std::endl;
      return state;
    }();
    Started() = shared;
    return *shared;
  }

  // The emulator if a test asked for it (Get() ran), else nullptr: stopping never starts one.
  static SharedEmulator*& Started() {
    static SharedEmulator* started = nullptr;
    return started;
  }

  // For a fixture's SetUp: skips the test, saying why, when the emulator is not installed, unless
  // CI=true (then it fails: CI runs scripts/setup first); fails it when the emulator did not
  // start. The caller returns when the test is skipped or failed:
  //   if (!SharedEmulator<T>::Require()) return;
  static bool Require() {
    SharedEmulator& shared = Get();
    if (!shared.skip_reason.empty()) {
      const char* ci = std::getenv("CI");
      if (ci != nullptr && std::string(ci) == "true") {
        ADD_FAILURE() << "CI must run this test, but: " << shared.skip_reason;
        return false;
      }
      // The words " is not installed: " make ctest report the binary Skipped (CMakeLists.txt).
      [&] { GTEST_SKIP() << Traits::kName << " is not installed: " << shared.skip_reason; }();
      return false;
    }
    if (!shared.start_error.empty()) {
      ADD_FAILURE() << Traits::kName << " did not start: " << shared.start_error;
      return false;
    }
    return true;
  }
};

// Stops the emulator after the last test, so no emulator process outlives the binary.
template <typename Traits>
class StopSharedEmulator : public ::testing::Environment {
 public:
  void TearDown() override {
    if (auto* started = SharedEmulator<Traits>::Started()) started->server.reset();
  }
};

}  // namespace estoque::test_support
