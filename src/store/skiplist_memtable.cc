#include "store/skiplist_memtable.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <string_view>
#include <utility>
#include <vector>

#include <rocksdb/slice.h>
#include <rocksdb/slice_transform.h>

// rocksdb::Allocator (memory/allocator.h, not installed): the interface of the Arena RocksDB
// passes to GetIterator, for the iterator to live in (RocksDB then only calls its destructor, and
// the arena frees the memory). Declared as librocksdb defines it (unchanged since 2014; Arena
// derives from it alone); every test that opens a DB iterator over this memtable goes through it.
namespace rocksdb {
class Allocator {
 public:
  virtual ~Allocator() {}
  virtual char* Allocate(size_t bytes) = 0;
  virtual char* AllocateAligned(size_t bytes, size_t huge_page_size = 0,
                                Logger* logger = nullptr) = 0;
  virtual size_t BlockSize() const = 0;
};
}  // namespace rocksdb

namespace estoque::store {
namespace {

constexpr int kMaxHeight = 12;        // branching 4: balanced up to 4^12 = 16M entries
constexpr uint32_t kBranching = 4;
constexpr int kBracketLevelsTried = 2;  // see InsertWithSplice

// Memory handed out in order from 64 KiB blocks, freed all at once with the owner. Not
// thread-safe; AllocatedBytes may be read from any thread.
class Blocks {
 public:
  void* Allocate(std::size_t bytes) {
    bytes = (bytes + kAlign - 1) & ~(kAlign - 1);
    if (bytes > remaining_) {
      const std::size_t block = std::max(bytes, kBlockBytes);
      blocks_.emplace_back(new std::byte[block]);
      next_ = blocks_.back().get();
      remaining_ = block;
      allocated_.fetch_add(block, std::memory_order_relaxed);
    }
    void* out = next_;
    next_ += bytes;
    remaining_ -= bytes;
    return out;
  }
  std::size_t AllocatedBytes() const { return allocated_.load(std::memory_order_relaxed); }

 private:
  static constexpr std::size_t kAlign = alignof(void*);
  static constexpr std::size_t kBlockBytes = 64 * 1024;
  std::vector<std::unique_ptr<std::byte[]>> blocks_;
  std::byte* next_ = nullptr;
  std::size_t remaining_ = 0;
  std::atomic<std::size_t> allocated_{0};
};

// A skiplist node: its height, then `height` links (level 0 first), then the entry RocksDB
// encodes (varint32 length, internal key, value), all in one allocation from RocksDB's arena, so
// a comparison reads the entry next to the links it followed. A link is written once before the
// node is published and then only by the writer.
struct alignas(std::atomic<void*>) Node {
  uint32_t height;
  uint32_t unused;

  std::atomic<Node*>* Links() { return reinterpret_cast<std::atomic<Node*>*>(this + 1); }
  const std::atomic<Node*>* Links() const {
    return reinterpret_cast<const std::atomic<Node*>*>(this + 1);
  }
  const char* Entry() const { return reinterpret_cast<const char*>(Links() + height); }
  char* Entry() { return reinterpret_cast<char*>(Links() + height); }
  Node* Next(int level) const { return Links()[level].load(std::memory_order_acquire); }
  // Publishes `node` at `level` (everything written before is visible to who loads it).
  void SetNext(int level, Node* node) { Links()[level].store(node, std::memory_order_release); }
  void InitNext(int level, Node* node) { Links()[level].store(node, std::memory_order_relaxed); }
};
static_assert(alignof(Node) == alignof(std::atomic<Node*>) && sizeof(Node) == alignof(Node));

// Where a key goes at each level: prev[i] sorts before it, next[i] (null: the end) after it.
// RocksDB's MemTable keeps one per insert-hint prefix.
// Valid for levels [0, height). One per insert hint, and one for unhinted inserts (sequential
// inserts then cost a few comparisons too).
struct Splice {
  int height = 0;
  const Node* last = nullptr;  // the node inserted last through this splice
  Node* prev[kMaxHeight];
  Node* next[kMaxHeight];
};

// The splices of InsertKey, one per key prefix (the factory's hint prefix), found by the prefix's
// 64-bit hash in an open-addressing table. Only a starting point: InsertWithSplice checks where a
// splice stands, so two prefixes of one hash would merely share one (a few more comparisons).
// The writer's; its memory comes from `blocks` (so ApproximateMemoryUsage counts it).
class SpliceTable {
 public:
  explicit SpliceTable(Blocks* blocks) : blocks_(blocks) {}

