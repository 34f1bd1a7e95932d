// TsanIgnoreRocksDbAccesses: in a ThreadSanitizer build, the memory accesses a thread makes while
// one is alive are not recorded (synchronisation still is); elsewhere it compiles to nothing.
//
// Why: Debian's librocksdb is not instrumented, so TSan cannot see the atomics through which
// RocksDB's write path hands memory between threads. A DB::Write call joins a write group whose
// leader (another of our threads) copies every member's batch into the WAL and the memtables, and
// successive leaders reuse RocksDB's own buffers; TSan sees those copies (through its memcpy and
// memset interceptors, and the std::string members librocksdb binds to in our executables) but
// not the ordering between them, and reports races whose frames are all RocksDB's, or ours only
// above the DB::Write call. Scoping the call makes TSan judge everything our code does before and
// after it. What it gives up: a race of ours on a batch while it is inside DB::Write is seen only
// through the other access (which is outside), and code of ours that RocksDB calls back from
// inside the scope (the storage monitor's event listener, on a failed write) is not checked there.
// docs/RELIABILITY.md, "Concurrency".
//
// Wrap only calls into RocksDB's write path, as tightly as possible.
#pragma once

#if defined(__SANITIZE_THREAD__)
extern "C" void __tsan_ignore_thread_begin();
extern "C" void __tsan_ignore_thread_end();
#endif

namespace estoque::store {

class TsanIgnoreRocksDbAccesses {
 public:
#if defined(__SANITIZE_THREAD__)
  TsanIgnoreRocksDbAccesses() { __tsan_ignore_thread_begin(); }
  ~TsanIgnoreRocksDbAccesses() { __tsan_ignore_thread_end(); }
#else
  TsanIgnoreRocksDbAccesses() = default;
#endif
  TsanIgnoreRocksDbAccesses(const TsanIgnoreRocksDbAccesses&) = delete;
  TsanIgnoreRocksDbAccesses& operator=(const TsanIgnoreRocksDbAccesses&) = delete;
};

}  // namespace estoque::store
