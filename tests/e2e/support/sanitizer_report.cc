#include "e2e/support/sanitizer_report.h"

#include <algorithm>
#include <array>

namespace estoque::e2e {

std::string SanitizerReportIn(std::string_view output) {
  // What each runtime prints first: "WARNING: ThreadSanitizer: data race", "==1==ERROR:
  // AddressSanitizer: ...", "==1==ERROR: LeakSanitizer: ...", "FATAL: ThreadSanitizer: ...", and
  // UBSan's "file:line:col: runtime error: ..." (with its "SUMMARY: UndefinedBehaviorSanitizer").
  static constexpr std::array<std::string_view, 6> kMarkers = {
      "WARNING: ThreadSanitizer:", "FATAL: ThreadSanitizer:", "ERROR: AddressSanitizer:",
      "ERROR: LeakSanitizer:",     ": runtime error: ",       "SUMMARY: UndefinedBehaviorSanitizer"};
  size_t first = std::string_view::npos;
  for (std::string_view marker : kMarkers) first = std::min(first, output.find(marker));
  if (first == std::string_view::npos) return {};
  const size_t line = output.rfind('\n', first);
  return std::string(output.substr(line == std::string_view::npos ? 0 : line + 1));
}

}  // namespace estoque::e2e
