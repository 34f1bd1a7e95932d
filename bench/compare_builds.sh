#!/usr/bin/env bash
# Side-by-side check that a change did not slow the hot paths: this build against a baseline
# build, alternating, in one session. Per round and per build:
#   - point GETs with 1,000,000 positions stored (one data dir per build, preloaded once; the
#     server restarted on it for every run; wrk -c CONNS for DURATION s after a 2 s warm-up);
#   - durable position ingest (a fresh server and data dir; this build's load generator, batches
#     of 35, CONNS connections, DURATION s after a 2 s warm-up; KIND=vendas for sales).
# Prints every run and the median of each build, and their ratios.
# Usage: BASELINE=/path/to/baseline/estoque bench/compare_builds.sh
#        (env: RUNS=5 CONNS=64 DURATION=10 BUILD=build KIND=posicoes)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
RUNS=${RUNS:-5}; CONNS=${CONNS:-64}; DURATION=${DURATION:-10}; KIND=${KIND:-posicoes}
CATALOG=../shared/data/produtos_supermercado.json
: "${BASELINE:?set BASELINE to the estoque binary of the baseline build}"
THIS=$ESTOQUE
LOADGEN=$THIS

declare -A QUERY INGEST
median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

# One data dir with 1M positions per build, each preloaded by its own server (an older build may
# not open a newer one's directory), with this build's load generator.
declare -A QUERY_DATA
for name in this base; do
  ESTOQUE=$([ "$name" = this ] && echo "$THIS" || echo "$BASELINE")
  start_server
  "$LOADGEN" load --url "$URL" --products 10000 --branches 100 --sequential-keys --messages 28572 \
    --duration 0 --connections 32 --freshness-every 0 --progress 0 2>/dev/null | grep '^RESULT' | sed "s/^/preload $name: /"
  until curl -s -H "$AUTH_HEADER" "$URL/v1/fila" | grep -q '"profundidade":0'; do sleep 0.1; done
  QUERY_DATA[$name]=$DATA
  stop_server keep
done

point_query() {  # point_query this|base
  local name=$1
  ESTOQUE=$([ "$name" = this ] && echo "$THIS" || echo "$BASELINE")
  DATA=${QUERY_DATA[$name]}
  restart_server
  wrk -H "$AUTH_HEADER" -t1 -c"$CONNS" -d2s -s bench/wrk_point_query.lua "$URL" -- 10000 100 >/dev/null
  local out rps p99
  out=$(wrk -H "$AUTH_HEADER" -t1 -c"$CONNS" -d"${DURATION}s" --latency -s bench/wrk_point_query.lua "$URL" -- 10000 100)
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  stop_server keep
  echo "round $round point_query build=$name requests_per_s=$rps p99=$p99"
  QUERY[$name]+="$rps "
}

ingest() {  # ingest this|base
  local name=$1
  ESTOQUE=$([ "$name" = this ] && echo "$THIS" || echo "$BASELINE")
  start_server
  "$LOADGEN" load --kind "$KIND" --url "$URL" --catalog "$CATALOG" --branches 2 --batch 35 \
    --connections "$CONNS" --duration 2 --progress 0 --freshness-every 0 >/dev/null 2>&1
  local out rate
  out=$("$LOADGEN" load --kind "$KIND" --url "$URL" --catalog "$CATALOG" --branches 2 --batch 35 \
    --connections "$CONNS" --duration "$DURATION" --progress 0 --freshness-every 0 2>/dev/null | grep '^RESULT')
  rate=$(sed -E 's/.*items_per_s=([0-9.]+).*/\1/' <<<"$out")
  stop_server
  echo "round $round ingest kind=$KIND build=$name items_per_s=$rate"
  INGEST[$name]+="$rate "
}

for round in $(seq 1 "$RUNS"); do
  if (( round % 2 )); then order=(this base); else order=(base this); fi
  for name in "${order[@]}"; do point_query "$name"; done
  for name in "${order[@]}"; do ingest "$name"; done
done
for name in this base; do rm -rf "${QUERY_DATA[$name]}" "${QUERY_DATA[$name]}.log"; done

q_this=$(median "${QUERY[this]}"); q_base=$(median "${QUERY[base]}")
i_this=$(median "${INGEST[this]}"); i_base=$(median "${INGEST[base]}")
echo "median point GET requests/s: this $q_this, baseline $q_base"
awk -v a="$q_this" -v b="$q_base" 'BEGIN {printf "point GET this / baseline: %.3f\n", a / b}'
echo "median ingest $KIND items/s: this $i_this, baseline $i_base"
awk -v a="$i_this" -v b="$i_base" 'BEGIN {printf "ingest this / baseline: %.3f\n", a / b}'
