#include "cli/progress_bar.h"

#include <cassert>

namespace estoque::cli {

ProgressBar::ProgressBar(std::ostream& out, bool terminal, std::size_t total, std::string what)
    : out_(out), terminal_(terminal), total_(total), what_(std::move(what)) {}

int ProgressBar::Percent(std::size_t done) const {
  if (total_ == 0) return 100;
  return static_cast<int>(done * 100 / total_);
}

void ProgressBar::Update(std::size_t done) {
  assert(done <= total_);
  const int percent = Percent(done);
  if (terminal_) {
    const int filled = percent * kBarChars / 100;
    out_ << "\r[" << std::string(filled, '#') << std::string(kBarChars - filled, '.') << "] "
         << percent << "% " << done << "/" << total_ << " " << what_ << std::flush;
    line_open_ = true;
    return;
  }
  const int step = percent / kLineEveryPercent * kLineEveryPercent;
  if (step <= last_reported_percent_) return;
  last_reported_percent_ = step;
  out_ << done << "/" << total_ << " " << what_ << " (" << percent << "%)\n" << std::flush;
}

void ProgressBar::Finish() {
  if (!line_open_) return;
  out_ << "\n" << std::flush;
  line_open_ = false;
}

}  // namespace estoque::cli
