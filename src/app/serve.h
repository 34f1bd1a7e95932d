// `estoque serve`: wires the embedded backends, the worker and the HTTP API together and runs
// until SIGTERM/SIGINT. The only place that knows which backends are in use.
#pragma once

#include "app/serve_config.h"

namespace estoque::app {

// Blocks SIGTERM/SIGINT/SIGPIPE handling for the whole process. Call first thing in main, before
// any thread exists, so that only RunServe's sigwait sees the signals.
void BlockTerminationSignals();

// Runs the server. Prints "estoque listening on http://HOST:PORT" (https:// with TLS) on stdout
// once it accepts connections. On SIGTERM/SIGINT: writes get 503, in-flight requests finish, the
// queue is drained by the worker (bounded by shutdown_drain_ms; what remains stays durable for the
// next start), everything is flushed and closed. Returns the process exit code (0 on a clean shutdown, 1 if it
// could not start, with the reason on stderr).
int RunServe(const ServeConfig& config);

}  // namespace estoque::app
