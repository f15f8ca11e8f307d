#!/usr/bin/env bash
# bench/throughput.sh: a survey of many mail domains (starttls-check --targets-file) timed
# against the practical ceiling, a minimal rustls client doing the same STARTTLS sessions
# with the same listeners (issue 13). Results: BENCHMARKS.md, "Throughput (issue 13)".
#
# Run as root on Debian 12, from anywhere:
#   bash bench/throughput.sh                  full run: 1000 targets, 5 rounds (about a minute)
#   bash bench/throughput.sh --smoke          CI's: 20 targets, one round, a few seconds
# Options: --targets N (domains, default 1000), --runs N (rounds, default 5; each round runs
#   the ceiling, the implicit-TLS context and starttls-check at every concurrency once),
#   --concurrency "C1 C2 …" (default "4 8 16 32"; 16, the tool's default, is always added and
#   is the one the targets judge), --bin PATH (default: cargo build --release,
#   target/release/starttls-check), --example PATH (the built examples/throughput.rs; default:
#   beside --bin, examples/throughput, built with it), --out FILE (the Markdown report, ready
#   to paste into BENCHMARKS.md), --label TEXT (its heading), --help.
#
# Two halves, like bench/compare.sh:
#   outside: check the packages (Postfix through tests/postfix/setup.sh install, python3, cc),
#     build the binaries, compile bench/spawn.c; then this script again inside
#     `unshare --net --mount`, only `lo` up, /etc/resolv.conf naming nothing but 127.0.0.1;
#     afterwards, a tier Postfix that ran in this machine's namespace before is started again.
#   inside (or directly, when started in a namespace that has only `lo`, as .ci/run does):
#     reuse a tier Postfix running in this namespace whose throughput listeners answer, else
#     `tests/postfix/setup.sh start` (which stops one running in another namespace) and
#     `postfix stop` on the way out; then bench/throughput.py.
# No packet leaves 127.0.0.0/8: starttls-check gets `--resolver 127.0.0.1:PORT` (the DNS
# server of examples/throughput.rs), the ceiling gets addresses, and the namespace has no
# route but `lo`.
#
# Exit status: 0 when every run succeeded (the issue's targets are printed as PASS/MISS and
# never fail the run), 1 when a run failed (its output is kept in the work directory),
# 2 when the harness could not run.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
cd "$ROOT"

POSTFIX_DIR="${STARTTLS_CHECK_POSTFIX_DIR:-/tmp/starttls-check-postfix}"
PYTHON=/usr/bin/python3

say() { printf 'throughput: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 2
}
# The namespace and tier helpers both harnesses share.
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
BENCH_WORK_WHAT="the output of any failed run"

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

ORIG_ARGS=("$@")
SMOKE=0 IN_NETNS=0
BIN="" EXAMPLE="" OUT="" LABEL="" TARGETS="" RUNS="" CONCURRENCY=""
while [ $# -gt 0 ]; do
    case "$1" in
    --smoke) SMOKE=1 ;;
    --bin) BIN=${2:?--bin needs a path} && shift ;;
    --example) EXAMPLE=${2:?--example needs a path} && shift ;;
    --out) OUT=${2:?--out needs a file} && shift ;;
    --label) LABEL=${2:?--label needs a text} && shift ;;
    --targets) TARGETS=${2:?--targets needs a number} && shift ;;
    --runs) RUNS=${2:?--runs needs a number} && shift ;;
    --concurrency) CONCURRENCY=${2:?--concurrency needs numbers} && shift ;;
    --in-netns) IN_NETNS=1 ;; # this script, started by itself inside the namespace
    -h | --help)
        usage
        exit 0
        ;;
    *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done
for n in "${TARGETS:-1}" "${RUNS:-1}" ${CONCURRENCY:-1}; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "not a positive number: $n"
done
if [ "$SMOKE" = 1 ]; then
    TARGETS=${TARGETS:-20} RUNS=${RUNS:-1} CONCURRENCY=${CONCURRENCY:-16}
fi
[ "$(id -u)" = 0 ] || die "run as root: it makes a network namespace and starts Postfix"
command -v ip >/dev/null || PATH="$PATH:/usr/sbin:/sbin"

# --- outside: packages, binaries, stopwatch -----------------------------------------------

build_bins() {
    if [ -z "$BIN" ]; then
        say "building the release binary and examples/throughput.rs (cargo build --release --locked)"
        cargo build --release --locked --bin starttls-check --example throughput
        BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/starttls-check"
    fi
    find_bins
}

find_bins() { # the paths, made absolute; the example defaults to the one beside --bin
    BIN=$(realpath "$BIN")
    [ -x "$BIN" ] || die "not an executable: $BIN"
    [ -n "$EXAMPLE" ] || EXAMPLE="$(dirname "$BIN")/examples/throughput"
    [ -x "$EXAMPLE" ] || die "no examples/throughput at $EXAMPLE: cargo build --example throughput (cargo test --no-run builds it too), or pass --example PATH"
    EXAMPLE=$(realpath "$EXAMPLE")
}

compile_spawn() { # compile_spawn DIR: the stopwatch, bench/spawn.c
    command -v cc >/dev/null || die "no C compiler (cc) for bench/spawn.c: bash bench/compare.sh --install-only"
    cc -O2 -o "$1/spawn" "$HERE/spawn.c" || die "cannot compile bench/spawn.c"
}

