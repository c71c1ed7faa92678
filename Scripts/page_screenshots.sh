#!/usr/bin/env bash
# Dev only: the search page's screenshots in Examples/screenshots, as a phone (390×844) and a desktop
# (1280×900) show it to a Korean reader: `korsearch serve` over Examples/corpus (the tiny test model), the
# query "PF 대출 보증 잔액" in keyword mode, headless Chromium.
#   swift build && bash Scripts/page_screenshots.sh [path/to/korsearch]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
korsearch=${1:-$root/.build/debug/korsearch}
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
"$korsearch" index "$root/Examples/corpus" --index "$work/index" --model "$root/Tests/Fixtures/models/mdeberta-tiny-safetensors" --quiet > /dev/null
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$korsearch" serve --index "$work/index" --port "$port" --no-request-log 2> /dev/null &
server=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" > /dev/null && break; sleep 0.2; done
url="http://127.0.0.1:$port/?q=PF%20%EB%8C%80%EC%B6%9C%20%EB%B3%B4%EC%A6%9D%20%EC%9E%94%EC%95%A1&mode=keyword&k=5"
for size in 390,844 1280,900; do
    name=$([ "$size" = 390,844 ] && echo phone || echo desktop)
    chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --accept-lang=ko-KR --window-size=$size \
        --user-data-dir="$work/profile-$name" --virtual-time-budget=8000 --screenshot="$root/Examples/screenshots/search-page-$name.png" "$url" 2> /dev/null
    echo "Examples/screenshots/search-page-$name.png"
done
