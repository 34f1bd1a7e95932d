// `estoque import produtos FILE`: loads a product file into a running server's catalog through
// POST /v1/produtos/lote, in batches, with a progress bar.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>

#include "common/limits.h"

namespace estoque::cli {

struct ImportProductsOptions {
  std::string file;                              // JSON or CSV (cli/product_file.h)
  std::string server = "http://127.0.0.1:8080";  // base URL (load::ParseBaseUrl)
  // Products per request: 1..limits::kCatalogBatchItemsMax. A batch is also cut short so that
  // its body stays under limits::kRequestBodyBytesMax. 100: the most a server on the DynamoDB
  // store takes in one batch (one transaction), so the default works with both stores.
  std::size_t batch_items = 100;
  // Requests answered 503 (queue full, shutting down) are sent again after their Retry-After, at
  // most this many times each; then the import fails.
  int unavailable_retries_max = 5;
  std::string api_key;  // sent as x-api-key ("" = none)
};

// Reads and checks the whole file first (nothing is sent if a row is invalid), then sends it in
// order. Progress goes to `progress` (a redrawn bar if `progress_is_terminal`, else a line every
// 10 %); the final summary line ("imported N products from FILE: C created, U updated in S s") to
// `out`; errors, naming the file's line (CSV) or index (JSON) where there is one, to `progress`.
// Products of batches sent before a failing one stay imported (each batch is atomic).
// Returns the process exit code: 0 on success, 1 on a bad file, option, HTTP error or transport
// failure.
int RunImportProducts(const ImportProductsOptions& options, std::ostream& out,
                      std::ostream& progress, bool progress_is_terminal);

}  // namespace estoque::cli