outside() {
    for tool in "$PYTHON" unshare; do
        command -v "$tool" >/dev/null || die "$tool not found: bash bench/compare.sh --install-only"
    done
    command -v postfix >/dev/null || die "Postfix not installed: bash tests/postfix/setup.sh install"
    build_bins
    BENCH_WORK=$(mktemp -d /tmp/starttls-check-throughput.XXXXXX)
    compile_spawn "$BENCH_WORK"
    unshare --net true 2>/dev/null || die "unshare --net failed: the harness runs only in a namespace of its own"
    local status=0
    TIER_NETNS_BEFORE=$(master_netns)
    trap restore_tier EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    export BENCH_BIN="$BIN" BENCH_EXAMPLE="$EXAMPLE" BENCH_WORK
    say "entering a network namespace with only lo (unshare --net --mount)"
    unshare --net --mount -- bash "$0" --in-netns "${ORIG_ARGS[@]}" || status=$?
    exit "$status"
}

# --- inside: the namespace, Postfix, the runner -------------------------------------------

inside() {
    ip link set lo up
    isolated || die "interfaces besides lo here: $(ip -o link show | awk -F': ' '{ print $2 }' | tr '\n' ' ')"
    if ip route get 192.0.2.1 >/dev/null 2>&1; then
        die "this namespace has a route off the machine: $(ip route get 192.0.2.1)"
    fi
    if [ "$IN_NETNS" = 1 ]; then
        printf '# starttls-check throughput bench: no resolver off loopback in this namespace\nnameserver 127.0.0.1\noptions timeout:1 attempts:1\n' \
            >"$BENCH_WORK/resolv.conf"
        mount --bind "$BENCH_WORK/resolv.conf" /etc/resolv.conf
        BIN=$BENCH_BIN EXAMPLE=$BENCH_EXAMPLE
    else
        # Started directly in an isolated namespace (.ci/run): no network, so no build.
        [ -n "$BIN" ] || BIN="$ROOT/target/release/starttls-check"
        find_bins
        BENCH_WORK=$(mktemp -d /tmp/starttls-check-throughput.XXXXXX)
        compile_spawn "$BENCH_WORK"
    fi
    say "namespace $(readlink /proc/self/ns/net): only lo, no route off the machine"
    for tool in postfix postconf "$PYTHON"; do
        command -v "$tool" >/dev/null || die "$tool not found: bash bench/compare.sh --install-only (outside the namespace) first"
    done

    local addrs=""
    if [ "$(master_netns)" = "$(readlink /proc/self/ns/net)" ] && [ -r "$POSTFIX_DIR/ports.env" ]; then
        addrs=$(sed -n 's/^THROUGHPUT_ADDRS=//p' "$POSTFIX_DIR/ports.env" | tr -d '"')
    fi
    local reuse=0 a
    if [ -n "$addrs" ]; then
        reuse=1
        for a in $addrs; do answers "$a" 2525 || reuse=0; done
    fi
    if [ "$reuse" = 1 ]; then
        say "reusing the tier's Postfix running in this namespace"
    else
        local elsewhere
        elsewhere=$(master_netns)
        [ "$elsewhere" = "$(readlink /proc/self/ns/net)" ] || STARTED_POSTFIX=1
        if [ -n "$elsewhere" ] && [ "$elsewhere" != "$(readlink /proc/self/ns/net)" ] && [ "$IN_NETNS" = 0 ]; then
            say "the tier's Postfix runs in $elsewhere; setup.sh start stops it there, and this run cannot start it again: run bash tests/postfix/setup.sh start afterwards"
        fi
        trap stop_postfix EXIT
        bash tests/postfix/setup.sh start >"$BENCH_WORK/setup.log" 2>&1 ||
            die "tests/postfix/setup.sh start failed: $(tail -n1 "$BENCH_WORK/setup.log")"
        addrs=$(sed -n 's/^THROUGHPUT_ADDRS=//p' "$POSTFIX_DIR/ports.env" | tr -d '"')
        [ -n "$addrs" ] || die "$POSTFIX_DIR/ports.env has no THROUGHPUT_ADDRS (tests/postfix/setup.sh older than this harness?)"
        say "started the tier's Postfix in this namespace (stopped on exit)"
    fi

    local shown="bash bench/throughput.sh"
    for a in "${ORIG_ARGS[@]}"; do [ "$a" = --in-netns ] || shown+=$(printf ' %q' "$a"); done
    local args=(--bin "$BIN" --example "$EXAMPLE" --ca "$POSTFIX_DIR/ca/root.pem" --spawn "$BENCH_WORK/spawn"
        --workdir "$BENCH_WORK" --listeners "$addrs" --command "$shown")
    [ "$SMOKE" = 0 ] || args+=(--smoke)
    [ -z "$TARGETS" ] || args+=(--targets "$TARGETS")
    [ -z "$RUNS" ] || args+=(--rounds "$RUNS")
    [ -z "$CONCURRENCY" ] || args+=(--concurrency "$CONCURRENCY")
    [ -z "$LABEL" ] || args+=(--label "$LABEL")
    [ -z "$OUT" ] || args+=(--out "$OUT")
    local status=0
    "$PYTHON" "$HERE/throughput.py" "${args[@]}" || status=$?
    exit "$status"
}

if [ "$IN_NETNS" = 1 ]; then
    if [ -z "${BENCH_WORK:-}" ] || [ -z "${BENCH_BIN:-}" ]; then
        die "--in-netns is for the harness itself"
    fi
    inside
elif command -v ip >/dev/null && isolated; then
    inside # already in a namespace with only lo (.ci/run): no build, no unshare
else
    outside
fi
