#!/usr/bin/env bash
# What authentication and throttling cost the query path: point GETs with 1,000,000 positions
# stored, the same server data dir restarted alternately with --auth on (every request carries an
# API key: SHA-256 of the token, key lookup, role and branch checks, a token bucket) and with
# --auth off (none of that), RUNS rounds of wrk -c CONNS for DURATION s each. Prints every run and
# the median requests/s of each mode, and their ratio (the issue's bound: on >= 0.9 x off).
# Usage: bench/auth_cost.sh   (env: RUNS=5 CONNS=64 DURATION=10 BUILD=build)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
RUNS=${RUNS:-5}; CONNS=${CONNS:-64}; DURATION=${DURATION:-10}
ON_ARGS=(--rate-limit-rps 1000000000 --rate-limit-burst 1000000000)  # throttling on, never refusing
OFF_ARGS=(--auth off --rate-limit-rps 0)

BENCH_SERVER_ARGS=()
start_server "${ON_ARGS[@]}"
"$ESTOQUE" load --url "$URL" --products 10000 --branches 100 --sequential-keys --messages 28572 \
  --duration 0 --connections 32 --freshness-every 0 --progress 0 2>/dev/null | grep '^RESULT' | sed 's/^/preload: /'
until curl -s -H "$AUTH_HEADER" "$URL/v1/fila" | grep -q '"profundidade":0'; do sleep 0.1; done

declare -A RPS
run_mode() {  # run_mode on|off
  local mode=$1
  if [ "$mode" = on ]; then restart_server "${ON_ARGS[@]}"; else restart_server "${OFF_ARGS[@]}"; fi
  wrk -H "$AUTH_HEADER" -t1 -c"$CONNS" -d2s -s bench/wrk_point_query.lua "$URL" -- 10000 100 >/dev/null
  local out; out=$(wrk -H "$AUTH_HEADER" -t1 -c"$CONNS" -d"${DURATION}s" --latency -s bench/wrk_point_query.lua "$URL" -- 10000 100)
  local rps p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  echo "round $round auth=$mode requests_per_s=$rps p99=$p99 non_2xx=${non2xx:-0}"
  RPS[$mode]+="$rps "
}
for round in $(seq 1 "$RUNS"); do
  run_mode on
  run_mode off
done
median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
on=$(median "${RPS[on]}"); off=$(median "${RPS[off]}")
echo "median requests/s: auth on $on, auth off $off"
awk -v a="$on" -v b="$off" 'BEGIN {printf "auth on / auth off: %.3f\n", a / b}'
