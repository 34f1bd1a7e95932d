// Every bound of the system in one place, each with its unit. Exceeding one is a clear error,
// never a crash or silent truncation.
#pragma once

#include <cstddef>
#include <cstdint>

namespace estoque::limits {

// Request bodies larger than this get 413.
inline constexpr std::size_t kRequestBodyBytesMax = 1024 * 1024;
// Request header block larger than this gets 431.
inline constexpr std::size_t kRequestHeaderBytesMax = 16 * 1024;
// Items in one POST /v1/posicoes body; more gets 400.
inline constexpr std::size_t kItemsPerMessageMax = 1000;
// JSON nesting depth accepted in any request body.
inline constexpr std::size_t kJsonDepthMax = 32;
// Page size bounds of list endpoints and of the seed's scan.
inline constexpr std::size_t kPageLimitDefault = 100;
inline constexpr std::size_t kPageLimitMax = 1000;

// codigo_barra: 8..14 ASCII digits.
inline constexpr std::size_t kBarcodeDigitsMin = 8;
inline constexpr std::size_t kBarcodeDigitsMax = 14;
// filial: 1..32 chars of [A-Za-z0-9_-].
inline constexpr std::size_t kBranchCharsMin = 1;
inline constexpr std::size_t kBranchCharsMax = 32;
// nome_produto: 1..200 Unicode code points of valid UTF-8.
inline constexpr std::size_t kProductNameCodePointsMin = 1;
inline constexpr std::size_t kProductNameCodePointsMax = 200;

// The catalog's free-text fields (valid UTF-8, no control characters), in Unicode code points.
// Bounded so a record stays small in memory (the whole catalog is held there) and on the wire.
inline constexpr std::size_t kCategoryCodePointsMax = 100;    // categoria of a product
inline constexpr std::size_t kBranchNameCodePointsMax = 200;  // nome of a branch
inline constexpr std::size_t kCityCodePointsMax = 100;        // cidade of a branch
// fuso: an IANA zone name; the longest in the tz database has 32 bytes.
inline constexpr std::size_t kTimeZoneNameBytesMax = 64;
// q= of GET /v1/produtos: a name fragment, so no longer than a product name.
inline constexpr std::size_t kSearchQueryCodePointsMax = kProductNameCodePointsMax;
// Products in one POST /v1/produtos/lote body (one atomic write); more gets 400.
inline constexpr std::size_t kCatalogBatchItemsMax = 1000;

// qtd_estoque: fixed point with 3 decimal places; |value| <= 10^12 units.
inline constexpr int kQuantityDecimalPlaces = 3;
inline constexpr int64_t kQuantityScale = 1000;  // milli-units per unit
inline constexpr int64_t kQuantityAbsMilliMax = 1'000'000'000'000'000;  // 10^12 units

// Embedded queue bounds (defaults; configurable). When full, writes get 503 + Retry-After.
inline constexpr std::size_t kQueueMessagesMaxDefault = 200'000;
inline constexpr std::size_t kQueueBytesMaxDefault = 512ull * 1024 * 1024;
// Messages the worker applies in one atomic write: the default and the most that may be
// configured. The embedded store fsyncs each apply (the queue's rows are in another database and
// are deleted after it): 512 lets one fsync cover twice the work of 256, which kept up with sales
// ingest where 256 fell behind (docs/BENCHMARKS.md, "The queue in its own database").
inline constexpr std::size_t kApplyBatchMessagesDefault = 512;
inline constexpr std::size_t kApplyBatchMessagesMax = 512;

// Poison messages (docs/RELIABILITY.md): attempts at a message whose failure is its own (it does
// not decode, or applying it fails with a non-retryable code) before it moves to the dead-letter
// queue: the default and the most that may be configured (each attempt waits a backoff).
inline constexpr uint32_t kDeadLetterAttemptsDefault = 5;
inline constexpr uint32_t kDeadLetterAttemptsMax = 100;
// Dead letters one replay or drop acts on (one atomic write); "todas" takes the oldest this many
// and reports how many remain.
inline constexpr std::size_t kDeadLetterSelectionMax = 1000;
// Stored message bytes one dead-letter listing page or replay holds in memory (a message may be
// up to about 1 MB): a page stops early (its cursor goes on), "todas" replays fewer (the answer's
// "restantes" says how many are left), and ids beyond it are refused with InvalidArgument.
inline constexpr std::size_t kDeadLetterBytesPerCallMax = 16ull * 1024 * 1024;
// Bytes of a failure's reason kept with a dead letter (longer reasons are cut).
inline constexpr std::size_t kDeadLetterReasonBytesMax = 1024;
// Retry-After of a write refused because the storage refuses writes (507 disk full, 503 I/O
// error): the free-space check runs every 100 ms, so this is about how soon an operator's fix is
// seen, not a bound of ours.
inline constexpr int kStorageRetryAfterSeconds = 5;
// Default free space (MiB) of the data directory's filesystem below which writes are refused
// before RocksDB runs out (serve --min-free-disk-mb): room for the memtables' flush (2 x 32 MiB),
// a new WAL's preallocation (about 35 MiB) and compactions.
inline constexpr std::size_t kMinFreeDiskMebibytesDefault = 256;

}  // namespace estoque::limits
