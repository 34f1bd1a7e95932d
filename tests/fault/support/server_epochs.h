// ServerEpochs: which server incarnation the fault tests' clients talk to. The harness kills the
// server and starts it again (on a new port); each start is a new epoch. A client whose request
// failed on the wire waits for an epoch newer than the one it used, then reconnects.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>

namespace estoque::fault {

struct Endpoint {
  uint64_t epoch = 0;  // 0: no server yet
  uint16_t port = 0;
};

// Thread-safe.
class ServerEpochs {
 public:
  // A server is up on `port`: starts a new epoch and wakes every waiting client.
  void Publish(uint16_t port) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      current_ = Endpoint{current_.epoch + 1, port};
    }
    changed_.notify_all();
  }

  Endpoint Current() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return current_;
  }

  // Waits up to `timeout` for an epoch newer than `seen`; nullopt on timeout.
  std::optional<Endpoint> WaitNewer(uint64_t seen, std::chrono::milliseconds timeout) const {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!changed_.wait_for(lock, timeout, [&] { return current_.epoch > seen; })) return std::nullopt;
    return current_;
  }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  Endpoint current_;
};

}  // namespace estoque::fault