  // The splice of `hash`; a new one (from `make`) the first time.
  template <typename MakeSplice>
  Splice* FindOrAdd(uint64_t hash, const MakeSplice& make) {
    hash |= 1;  // 0 marks an empty slot
    if (slots_ == nullptr) Resize(kInitialSlots);
    for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
      if (slots_[i].hash == hash) return slots_[i].splice;
      if (slots_[i].hash == 0) {
        slots_[i] = {hash, make()};
        Splice* added = slots_[i].splice;
        if (++used_ * 2 > mask_ + 1) Resize((mask_ + 1) * 2);  // at most half full
        return added;
      }
    }
  }

 private:
  struct Slot {
    uint64_t hash;  // 0: empty
    Splice* splice;
  };
  static constexpr std::size_t kInitialSlots = 1024;

  void Resize(std::size_t slots) {
    Slot* old = slots_;
    const std::size_t old_slots = old == nullptr ? 0 : mask_ + 1;
    slots_ = static_cast<Slot*>(blocks_->Allocate(slots * sizeof(Slot)));
    std::memset(static_cast<void*>(slots_), 0, slots * sizeof(Slot));
    mask_ = slots - 1;
    for (std::size_t j = 0; j < old_slots; ++j) {
      if (old[j].hash == 0) continue;
      std::size_t i = old[j].hash & mask_;
      while (slots_[i].hash != 0) i = (i + 1) & mask_;
      slots_[i] = old[j];
    }
  }

  Blocks* blocks_;
  Slot* slots_ = nullptr;
  std::size_t mask_ = 0;
  std::size_t used_ = 0;
};

// The user key of a memtable entry (varint32 internal key length, internal key = user key and
// 8 bytes of sequence and type, ...).
std::string_view UserKeyOf(const char* entry) {
  uint32_t length = 0;
  const auto* byte = reinterpret_cast<const unsigned char*>(entry);
  for (int shift = 0; shift <= 28; shift += 7, ++byte) {
    length |= static_cast<uint32_t>(*byte & 0x7f) << shift;
    if ((*byte & 0x80) == 0) break;
  }
  ++byte;
  return {reinterpret_cast<const char*>(byte), length - 8};
}

// ThreadSanitizer sees neither RocksDB's reference counting of memtables (librocksdb is not
// instrumented) nor, therefore, that every reader is done with a representation before the flush
// thread frees it. In a TSan build, readers count themselves in and out of an atomic that the
// destructor reads, which makes that order visible (the order itself is RocksDB's); elsewhere
// this compiles to nothing. Same reason as store/tsan_rocksdb_write.h.
class ReadersVisibleToTsan {
 public:
#if defined(__SANITIZE_THREAD__)
  void Enter() { active_.fetch_add(1, std::memory_order_acq_rel); }
  void Leave() { active_.fetch_sub(1, std::memory_order_acq_rel); }
  void AllLeft() const { static_cast<void>(active_.load(std::memory_order_acquire)); }

 private:
  std::atomic<long> active_{0};
#else
  void Enter() {}
  void Leave() {}
  void AllLeft() const {}
#endif
};

// rocksdb::LookupKey (db/dbformat.h, not installed) begins with `const char* start_`: its
// memtable key (varint32 length, internal key), the form memtable entries begin with. That layout
// has not changed since LevelDB; Get's tests (tests/unit/store_skiplist_memtable_test.cc) fail
// if it ever does.
const char* MemtableKeyOf(const rocksdb::LookupKey& key) {
  const char* start = nullptr;
  std::memcpy(&start, static_cast<const void*>(&key), sizeof(start));
  return start;
}

class SkipListRep final : public rocksdb::MemTableRep {
 public:
  SkipListRep(const KeyComparator& compare, rocksdb::Allocator* allocator,
              const rocksdb::SliceTransform* hint_prefix)
      : MemTableRep(allocator), compare_(compare), hint_prefix_(hint_prefix), splices_(&blocks_) {
    head_ = PlaceNode(blocks_.Allocate(NodeBytes(kMaxHeight)), kMaxHeight);
    for (int level = 0; level < kMaxHeight; ++level) head_->InitNext(level, nullptr);
    sequential_ = NewSplice();
  }

  ~SkipListRep() override { readers_.AllLeft(); }

