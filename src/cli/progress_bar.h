// ProgressBar: how far a long command-line job is, on stderr. On a terminal, one line redrawn in
// place ("\r"); otherwise (a log file, a CI job) a plain line every 10 %, so logs stay readable.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>

namespace estoque::cli {

// Not thread-safe.
class ProgressBar {
 public:
  // Width of the bar on a terminal, in characters.
  static constexpr int kBarChars = 30;
  // Without a terminal, a line each time the job crosses a multiple of this (percent).
  static constexpr int kLineEveryPercent = 10;

  // `what` names the units counted ("products"); `out` must outlive the bar.
  ProgressBar(std::ostream& out, bool terminal, std::size_t total, std::string what);

  // Reports `done` of total (non-decreasing, at most total).
  void Update(std::size_t done);
  // Ends the bar's line on a terminal (call before printing anything else). Idempotent.
  void Finish();

 private:
  int Percent(std::size_t done) const;

  std::ostream& out_;
  const bool terminal_;
  const std::size_t total_;
  const std::string what_;
  int last_reported_percent_ = 0;  // without a terminal: the last multiple printed
  bool line_open_ = false;
};

}  // namespace estoque::cli
