// The progress bar of command-line jobs (cli/progress_bar.h).
#include "cli/progress_bar.h"

#include <algorithm>
#include <sstream>

#include <gtest/gtest.h>

namespace estoque::cli {
namespace {

TEST(ProgressBar, TerminalRedrawsOneLine) {
  std::ostringstream out;
  ProgressBar bar(out, /*terminal=*/true, 200, "products");
  bar.Update(0);
  bar.Update(100);
  bar.Update(200);
  bar.Finish();
  bar.Finish();
  const std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\r'), 3);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
  EXPECT_NE(text.find("\r[###############...............] 50% 100/200 products"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("] 100% 200/200 products\n"), std::string::npos);
}

TEST(ProgressBar, LogPrintsALineEveryTenPercent) {
  std::ostringstream out;
  ProgressBar bar(out, /*terminal=*/false, 1000, "products");
  for (std::size_t done = 0; done <= 1000; done += 50) bar.Update(done);
  bar.Finish();
  const std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 10);
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_NE(text.find("100/1000 products (10%)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("1000/1000 products (100%)\n"), std::string::npos);
}

}  // namespace
}  // namespace estoque::cli