  // The node and its entry, in RocksDB's arena (counted against the write buffer limits). The
  // arena's unaligned allocation is aligned here for the links.
  rocksdb::KeyHandle Allocate(const size_t len, char** buf) override {
    const int height = RandomHeight();
    char* raw = nullptr;
    MemTableRep::Allocate(NodeBytes(height) + len + alignof(Node) - 1, &raw);
    const auto address = reinterpret_cast<std::uintptr_t>(raw);
    const std::uintptr_t aligned = (address + alignof(Node) - 1) & ~(std::uintptr_t{alignof(Node)} - 1);
    Node* node = PlaceNode(reinterpret_cast<void*>(aligned), height);
    *buf = node->Entry();
    return node;
  }

  void Insert(rocksdb::KeyHandle handle) override { InsertKey(handle); }
  // With a hint prefix, through the splice of the entry's prefix (an append after the previous key
  // of its prefix is then 2-3 comparisons); else (or outside the prefix's domain) through one
  // splice for all.
  bool InsertKey(rocksdb::KeyHandle handle) override {
    Node* node = static_cast<Node*>(handle);
    if (hint_prefix_ == nullptr) return InsertWithSplice(node, sequential_);
    const std::string_view user_key_view = UserKeyOf(node->Entry());
    const rocksdb::Slice user_key(user_key_view.data(), user_key_view.size());
    if (!hint_prefix_->InDomain(user_key)) return InsertWithSplice(node, sequential_);
    const rocksdb::Slice prefix = hint_prefix_->Transform(user_key);
    const uint64_t hash = std::hash<std::string_view>{}(std::string_view(prefix.data(), prefix.size()));
    return InsertWithSplice(node, splices_.FindOrAdd(hash, [this] { return NewSplice(); }));
  }
  // RocksDB's hints (memtable_insert_with_hint_prefix_extractor; estoque uses the factory's
  // hint prefix instead, whose lookup costs less than RocksDB's map of prefixes).
  void InsertWithHint(rocksdb::KeyHandle handle, void** hint) override {
    InsertKeyWithHint(handle, hint);
  }
  bool InsertKeyWithHint(rocksdb::KeyHandle handle, void** hint) override {
    auto* splice = static_cast<Splice*>(*hint);
    if (splice == nullptr) {
      splice = NewSplice();
      *hint = splice;
    }
    return InsertWithSplice(static_cast<Node*>(handle), splice);
  }

  bool Contains(const char* key) const override {
    readers_.Enter();
    const Node* node = FindGreaterOrEqual(key);
    const bool found = node != nullptr && compare_(node->Entry(), key) == 0;
    readers_.Leave();
    return found;
  }

  void Get(const rocksdb::LookupKey& key, void* callback_args,
           bool (*callback_func)(void* arg, const char* entry)) override {
    readers_.Enter();
    for (const Node* node = FindGreaterOrEqual(MemtableKeyOf(key));
         node != nullptr && callback_func(callback_args, node->Entry()); node = node->Next(0)) {
    }
    readers_.Leave();
  }

  // Beyond RocksDB's arena: the head and the splices, allocated by the writer (so the figure is
  // fixed once the memtable is read-only, as RocksDB's accounting of immutable memtables
  // requires). Called after every insert: no lock.
  size_t ApproximateMemoryUsage() override { return blocks_.AllocatedBytes(); }

  class Iterator final : public MemTableRep::Iterator {
   public:
    explicit Iterator(const SkipListRep* list) : list_(list) { list_->readers_.Enter(); }
    ~Iterator() override { list_->readers_.Leave(); }
    bool Valid() const override { return node_ != nullptr; }
    const char* key() const override { return node_->Entry(); }
    void Next() override {
      node_ = node_->Next(0);
      PrefetchNext(node_);
    }
    void Prev() override { node_ = list_->FindLessThan(node_->Entry()); }
    void Seek(const rocksdb::Slice& internal_key, const char* memtable_key) override {
      node_ = memtable_key != nullptr ? list_->FindGreaterOrEqual(memtable_key)
                                      : list_->FindGreaterOrEqual(internal_key);
    }
    void SeekForPrev(const rocksdb::Slice& internal_key, const char* memtable_key) override {
      Seek(internal_key, memtable_key);
      if (!Valid()) SeekToLast();
      while (Valid() && (memtable_key != nullptr ? list_->compare_(node_->Entry(), memtable_key)
                                                 : list_->compare_(node_->Entry(), internal_key)) > 0) {
        Prev();
      }
    }
    void SeekToFirst() override {
      node_ = list_->head_->Next(0);
      PrefetchNext(node_);
    }
    void SeekToLast() override { node_ = list_->FindLast(); }

