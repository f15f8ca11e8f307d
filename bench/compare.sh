#!/usr/bin/env bash
# bench/compare.sh: starttls-check side by side with openssl s_client, posttls-finger, sslyze
# and testssl.sh against a real Postfix on loopback (issue 12). Results: BENCHMARKS.md.
#
# Run as root on Debian 12, from anywhere:
#   bash bench/compare.sh                     full run (about 2 min, 70 s of it testssl.sh)
#   bash bench/compare.sh --smoke             CI's: a handful of runs, a few seconds
#   bash bench/compare.sh --profile 5         strace of 5 runs: where the milliseconds go
#   bash bench/compare.sh --install-only      only the packages (needs the network)
# Options: --bin PATH (default: cargo build --release, target/release/starttls-check),
#   --batches N --runs N (scenario (a): batches of N alternating rounds; default 5 × 21;
#                       --batches also sets the batches of (c)),
#   --out FILE (the Markdown report, ready to paste into BENCHMARKS.md), --label TEXT (its
#   heading), --no-peers (leave sslyze and testssl.sh out), --help.
#
# Two halves, like tests/postfix/setup.sh and .ci/run:
#   outside: install what is missing (Debian's packages; sslyze from PyPI into a venv, when it
#     installs), build the binary, compile bench/spawn.c; then this script again inside
#     `unshare --net --mount`, only `lo` up, /etc/resolv.conf naming nothing but 127.0.0.1;
#     afterwards, a tier Postfix that ran in this machine's namespace before is started again.
#   inside (or directly, when started in a namespace that has only `lo`, as .ci/run does):
#     reuse a tier Postfix running in this namespace, else `tests/postfix/setup.sh start`
#     (which stops one running in another namespace) and `postfix stop` on the way out; then
#     bench/runner.py.
# No packet leaves 127.0.0.0/8: every tool gets an IP target or `--resolve`/`--resolver` on
# loopback, testssl.sh gets `--nodns none`, and the namespace has no route but `lo`.
#
# Exit status: 0 when every run of starttls-check, openssl and posttls-finger succeeded (the
# issue's targets are printed as PASS/MISS and never fail the run), 1 when a run failed,
# 2 when the harness could not run. A missing optional peer (sslyze, testssl.sh) is reported,
# never an error.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
cd "$ROOT"

POSTFIX_DIR="${STARTTLS_CHECK_POSTFIX_DIR:-/tmp/starttls-check-postfix}"
VENV=/tmp/starttls-check-bench-venv
PYTHON=/usr/bin/python3

say() { printf 'bench: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 2
}
# The namespace and tier helpers both harnesses share.
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
BENCH_WORK_WHAT="strace logs, the output of any failed run"

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

ORIG_ARGS=("$@")
SMOKE=0 INSTALL_ONLY=0 IN_NETNS=0 NO_PEERS=0 PROFILE=0
BIN="" OUT="" LABEL="" BATCHES="" RUNS=""
while [ $# -gt 0 ]; do
    case "$1" in
    --smoke) SMOKE=1 ;;
    --install-only) INSTALL_ONLY=1 ;;
    --no-peers) NO_PEERS=1 ;;
    --profile) PROFILE=${2:?--profile needs a number of runs} && shift ;;
    --bin) BIN=${2:?--bin needs a path} && shift ;;
    --out) OUT=${2:?--out needs a file} && shift ;;
    --label) LABEL=${2:?--label needs a text} && shift ;;
    --batches) BATCHES=${2:?--batches needs a number} && shift ;;
    --runs) RUNS=${2:?--runs needs a number} && shift ;;
    --in-netns) IN_NETNS=1 ;; # this script, started by itself inside the namespace
    -h | --help)
        usage
        exit 0
        ;;
    *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done
for n in "$PROFILE" "${BATCHES:-1}" "${RUNS:-1}"; do
    [[ "$n" =~ ^[0-9]+$ ]] || die "not a number: $n"
done
[ "$(id -u)" = 0 ] || die "run as root: it installs packages, makes a network namespace and starts Postfix"
command -v ip >/dev/null || PATH="$PATH:/usr/sbin:/sbin"
# Peers run only in the full run: the smoke run and the profile need none of them.
if [ "$SMOKE" = 1 ] || [ "$PROFILE" != 0 ]; then
    NO_PEERS=1
fi

