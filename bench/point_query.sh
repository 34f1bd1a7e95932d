#!/usr/bin/env bash
# Point queries with 1,000,000 positions stored (10,000 products x 100 branches), wrk keep-alive
# with 64 connections; also RSS with them and restart time.
# Usage: bench/point_query.sh   (env: CONNS=64 DURATION=10 BUILD=build)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
CONNS=${CONNS:-64}; DURATION=${DURATION:-10}

start_server
"$ESTOQUE" load --url "$URL" --products 10000 --branches 100 --sequential-keys --messages 28572 \
  --duration 0 --connections 32 --freshness-every 0 --progress 0 2>/dev/null | grep '^RESULT' | sed 's/^/preload: /'
until curl -s -H "$AUTH_HEADER" "$URL/v1/fila" | grep -q '"profundidade":0'; do sleep 0.1; done
curl -s -H "$AUTH_HEADER" "$URL/v1/fila"; echo
echo "rss_mb_with_1M=$(server_rss_mb)"
restart_server
echo "restart_ready_ms=$RESTART_MS"
echo "rss_mb_after_restart=$(server_rss_mb)"
wrk -H "$AUTH_HEADER" -t1 -c"$CONNS" -d2s -s bench/wrk_point_query.lua "$URL" -- 10000 100 >/dev/null  # warm-up
wrk -H "$AUTH_HEADER" -t1 -c"$CONNS" -d"${DURATION}s" --latency -s bench/wrk_point_query.lua "$URL" -- 10000 100
echo "rss_mb_after_reads=$(server_rss_mb)"