   private:
    // Nodes lie in insertion order, so a scan in key order (a flush reads the whole list) misses
    // the cache at every node. Fetching the node after `node` while the caller works on `node`
    // hides most of that wait (measured: docs/BENCHMARKS.md, sales ingest).
    static void PrefetchNext(const Node* node) {
      if (node == nullptr) return;
      const char* ahead = reinterpret_cast<const char*>(node->Next(0));
      if (ahead == nullptr) return;
      __builtin_prefetch(ahead);  // height, links, the start of the entry
      __builtin_prefetch(ahead + 64);  // the rest of a typical key and its value
    }

    const SkipListRep* list_;
    const Node* node_ = nullptr;
  };

  MemTableRep::Iterator* GetIterator(rocksdb::Arena* arena) override {
    if (arena == nullptr) return new Iterator(this);
    // An Arena is an Allocator (see the declaration above).
    auto* allocator = reinterpret_cast<rocksdb::Allocator*>(arena);
    return new (allocator->AllocateAligned(sizeof(Iterator))) Iterator(this);
  }

 private:
  static std::size_t NodeBytes(int height) {
    return sizeof(Node) + sizeof(std::atomic<Node*>) * static_cast<std::size_t>(height);
  }
  static Node* PlaceNode(void* storage, int height) {
    Node* node = new (storage) Node{static_cast<uint32_t>(height), 0};
    for (int level = 0; level < height; ++level) new (&node->Links()[level]) std::atomic<Node*>();
    return node;
  }

  Splice* NewSplice() { return new (blocks_.Allocate(sizeof(Splice))) Splice(); }

  int RandomHeight() {
    int height = 1;
    while (height < kMaxHeight && NextRandom() % kBranching == 0) ++height;
    return height;
  }
  uint32_t NextRandom() {  // xorshift32
    random_ ^= random_ << 13;
    random_ ^= random_ >> 17;
    random_ ^= random_ << 5;
    return random_;
  }

  int MaxHeight() const { return max_height_.load(std::memory_order_relaxed); }

  // The first node at or after `target` (an entry or memtable key, or an internal key).
  template <typename Target>
  const Node* FindGreaterOrEqual(const Target& target) const {
    const Node* node = head_;
    int level = MaxHeight() - 1;
    const Node* known_after = nullptr;  // a node already compared as after `target`
    for (;;) {
      const Node* next = node->Next(level);
      const int order =
          (next == nullptr || next == known_after) ? 1 : compare_(next->Entry(), target);
      if (order == 0 || (order > 0 && level == 0)) return next;
      if (order < 0) {
        node = next;
      } else {
        known_after = next;
        --level;
      }
    }
  }

  // The last node before `entry`; null if none.
  const Node* FindLessThan(const char* entry) const {
    const Node* node = head_;
    int level = MaxHeight() - 1;
    const Node* known_not_before = nullptr;
    for (;;) {
      const Node* next = node->Next(level);
      if (next != nullptr && next != known_not_before && compare_(next->Entry(), entry) < 0) {
        node = next;
      } else {
        if (level == 0) return node == head_ ? nullptr : node;
        known_not_before = next;
        --level;
      }
    }
  }

  const Node* FindLast() const {
    const Node* node = head_;
    int level = MaxHeight() - 1;
    for (;;) {
      const Node* next = node->Next(level);
      if (next != nullptr) {
        node = next;
      } else if (level == 0) {
        return node == head_ ? nullptr : node;
      } else {
        --level;
      }
    }
  }

  // At `level`, from `before` (which sorts before `entry`), the last node before `entry` and the
  // node after it; `after` is a node known to sort after `entry` (not compared again), or null.
  // Returns true if that next node is `entry`'s equal.
  bool FindSpliceForLevel(const char* entry, Node* before, Node* after, int level,
                          Node** out_prev, Node** out_next) const {
    for (;;) {
      Node* next = before->Next(level);
      if (next == after || next == nullptr) {
        *out_prev = before;
        *out_next = next;
        return false;
      }
      const int order = compare_(next->Entry(), entry);
      if (order >= 0) {
        *out_prev = before;
        *out_next = next;
        return order == 0;
      }
      before = next;
    }
  }

