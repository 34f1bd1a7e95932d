#!/usr/bin/env bash
# Sales ingest against position ingest, side by side in one session: RUNS rounds, each a
# positions run then a sales run, every run on a fresh server and data dir with the same options
# (seed catalog, 2 branches, 35 items per request, C connections, D seconds after a 2 s warm-up,
# fsync before every 202). A position request carries 35 positions, a sales request one sale of
# 35 lines; items/s counts positions or sale lines. After each run the script waits for the
# queue to drain: applied_items_per_s = items / (run + drain), i.e. durable, queued and applied.
# "processed" is what the worker applied (or dropped as older) during the run and the drain; it
# must equal the items accepted. Prints every run, then the medians per kind.
# Freshness probes are off by default (FRESHNESS_EVERY=0): a probe polls GET until its item is
# readable, so the probes' read load depends on how fast each kind becomes visible and is not the
# same for both kinds (measured: with probes every 20th message, sales lost ~7 % to the extra
# polling their quicker freshness allows). FRESHNESS_EVERY=20 measures freshness as well.
# BASELINE_ESTOQUE=path/to/estoque adds a third run per round: positions on that binary's server
# (e.g. the core issue's build, to compare with the position ingest it had; the load generator is
# always this build's), reported as kind "base".
# BEFORE_ESTOQUE=path/to/estoque adds, per round, a sales run on that binary's server (an older
# build of this code, to compare a change side by side), reported as kind "before".
# POSITIONS=0 skips this build's positions runs (with BASELINE_ESTOQUE, to compare sales with the
# core issue's positions only).
# Usage: bench/sales_ingest.sh   (env: RUNS=3 CONNS=64 DURATION=10 FRESHNESS_EVERY=0 BUILD=build
#        SERVER_ARGS=... BEFORE_ESTOQUE=... BASELINE_ESTOQUE=... POSITIONS=1)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
RUNS=${RUNS:-3}; CONNS=${CONNS:-64}; DURATION=${DURATION:-10}; FRESHNESS_EVERY=${FRESHNESS_EVERY:-0}
CATALOG=../shared/data/produtos_supermercado.json
DRAIN_WAIT_S_MAX=120

load() {  # load KIND [extra load args...]
  local kind=$1; shift
  "$ESTOQUE" load --kind "$kind" --url "$URL" --catalog "$CATALOG" --branches 2 --batch 35 \
    --connections "$CONNS" --progress 0 "$@"
}
queue_field() { curl -s -H "$AUTH_HEADER" "$URL/v1/fila" | sed -E "s/.*\"$1\":([0-9]+).*/\1/"; }
processed_total() { echo $(( $(queue_field aplicadas) + $(queue_field descartadas_mais_antigas) )); }
wait_drained() {  # returns once the queue is empty; fails after DRAIN_WAIT_S_MAX
  local deadline=$(( $(date +%s) + DRAIN_WAIT_S_MAX ))
  until [ "$(queue_field profundidade)" = 0 ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "queue did not drain in ${DRAIN_WAIT_S_MAX} s"; exit 1; }
    sleep 0.005
  done
}
field() { sed -nE "s/.* $1=([0-9.]+).*/\1/p" <<<" $2"; }

