#!/usr/bin/env bash
# Durable ingest: POST /v1/posicoes in batches of 35 (fsync before each 202), seed catalog,
# 2 branches, C connections, D seconds; then freshness at 80 % of the measured rate.
# KIND=vendas posts sales instead (POST /v1/vendas, one sale of 35 lines per request, items/s =
# sale lines/s). bench/sales_ingest.sh compares both kinds side by side.
# Usage: bench/ingest.sh   (env: KIND=posicoes|vendas CONNS=64 DURATION=10 BUILD=build)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
KIND=${KIND:-posicoes}; CONNS=${CONNS:-64}; DURATION=${DURATION:-10}
CATALOG=../shared/data/produtos_supermercado.json

start_server ${SERVER_ARGS:-}
"$ESTOQUE" load --kind "$KIND" --url "$URL" --catalog "$CATALOG" --branches 2 --batch 35 --connections "$CONNS" \
  --duration 2 --progress 0 --freshness-every 0 >/dev/null 2>&1   # warm-up
max=$("$ESTOQUE" load --kind "$KIND" --url "$URL" --catalog "$CATALOG" --branches 2 --batch 35 --connections "$CONNS" \
  --duration "$DURATION" --progress 0 2>/dev/null | tee /dev/stderr | grep '^RESULT')
rate=$(sed -E 's/.*items_per_s=([0-9.]+).*/\1/' <<<"$max")
target=$(awk -v r="$rate" 'BEGIN {printf "%d", r * 0.8}')
fresh=$("$ESTOQUE" load --kind "$KIND" --url "$URL" --catalog "$CATALOG" --branches 2 --batch 35 --connections "$CONNS" \
  --duration "$DURATION" --rate "$target" --progress 0 2>/dev/null | grep '^RESULT')
depth=$(curl -s -H "$AUTH_HEADER" "$URL/v1/fila")
echo "kind:       $KIND"
echo "max:        $max"
echo "at 80% ($target items/s): $fresh"
echo "queue after: $depth"