# --- outside: packages, binary, stopwatch -------------------------------------------------

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    say "installing $*"
    apt-get install -y -q --no-install-recommends "$@" >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "$@"; }
}

# sslyze is not in Debian 12: try PyPI, into a venv of Debian's Python; never fatal.
install_sslyze() {
    [ -x "$VENV/bin/sslyze" ] && return 0
    local log=/tmp/starttls-check-bench-sslyze.log
    rm -f "$VENV.reason"
    if ! installed python3-venv; then
        apt_install python3-venv || true
    fi
    if "$PYTHON" -m venv "$VENV" >"$log" 2>&1 &&
        "$VENV/bin/pip" install -q sslyze >>"$log" 2>&1 &&
        "$VENV/bin/sslyze" --help >/dev/null 2>&1; then
        say "sslyze installed in $VENV ($("$VENV/bin/pip" show sslyze 2>/dev/null | sed -n 's/^Version: //p'))"
    else
        local why
        why=$(grep -v '^\s*$' "$log" | tail -n1 | cut -c1-200)
        echo "${why:-unknown reason}" >"$VENV.reason"
        say "sslyze: not installable here (${why:-unknown reason}; log $log)"
        rm -rf "$VENV"
    fi
}

install_step() {
    local need=()
    installed openssl || need+=(openssl)
    [ -x "$PYTHON" ] || need+=(python3)
    command -v cc >/dev/null || need+=(gcc libc6-dev)
    command -v unshare >/dev/null || need+=(util-linux)
    command -v ip >/dev/null || need+=(iproute2)
    [ "$PROFILE" = 0 ] || command -v strace >/dev/null || need+=(strace)
    [ "$NO_PEERS" = 1 ] || installed testssl.sh || need+=(testssl.sh)
    [ "${#need[@]}" = 0 ] || apt_install "${need[@]}" || say "could not install ${need[*]}"
    # Postfix, openssl and netcat: the tier's own install step (only what is missing).
    bash tests/postfix/setup.sh install
    [ "$NO_PEERS" = 1 ] || install_sslyze
}

build_bin() {
    if [ -z "$BIN" ]; then
        say "building the release binary (cargo build --release --locked)"
        cargo build --release --locked
        BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/starttls-check"
    fi
    BIN=$(realpath "$BIN")
    [ -x "$BIN" ] || die "not an executable: $BIN"
}

compile_spawn() { # compile_spawn DIR: the stopwatch, bench/spawn.c
    command -v cc >/dev/null || die "no C compiler (cc) for bench/spawn.c: bash bench/compare.sh --install-only"
    cc -O2 -o "$1/spawn" "$HERE/spawn.c" || die "cannot compile bench/spawn.c"
}

