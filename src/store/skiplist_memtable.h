// SkipListMemTableFactory: the memtable representation of every column family, a RocksDB plug-in
// (rocksdb/memtablerep.h) compiled with this program instead of the library's InlineSkipList.
//
// Why: Debian's librocksdb is built with assertions on (NDEBUG undefined), and its skiplist then
// compares keys about 35 times per insert even when the insert hint puts the key right after the
// previous one of its prefix (measured with a counting comparator: 34.6 comparisons per hinted
// append, 138 per unhinted insert into 1.4M keys). Inserting into the memtable was the largest
// single cost of applying sales and positions. This one does what RocksDB's skiplist does
// (LevelDB's design, with RocksDB's splices for insert hints) without the checks: an append after
// the previous key of the same prefix is 2-3 comparisons.
//
// Insert hints: RocksDB's own (ColumnFamilyOptions::memtable_insert_with_hint_prefix_extractor)
// keep a map from each prefix to its splice in the MemTable, whose lookups (hash, node, compare)
// cost about as much as the insert itself once every line of a sale is an append. This
// representation keeps that map itself instead, as an open-addressing table of prefix hashes:
// give the factory `hint_prefix` (the same transform) and leave RocksDB's option unset. Both work.
//
// Contract (RocksDB's, for representations that do not support concurrent inserts):
//   - one writer at a time (DBOptions::allow_concurrent_memtable_write = false; RocksDB refuses
//     to open otherwise), any number of concurrent readers (Get, iterators), lock-free: a node is
//     fully built before one release store publishes it at each level, readers load links with
//     acquire;
//   - nodes are never removed; memory is freed with the representation, after the memtable's
//     last reader;
//   - keys are ordered by the comparator RocksDB passes (internal key order), so this works for
//     any user comparator;
//   - nodes (links and entry) live in RocksDB's memtable arena (counted against write_buffer_size
//     and the write buffer manager); the head and the insert splices in this representation's own
//     blocks, reported by ApproximateMemoryUsage(); iterators in the arena RocksDB passes.
#pragma once

#include <memory>

#include <rocksdb/memtablerep.h>
#include <rocksdb/slice_transform.h>

namespace estoque::store {

// `hint_prefix` (may be null: none): inserts of keys with the same prefix (of the user key) start
// from where the previous one went (see above).
std::shared_ptr<rocksdb::MemTableRepFactory> NewSkipListMemTableFactory(
    std::shared_ptr<const rocksdb::SliceTransform> hint_prefix = nullptr);

}  // namespace estoque::store
