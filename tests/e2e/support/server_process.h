// ServerProcess: runs the real `estoque serve` binary for end-to-end tests, on 127.0.0.1 with a
// free port (--listen 127.0.0.1:0; the bound address, http:// or https://, is read from its
// stdout) and a temporary data directory that is removed at the end.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace estoque::e2e {

using estoque::test_support::TempDir;

class ServerProcess {
 public:
  // `extra_args` are appended to `estoque serve --listen 127.0.0.1:0 --data <data_dir>`;
  // `env` entries are added to the child's environment.
  ServerProcess(std::string data_dir, std::vector<std::string> extra_args = {},
                std::map<std::string, std::string> env = {});
  // SIGKILLs a child still running, and fails the current test (ADD_FAILURE) if the server's
  // output holds a sanitizer report (e2e/support/sanitizer_report.h).
  ~ServerProcess();

  // Starts the binary and waits (up to `timeout`) for its "listening on" line. Returns false (and
  // fills last_error()) if it exited or did not listen in time.
  bool Start(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // SIGTERM, then waits for exit; returns the exit code (or 128+signal), -1 on timeout.
  int Terminate(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // SIGKILL and reap: a crash.
  void Kill();

  bool running() const { return pid_ > 0; }
  uint16_t port() const { return port_; }
  // The running child's process id (-1 when not running), e.g. to read /proc/<pid>/status.
  pid_t pid() const { return pid_; }
  // The base URL it printed: "http://127.0.0.1:PORT", or "https://..." when serving TLS.
  const std::string& url() const { return url_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& last_error() const { return last_error_; }
  // Everything the child wrote on stdout/stderr so far (for failure messages).
  std::string output() const;

 private:
  int Wait(std::chrono::milliseconds timeout);

  std::string data_dir_;
  std::vector<std::string> extra_args_;
  std::map<std::string, std::string> env_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string url_;
  std::string log_path_;
  std::string last_error_;
};

}  // namespace estoque::e2e