outside() {
    install_step
    if [ "$INSTALL_ONLY" = 1 ]; then
        say "installed what the harness needs; next: bash bench/compare.sh"
        exit 0
    fi
    build_bin
    BENCH_WORK=$(mktemp -d /tmp/starttls-check-bench.XXXXXX)
    compile_spawn "$BENCH_WORK"
    unshare --net true 2>/dev/null || die "unshare --net failed: the harness runs only in a namespace of its own"
    # A tier Postfix running in this machine's namespace will be stopped by setup.sh start
    # inside (one Postfix per machine): note it, to start it again afterwards.
    local status=0
    TIER_NETNS_BEFORE=$(master_netns)
    # On any way out, Ctrl-C included, the tier goes back where it was.
    trap restore_tier EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    export BENCH_BIN="$BIN" BENCH_WORK
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
        # Our own mount namespace: no tool can even name the system resolver.
        printf '# starttls-check bench: no resolver off loopback in this namespace\nnameserver 127.0.0.1\noptions timeout:1 attempts:1\n' \
            >"$BENCH_WORK/resolv.conf"
        mount --bind "$BENCH_WORK/resolv.conf" /etc/resolv.conf
    else
        # Started directly in an isolated namespace (.ci/run): nothing was prepared outside.
        [ "$INSTALL_ONLY" = 0 ] || die "--install-only needs the network: run it outside the namespace"
        build_bin_inside
        BENCH_WORK=$(mktemp -d /tmp/starttls-check-bench.XXXXXX)
        compile_spawn "$BENCH_WORK"
    fi
    say "namespace $(readlink /proc/self/ns/net): only lo, no route off the machine"
    for tool in postfix postconf openssl "$PYTHON"; do
        command -v "$tool" >/dev/null || die "$tool not found: run bash bench/compare.sh --install-only (outside the namespace) first"
    done

    local addrs=""
    if [ "$(master_netns)" = "$(readlink /proc/self/ns/net)" ] && [ -r "$POSTFIX_DIR/ports.env" ]; then
        addrs=$(sed -n 's/^BENCH_ADDRS=//p' "$POSTFIX_DIR/ports.env" | tr -d '"')
    fi
    local reuse=0
    if [ -n "$addrs" ]; then
        reuse=1
        for a in 127.0.0.1 $addrs; do answers "$a" 2525 || reuse=0; done
    fi
    if [ "$reuse" = 1 ]; then
        say "reusing the tier's Postfix running in this namespace"
    else
        local elsewhere
        elsewhere=$(master_netns)
        [ "$elsewhere" = "$(readlink /proc/self/ns/net)" ] || STARTED_POSTFIX=1
        if [ -n "$elsewhere" ] && [ "$elsewhere" != "$(readlink /proc/self/ns/net)" ] && [ "$IN_NETNS" = 0 ]; then
            # Started directly in an isolated namespace, nobody outside will start it again.
            say "the tier's Postfix runs in $elsewhere; setup.sh start stops it there, and this run cannot start it again: run bash tests/postfix/setup.sh start afterwards"
        fi
        trap stop_postfix EXIT
        bash tests/postfix/setup.sh start >"$BENCH_WORK/setup.log" 2>&1 ||
            die "tests/postfix/setup.sh start failed: $(tail -n1 "$BENCH_WORK/setup.log")"
        addrs=$(sed -n 's/^BENCH_ADDRS=//p' "$POSTFIX_DIR/ports.env" | tr -d '"')
        [ -n "$addrs" ] || die "$POSTFIX_DIR/ports.env has no BENCH_ADDRS (tests/postfix/setup.sh older than this harness?)"
        say "started the tier's Postfix in this namespace (stopped on exit)"
    fi

    local shown="bash bench/compare.sh" a
    for a in "${ORIG_ARGS[@]}"; do [ "$a" = --in-netns ] || shown+=$(printf ' %q' "$a"); done
    local args=(--bin "$BENCH_BIN" --ca "$POSTFIX_DIR/ca/root.pem" --spawn "$BENCH_WORK/spawn"
        --workdir "$BENCH_WORK" --bench-addrs "$addrs" --command "$shown")
    [ "$SMOKE" = 0 ] || args+=(--smoke)
    [ "$PROFILE" = 0 ] || args+=(--profile "$PROFILE")
    [ -z "$BATCHES" ] || args+=(--batches "$BATCHES")
    [ -z "$RUNS" ] || args+=(--runs "$RUNS")
    [ -z "$LABEL" ] || args+=(--label "$LABEL")
    [ -z "$OUT" ] || args+=(--out "$OUT")
    if [ "$NO_PEERS" = 0 ]; then
        if [ -x "$VENV/bin/sslyze" ]; then
            args+=(--sslyze "$VENV/bin/sslyze")
        else
            args+=(--missing "sslyze=not installable here ($(cat "$VENV.reason" 2>/dev/null || echo 'not installed: bash bench/compare.sh --install-only'))")
        fi
        if command -v testssl >/dev/null; then
            args+=(--testssl "$(command -v testssl)")
        else
            args+=(--missing "testssl.sh=not installed (Debian package testssl.sh)")
        fi
    fi
    local status=0
    "$PYTHON" "$HERE/runner.py" "${args[@]}" || status=$?
    exit "$status"
}

build_bin_inside() {
    # No network here, so no build: the binary must exist (CI builds it outside).
    [ -n "$BIN" ] || BIN="$ROOT/target/release/starttls-check"
    [ -x "$BIN" ] || die "no binary at $BIN: build it outside the namespace, or pass --bin PATH"
    BENCH_BIN=$(realpath "$BIN")
}

if [ "$IN_NETNS" = 1 ]; then
    if [ -z "${BENCH_WORK:-}" ] || [ -z "${BENCH_BIN:-}" ]; then
        die "--in-netns is for the harness itself"
    fi
    inside
elif command -v ip >/dev/null && isolated; then
    inside # already in a namespace with only lo (.ci/run): no install, no unshare
else
    outside
fi
