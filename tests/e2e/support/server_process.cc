#include "e2e/support/server_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <gtest/gtest.h>

extern char** environ;

#include "e2e/support/sanitizer_report.h"
#include "e2e/support/test_keys.h"

namespace estoque::e2e {
namespace fs = std::filesystem;

ServerProcess::ServerProcess(std::string data_dir, std::vector<std::string> extra_args,
                             std::map<std::string, std::string> env)
    : data_dir_(std::move(data_dir)), extra_args_(std::move(extra_args)), env_(std::move(env)) {
  log_path_ = data_dir_ + ".log";
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Kill();
  // Under scripts/sanitize and scripts/tsan the server is instrumented: a report it made in any of
  // its runs (restarts append to the same log) fails the test, however the test ended the server.
  if (const std::string report = SanitizerReportIn(output()); !report.empty()) {
    ADD_FAILURE() << "the estoque server made a sanitizer report (" << log_path_ << "):\n" << report;
  }
  std::error_code ignored;
  fs::remove(log_path_, ignored);
}

std::string ServerProcess::output() const {
  std::ifstream in(log_path_);
  std::stringstream all;
  all << in.rdbuf();
  return all.str();
}

bool ServerProcess::Start(std::chrono::milliseconds timeout) {
  port_ = 0;
  url_.clear();
  const std::string binary = ESTOQUE_BINARY;
  std::vector<std::string> args = {binary, "serve", "--listen", "127.0.0.1:0", "--data", data_dir_};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    if (entry.rfind("ESTOQUE_", 0) == 0) continue;  // hermetic: only what the test sets
    env_strings.push_back(entry);
  }
  for (const auto& [key, value] : env_) env_strings.push_back(key + "=" + value);
  if (env_.count("ESTOQUE_BOOTSTRAP_ADMIN_KEY") == 0) {
    env_strings.push_back(std::string("ESTOQUE_BOOTSTRAP_ADMIN_KEY=") + kTestAdminKey);
  }

  const size_t offset = output().size();  // restarts append to the same log
  const pid_t pid = fork();
  if (pid < 0) {
    last_error_ = "fork failed";
    return false;
  }
  if (pid == 0) {
    int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    // The test binary may block signals; the server must start with a clean mask.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    execve(binary.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  pid_ = pid;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::string marker = "listening on ";  // then http://127.0.0.1:PORT or https://...
  const std::string host = "://127.0.0.1:";
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string log = output();
    const auto at = log.find(marker, offset);
    const auto end = at == std::string::npos ? std::string::npos : log.find('\n', at);
    if (end != std::string::npos) {
      url_ = log.substr(at + marker.size(), end - at - marker.size());
      const auto port_at = url_.find(host);
      if (port_at == std::string::npos) {
        last_error_ = "unexpected listening line: " + url_;
        Kill();
        return false;
      }
      port_ = static_cast<uint16_t>(std::stoi(url_.substr(port_at + host.size())));
      return true;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      last_error_ = "server exited before listening:\n" + log.substr(offset);
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  last_error_ = "server did not listen in time:\n" + output().substr(offset);
  Kill();
  return false;
}

int ServerProcess::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      pid_ = -1;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return -1;
}

int ServerProcess::Terminate(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  const int code = Wait(timeout);
  if (code == -1 && pid_ > 0) Kill();
  return code;
}

void ServerProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace estoque::e2e
