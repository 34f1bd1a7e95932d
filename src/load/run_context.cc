#include "load/run_context.h"

#include <ostream>

namespace estoque::load {

void ErrorLog::Report(std::string_view what) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (printed_ > kErrorsPrintedMax) return;
  if (printed_++ == kErrorsPrintedMax) {
    out_ << "error: (further errors are counted, not printed)\n" << std::flush;
    return;
  }
  out_ << "error: " << what << "\n" << std::flush;
}

void ErrorLog::Print(std::string_view line) {
  std::lock_guard<std::mutex> lock(mutex_);
  out_ << line << "\n" << std::flush;
}

}  // namespace estoque::load
