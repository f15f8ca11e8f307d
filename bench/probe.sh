#!/usr/bin/env bash
# Wall time and peak memory of one probe of the demo's healthy server (STARTTLS, TLS 1.3,
# two-certificate chain), with the release binary: median of N runs (default 5).
# Everything stays on 127.0.0.1. Usage: bench/probe.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
command -v /usr/bin/time >/dev/null || { echo "needs GNU time: apt-get install time" >&2; exit 1; }
cargo build --release --quiet
bin=target/release/starttls-check
out=$(mktemp)
"$bin" demo --serve 120 > "$out" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 50); do grep -q '^starttls-check \[mail.demo.test\]' "$out" && break; sleep 0.1; done
read -r -a args <<< "$(grep '^starttls-check \[mail.demo.test\]' "$out" | cut -d' ' -f2-)"
walls=(); timev=(); rss=()
for _ in $(seq "$runs"); do
    # /usr/bin/time -v gives peak RSS but only 10 ms wall resolution; EPOCHREALTIME gives µs.
    t0=$EPOCHREALTIME
    stats=$( { /usr/bin/time -v "$bin" "${args[@]}" --format json > /dev/null; } 2>&1 )
    t1=$EPOCHREALTIME
    walls+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }')")
    w=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' <<< "$stats")
    timev+=("$(awk -F: '{ printf "%.2f", ($1 * 60) + $2 }' <<< "$w")")
    rss+=("$(sed -n 's/.*Maximum resident set size (kbytes): //p' <<< "$stats")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "runs: $runs"
echo "wall ms (incl. time -v):    ${walls[*]}  median $(median "${walls[@]}")"
echo "time -v wall s (10 ms res): ${timev[*]}  median $(median "${timev[@]}")"
echo "max RSS KiB:  ${rss[*]}  median $(median "${rss[@]}")"
echo "binary: $(stat -c %s "$bin") bytes"
