#include "app/reservation_sweeper.h"

#include <spdlog/spdlog.h>

#include "common/clock.h"

namespace estoque::app {

ReservationSweeper::ReservationSweeper(store::InventoryStore* store,
                                       std::chrono::milliseconds period)
    : store_(store), period_(period), thread_([this] { Run(); }) {}

ReservationSweeper::~ReservationSweeper() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ReservationSweeper::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, period_, [this] { return stopping_; })) {
    // While the storage refuses writes, expiring would only fail (the storage monitor logs why);
    // the reservations expire at the first round after it accepts them again.
    if (store_->Storage() != store::StorageCondition::kOk) continue;
    lock.unlock();
    Result<std::size_t> expired = store_->ExpireReservations(NowUnixMicros());
    if (!expired.ok()) {
      spdlog::warn("expiring reservations failed (retried): {}", expired.status().ToString());
    } else if (*expired > 0) {
      spdlog::info("{} reservations expired", *expired);
    }
    lock.lock();
  }
}

}  // namespace estoque::app
