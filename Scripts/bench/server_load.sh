#!/usr/bin/env bash
# Load benchmark of `korsearch serve` on loopback with wrk (Debian: apt-get install wrk): requests/s and
# latency percentiles of /v1/search and /v1/embeddings with 1, 8 and 32 concurrent connections.
#
#   swift build -c release
#   Scripts/bench/server_load.sh [MODEL] [SECONDS]
# MODEL defaults to the full-size random mdeberta-shaped model that Scripts/bench/embed_benchmark.py makes.
set -euo pipefail
cd "$(dirname "$0")/../.."
model=${1:-/tmp/korsearch-bench-mdeberta}
seconds=${2:-10}
binary=.build/release/korsearch
work=$(mktemp -d)
port=18931
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

"$binary" index Examples/corpus --index "$work/index" --model "$model" --quiet > /dev/null
"$binary" serve --index "$work/index" --port $port 2> "$work/serve.log" &
server=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" > /dev/null && break; sleep 0.2; done

cat > "$work/search.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query": "한빛전자 자기주식 소각 계획", "k": 10}'
LUA
cat > "$work/embed.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"input": "한국은행은 기준금리를 연 3.50%로 동결했다. 시장에서는 다음 분기 인하 전망이 우세하다.", "model": "korsearch"}'
LUA

echo "endpoint        conns  requests/s   p50       p99       errors"
for endpoint in search embeddings; do
  script=$work/${endpoint/embeddings/embed}.lua
  for connections in 1 8 32; do
    threads=$(( connections < 2 ? 1 : 2 ))
    out=$(wrk -t $threads -c $connections -d ${seconds}s --latency -s "$script" "http://127.0.0.1:$port/v1/$endpoint")
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
    p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
    errors=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
    printf "%-15s %5d  %10s   %-9s %-9s %s\n" "/v1/$endpoint" $connections "$rps" "$p50" "$p99" "${errors:-none}"
  done
done
