#!/usr/bin/env bash
# The server's CPU time per item of one kind of load: starts a fresh server, warms it up for 2 s,
# runs the load generator for DURATION s (seed catalog, 2 branches, 35 items per request, CONNS
# connections), waits for the queue to drain, and prints the server's user + system CPU seconds
# (from /proc/PID/stat) per million items, with the load generator's for comparison. A figure that
# does not depend on how fast the machine happens to be at the moment as much as items/s does;
# still compare binaries alternated in one session.
# Usage: [ESTOQUE=path/to/estoque] [BASELINE=1] bench/server_cpu.sh KIND   (KIND: posicoes|vendas;
#        BASELINE=1 starts a binary that predates API keys, e.g. the core issue's, without their
#        options; env: CONNS=64 DURATION=10)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
KIND=${1:?usage: bench/server_cpu.sh posicoes|vendas}
CONNS=${CONNS:-64}; DURATION=${DURATION:-10}
LOAD=$BUILD/estoque  # the load generator is always this build's
[ -z "${BASELINE:-}" ] || BENCH_SERVER_ARGS=()
load() {  # load SECONDS
  "$LOAD" load --kind "$KIND" --url "$URL" --catalog ../shared/data/produtos_supermercado.json \
    --branches 2 --batch 35 --connections "$CONNS" --progress 0 --duration "$1" --freshness-every 0
}
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$SERVER_PID/stat"; }
start_server ${SERVER_ARGS:-}
load 2 >/dev/null 2>&1
sleep 1
before=$(cpu_s)
TIMEFORMAT='LOADCPU %U %S'  # bash's `time`: the load generator's user and system seconds
out=$( { time load "$DURATION" 2>/dev/null; } 2>&1)
until [ "$(curl -s -H "$AUTH_HEADER" "$URL/v1/fila" | sed -E 's/.*"profundidade":([0-9]+).*/\1/')" = 0 ]; do
  sleep 0.01
done
after=$(cpu_s)
items=$(sed -nE 's/^messages accepted: [0-9]+ \(([0-9]+) items\).*/\1/p' <<<"$out")
load_cpu=$(awk '/^LOADCPU/ {print $2 + $3}' <<<"$out")
awk -v kind="$KIND" -v a="$before" -v b="$after" -v n="$items" -v l="$load_cpu" 'BEGIN {
  printf "%s items=%d server_cpu_s=%.2f server_us_per_item=%.3f load_us_per_item=%.3f\n",
         kind, n, b - a, (b - a) * 1e6 / n, l * 1e6 / n }'
