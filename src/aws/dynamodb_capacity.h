// DynamoDB's capacity rules, applied by us to what a request sends and receives: the size of an
// item and the read and write units a request of that size costs. Pure functions; no I/O.
//
// The rules are AWS's (Amazon DynamoDB Developer Guide):
//   - "DynamoDB item sizes and formats"
//     https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
//     an item's size is the sum of its attribute names (UTF-8 bytes) and values: String = UTF-8
//     bytes; Number = about 1 byte per two significant digits + 1 (leading and trailing zeros
//     trimmed); Binary = raw bytes (not the base64 on the wire); Boolean and Null = 1; List and
//     Map = 3 bytes + their elements + 1 byte per element (a Map element counts its name too);
//   - "DynamoDB read and write operations" (read-write-operations.html) and "Read/write capacity
//     mode" (HowItWorks.ReadWriteCapacityMode.html): one write unit per 1 KB written (rounded up),
//     one read unit per 4 KB read strongly consistent (rounded up; half for eventually
//     consistent); transactional reads and writes cost double; a BatchGetItem rounds each item
//     up on its own, a Query or Scan the sum of the page's items; an item written is written
//     again into every global secondary index it has the key attributes of.
// DynamoDB Local does not apply the last two (it bills transactions like plain writes), which is
// why the store counts by these rules instead of trusting ConsumedCapacity.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "aws/dynamodb_requests.h"
#include "aws/dynamodb_tables.h"

namespace estoque::aws::dynamodb {

inline constexpr std::size_t kWriteUnitBytes = 1024;
inline constexpr std::size_t kReadUnitBytes = 4096;
// Transactional reads and writes (TransactGetItems, TransactWriteItems) cost this many times more.
inline constexpr double kTransactionFactor = 2;

// The size of one AttributeValue ({"S": "..."}, {"N": "12"}, {"M": {...}}, ...) without its
// name. An unknown type or a value that is not an AttributeValue counts its JSON text's size (so
// nothing is ever free). Binary values are base64 on the wire: their decoded length is counted.
std::size_t AttributeValueSizeBytes(const boost::json::value& attribute_value);

// The size of an item: Σ (attribute name's UTF-8 bytes + AttributeValueSizeBytes).
std::size_t ItemSizeBytes(const Item& item);

// Write units of writing `bytes` once (not in a transaction): ceil(bytes / 1 KB), at least 1.
double WriteUnits(std::size_t bytes);
// Read units of reading `bytes` once: ceil(bytes / 4 KB), at least 1; half that when not
// `consistent` (eventually consistent). Reading nothing (an item not found) still costs the minimum.
double ReadUnits(std::size_t bytes, bool consistent);

// The key attribute names of each global secondary index of a table, one list per index.
using IndexKeys = std::vector<std::vector<std::string>>;
// Table name -> IndexKeys (tables without indexes may be absent).
using TableIndexKeys = std::map<std::string, IndexKeys>;
TableIndexKeys IndexKeysOf(const std::vector<TableSpec>& specs);

// How many of `indexes` `item` is written into: those whose key attributes it all has (a sparse
// index holds only the items that have its keys).
int IndexesWritten(const Item& item, const IndexKeys& indexes);

// Write units of a PutItem of `item` in a table with `indexes`: WriteUnits(item size) for the
// table and again for each index it is written into. (Approximation: the index copy is billed on
// the projected item, which for KEYS_ONLY is smaller; our items are all under 1 KB, so the
// figure is the same. Removing an item from an index it left, which DynamoDB also bills, is not
// counted: the old item is not known.)
double PutWriteUnits(const Item& item, const IndexKeys& indexes);

}  // namespace estoque::aws::dynamodb
