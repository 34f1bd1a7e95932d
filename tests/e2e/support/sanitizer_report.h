// Sanitizer reports in a child process's output. The e2e suites run the real `estoque` binary as a
// child; under scripts/sanitize and scripts/tsan that binary is instrumented, and a report it makes
// must fail the test that started it even when the exit status alone would not show it (a server
// that a test then kills, a command whose failure the test expected anyway).
#pragma once

#include <string>
#include <string_view>

namespace estoque::e2e {

// The first ThreadSanitizer, AddressSanitizer, LeakSanitizer or UndefinedBehaviorSanitizer report
// in `output`, from the line it starts on to the end of `output`; "" when there is none.
std::string SanitizerReportIn(std::string_view output);

}  // namespace estoque::e2e
