# Shared helpers of the benchmark scripts: start/stop an estoque server on a temp data dir.
# Requires a Release build in $BUILD (default build/).
BUILD=${BUILD:-build}
ESTOQUE=${ESTOQUE:-$BUILD/estoque}
PORT=${PORT:-18461}
URL=http://127.0.0.1:$PORT
# The admin key of every benchmark server (set at its first start) and of the load generator; curl
# and wrk send it as x-api-key. Throttling is lifted for benchmarks (the default, 1000 requests/s
# per key, would be the bottleneck of a one-key load test).
export ESTOQUE_BOOTSTRAP_ADMIN_KEY=${ESTOQUE_BOOTSTRAP_ADMIN_KEY:-estq_bench-admin-key-0123456789abcdefghijklmnopqrstuvw}
export ESTOQUE_API_KEY=$ESTOQUE_BOOTSTRAP_ADMIN_KEY
AUTH_HEADER="x-api-key: $ESTOQUE_API_KEY"
BENCH_SERVER_ARGS=(--rate-limit-rps 0)
SERVER_PID=""
DATA=""

start_server() {  # start_server [extra serve args...]
  DATA=$(mktemp -d /tmp/estoque-bench.XXXXXX)
  "$ESTOQUE" serve --listen 127.0.0.1:$PORT --data "$DATA" --log-level warn "${BENCH_SERVER_ARGS[@]}" "$@" > "$DATA.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 500); do
    grep -q "listening on" "$DATA.log" 2>/dev/null && return 0
    sleep 0.01
  done
  echo "server did not start:"; cat "$DATA.log"; exit 1
}

RESTART_MS=""
restart_server() {  # same data dir; sets RESTART_MS to the milliseconds until /health answers
  stop_server keep
  local t0; t0=$(date +%s%N)
  "$ESTOQUE" serve --listen 127.0.0.1:$PORT --data "$DATA" --log-level warn "${BENCH_SERVER_ARGS[@]}" "$@" > "$DATA.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 6000); do
    curl -sf "$URL/health" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "server exited:"; cat "$DATA.log"; exit 1; }
    sleep 0.005
  done
  RESTART_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
}

stop_server() {  # stop_server [keep]: SIGTERM; removes the data dir unless "keep"
  if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
  SERVER_PID=""
  if [ "${1:-}" != keep ] && [ -n "$DATA" ]; then rm -rf "$DATA" "$DATA.log"; fi
}

server_rss_mb() { awk '/VmRSS/ {printf "%d", $2/1024}' /proc/$SERVER_PID/status; }
trap 'stop_server' EXIT