run_one() {  # run_one KIND [LABEL SERVER_BINARY [BASELINE]]: one fresh-server run; appends "label items/s ..." to RESULTS
  local kind=$1 label=${2:-$1} load_binary=$ESTOQUE
  local saved_args=("${BENCH_SERVER_ARGS[@]}")
  [ -z "${3:-}" ] || ESTOQUE=$3
  # The baseline binary (the core issue's) predates API keys and throttling: no options for them.
  [ -z "${4:-}" ] || BENCH_SERVER_ARGS=()
  start_server ${SERVER_ARGS:-}
  ESTOQUE=$load_binary; BENCH_SERVER_ARGS=("${saved_args[@]}")
  load "$kind" --duration 2 --freshness-every 0 >/dev/null 2>&1   # warm-up
  wait_drained
  local before; before=$(processed_total)
  local out; out=$(load "$kind" --duration "$DURATION" --freshness-every "$FRESHNESS_EVERY" 2>/dev/null)
  local t0; t0=$(date +%s%N)
  wait_drained
  local drain_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  local processed=$(( $(processed_total) - before ))
  stop_server
  local result; result=$(grep '^RESULT' <<<"$out")
  local items elapsed
  items=$(sed -nE 's/^messages accepted: [0-9]+ \(([0-9]+) items\) in ([0-9.]+) s$/\1/p' <<<"$out")
  elapsed=$(sed -nE 's/^messages accepted: [0-9]+ \(([0-9]+) items\) in ([0-9.]+) s$/\2/p' <<<"$out")
  local applied
  applied=$(awk -v n="$items" -v s="$elapsed" -v d="$drain_ms" 'BEGIN {printf "%d", n / (s + d / 1000)}')
  local line
  line=$(printf "%-8s items_per_s=%s applied_items_per_s=%s drain_ms=%s latency_ms_p50=%s latency_ms_p99=%s freshness_ms_p50=%s freshness_ms_p99=%s errors=%s items=%s processed=%s" \
    "$kind" "$(field items_per_s "$result")" "$applied" "$drain_ms" "$(field latency_ms_p50 "$result")" \
    "$(field latency_ms_p99 "$result")" "$(field freshness_ms_p50 "$result")" \
    "$(field freshness_ms_p99 "$result")" "$(field errors "$result")" "$items" "$processed")
  line="$label${line#"$kind"}"
  echo "run $round: $line"
  RESULTS+=("$line")
}

median() {  # median KIND KEY: the median of KEY over KIND's runs
  for line in "${RESULTS[@]}"; do
    [[ $line == "$1 "* ]] && field "$2" "$line"
  done | sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

RESULTS=()
for round in $(seq 1 "$RUNS"); do
  [ "${POSITIONS:-1}" = 0 ] || run_one posicoes
  run_one vendas
  [ -z "${BEFORE_ESTOQUE:-}" ] || run_one vendas before "$BEFORE_ESTOQUE"
  [ -z "${BASELINE_ESTOQUE:-}" ] || run_one posicoes base "$BASELINE_ESTOQUE" baseline
done
KINDS=(vendas)
[ "${POSITIONS:-1}" = 0 ] || KINDS=(posicoes vendas)
[ -z "${BEFORE_ESTOQUE:-}" ] || KINDS+=(before)
[ -z "${BASELINE_ESTOQUE:-}" ] || KINDS+=(base)
echo "medians over $RUNS runs each (C=$CONNS, ${DURATION} s):"
for kind in "${KINDS[@]}"; do
  printf "%-8s" "$kind"
  for key in items_per_s applied_items_per_s drain_ms latency_ms_p50 latency_ms_p99 freshness_ms_p50 freshness_ms_p99; do
    printf " %s=%s" "$key" "$(median "$kind" "$key")"
  done
  echo
done
if [ "${POSITIONS:-1}" != 0 ]; then
  ratio=$(awk -v s="$(median vendas applied_items_per_s)" -v p="$(median posicoes applied_items_per_s)" \
    'BEGIN {printf "%.2f", s / p}')
  echo "vendas / posicoes (applied items/s): $ratio"
fi
if [ -n "${BEFORE_ESTOQUE:-}" ]; then
  awk -v s="$(median vendas applied_items_per_s)" -v b="$(median before applied_items_per_s)" \
    'BEGIN {printf "vendas / before vendas (applied items/s): %.2f\n", s / b}'
fi
if [ -n "${BASELINE_ESTOQUE:-}" ]; then
  awk -v s="$(median vendas applied_items_per_s)" -v b="$(median base applied_items_per_s)" \
    'BEGIN {printf "vendas / base posicoes (applied items/s): %.2f\n", s / b}'
fi