  // REQUIRES: the only writer (RocksDB's non-concurrent memtable insert).
  bool InsertWithSplice(Node* node, Splice* splice) {
    const char* entry = node->Entry();
    const int height = static_cast<int>(node->height);
    int max_height = MaxHeight();
    if (height > max_height) {
      // A reader still seeing the old height starts lower; the new levels' head links stay null
      // until `node` is linked below.
      max_height_.store(height, std::memory_order_relaxed);
      max_height = height;
    }
    // Which side of the node inserted last through this splice the entry falls on. After this
    // insert the splice is left on the same side of the new node, ready for the next one: after
    // it for appends (a product-branch's next movement), before it for a key's next version
    // (which sorts before the previous one). Either way the next insert of the same pattern finds
    // its place at level 0 in two comparisons.
    const Node* last = splice->last;
    const bool before_last = last != nullptr && compare_(last->Entry(), entry) > 0;
    // The lowest level whose (prev, next) still brackets the entry (the levels above it do too;
    // those below are searched again from it). Only the lowest levels are tried: a splice that
    // fails there is far from the entry, and a search from the head is cheaper than more tries.
    int bracketing = max_height;
    if (splice->height == max_height) {
      for (int level = 0; level < std::min(max_height, kBracketLevelsTried); ++level) {
        const Node* prev = splice->prev[level];
        const Node* next = splice->next[level];
        const bool prev_before =
            prev == head_ || (prev == last ? !before_last : compare_(prev->Entry(), entry) < 0);
        if (!prev_before) continue;
        const bool next_after =
            next == nullptr || (next == last ? before_last : compare_(next->Entry(), entry) > 0);
        if (next_after) {
          bracketing = level;
          break;
        }
      }
    }
    bool duplicate = false;
    Node* start = bracketing == max_height ? head_ : splice->prev[bracketing];
    Node* bound = bracketing == max_height ? nullptr : splice->next[bracketing];
    for (int level = bracketing - 1; level >= 0; --level) {
      duplicate = FindSpliceForLevel(entry, start, bound, level, &splice->prev[level],
                                     &splice->next[level]);
      start = splice->prev[level];
      bound = splice->next[level];
    }
    splice->height = max_height;
    // Levels at and above the bracketing one: others may have inserted between prev and next
    // since; walk forward from prev (next is known to sort after the entry).
    for (int level = bracketing; level < height; ++level) {
      const bool equal = FindSpliceForLevel(entry, splice->prev[level], splice->next[level], level,
                                            &splice->prev[level], &splice->next[level]);
      if (level == 0) duplicate = equal;
    }
    if (duplicate) return false;  // this internal key (user key and sequence) is already in
    for (int level = 0; level < height; ++level) {
      node->InitNext(level, splice->next[level]);
      splice->prev[level]->SetNext(level, node);
      (before_last ? splice->next[level] : splice->prev[level]) = node;
    }
    splice->last = node;
    return true;
  }

  const KeyComparator& compare_;
  const rocksdb::SliceTransform* hint_prefix_;  // null: no per-prefix splices
  Blocks blocks_;  // the head, the splices and their table: the writer's
  SpliceTable splices_;
  Node* head_ = nullptr;
  Splice* sequential_ = nullptr;
  std::atomic<int> max_height_{1};
  uint32_t random_ = 0x9e3779b9u;
  mutable ReadersVisibleToTsan readers_;
};

class SkipListFactory final : public rocksdb::MemTableRepFactory {
 public:
  explicit SkipListFactory(std::shared_ptr<const rocksdb::SliceTransform> hint_prefix)
      : hint_prefix_(std::move(hint_prefix)) {}
  using rocksdb::MemTableRepFactory::CreateMemTableRep;
  rocksdb::MemTableRep* CreateMemTableRep(const rocksdb::MemTableRep::KeyComparator& compare,
                                          rocksdb::Allocator* allocator,
                                          const rocksdb::SliceTransform*,
                                          rocksdb::Logger*) override {
    return new SkipListRep(compare, allocator, hint_prefix_.get());
  }
  const char* Name() const override { return "estoque.SkipListMemTable"; }
  bool IsInsertConcurrentlySupported() const override { return false; }
  bool CanHandleDuplicatedKey() const override { return false; }

 private:
  std::shared_ptr<const rocksdb::SliceTransform> hint_prefix_;
};

}  // namespace

std::shared_ptr<rocksdb::MemTableRepFactory> NewSkipListMemTableFactory(
    std::shared_ptr<const rocksdb::SliceTransform> hint_prefix) {
  return std::make_shared<SkipListFactory>(std::move(hint_prefix));
}

}  // namespace estoque::store
