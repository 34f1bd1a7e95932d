// In-place upgrades of older data directory layouts (docs/STORAGE.md, "Format versions").
#pragma once

#include <rocksdb/db.h>

#include "common/result.h"

namespace estoque::store {

// Format 2 -> 3: "ledger_by_branch" keys changed from
//   branch \0 time barcode \0 origin \0 id   to   branch \0 time origin \0 id \0 barcode
// (so a sale's lines are contiguous and can share one entry). Deletes every index key and writes
// one per "ledger" entry again, synced. Safe to repeat after a crash part-way: the format version
// is raised only after this returns Ok.
[[nodiscard]] Status RebuildLedgerBranchIndex(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* ledger,
                                              rocksdb::ColumnFamilyHandle* ledger_by_branch);

}  // namespace estoque::store
