// ReservationSweeper: a thread that, every `period`, expires the reservations whose time has come
// (InventoryStore::ExpireReservations), so expired ones release their stock by themselves even
// when nobody touches them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "store/inventory_store.h"

namespace estoque::app {

class ReservationSweeper {
 public:
  // `store` must outlive the sweeper. Starts the thread.
  ReservationSweeper(store::InventoryStore* store, std::chrono::milliseconds period);
  // Stops and joins.
  ~ReservationSweeper();
  ReservationSweeper(const ReservationSweeper&) = delete;
  ReservationSweeper& operator=(const ReservationSweeper&) = delete;

 private:
  void Run();

  store::InventoryStore* store_;
  std::chrono::milliseconds period_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace estoque::app
