#!/usr/bin/env bash
# Restart time with 1,000,000 positions stored (issue 5's bound: ready to serve in under 5 s).
# Preloads 1M positions (10,000 products x 100 branches, so also 1M ledger entries), then RUNS
# times each: (a) SIGTERM and start again; (b) kill -9 in the middle of full-speed ingest and start
# again. "Ready" = GET /health answers 200 and a point GET of a stored position answers 200.
# Prints each time in ms and the medians.
# Usage: bench/restart.sh   (env: RUNS=5 BUILD=build)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
RUNS=${RUNS:-5}

start_server
"$ESTOQUE" load --url "$URL" --products 10000 --branches 100 --sequential-keys --messages 28572 \
  --duration 0 --connections 32 --freshness-every 0 --progress 0 2>/dev/null | grep '^RESULT' | sed 's/^/preload: /'
until curl -s -H "$AUTH_HEADER" "$URL/v1/fila" | grep -q '"profundidade":0'; do sleep 0.1; done
# A stored key: product 0 of the generated catalogue ("789" + 9-digit index + check digit), branch 1001.
PROBE="$URL/v1/posicoes/7890000000000/1001"
curl -sf -H "$AUTH_HEADER" "$PROBE" >/dev/null || { echo "probe position missing: $PROBE"; exit 1; }

ready_ms() {  # ready_ms T0_NS: waits until /health and the probe answer; prints ms since T0_NS
  local t0=$1
  for _ in $(seq 1 6000); do
    if curl -sf "$URL/health" >/dev/null 2>&1 && curl -sf -H "$AUTH_HEADER" "$PROBE" >/dev/null 2>&1; then
      echo $(( ($(date +%s%N) - t0) / 1000000 )); return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "server exited:" >&2; cat "$DATA.log" >&2; exit 1; }
    sleep 0.005
  done
  echo "not ready after 30 s" >&2; exit 1
}
start_again() {
  "$ESTOQUE" serve --listen 127.0.0.1:$PORT --data "$DATA" --log-level warn "${BENCH_SERVER_ARGS[@]}" > "$DATA.log" 2>&1 &
  SERVER_PID=$!
}
median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

term=(); crash=()
for run in $(seq 1 "$RUNS"); do
  stop_server keep
  t0=$(date +%s%N); start_again; ms=$(ready_ms "$t0"); term+=("$ms")
  echo "run $run: after SIGTERM ready in $ms ms"

  "$ESTOQUE" load --url "$URL" --products 10000 --branches 100 --connections 64 --duration 30 \
    --freshness-every 0 --progress 0 >/dev/null 2>&1 &
  load_pid=$!
  sleep 3
  kill -9 "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  kill "$load_pid" 2>/dev/null; wait "$load_pid" 2>/dev/null || true
  t0=$(date +%s%N); start_again; ms=$(ready_ms "$t0"); crash+=("$ms")
  echo "run $run: after kill -9 at full ingest ready in $ms ms ($(curl -s -H "$AUTH_HEADER" "$URL/v1/fila"))"
  until curl -s -H "$AUTH_HEADER" "$URL/v1/fila" | grep -q '"profundidade":0'; do sleep 0.1; done
done
echo "median ready ms: after SIGTERM $(printf '%s\n' "${term[@]}" | median), after kill -9 $(printf '%s\n' "${crash[@]}" | median)"
