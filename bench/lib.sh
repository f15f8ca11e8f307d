#!/usr/bin/env bash
# bench/lib.sh: what bench/compare.sh and bench/throughput.sh share, sourced by both after
# they define say and die: where the tier's Postfix runs, whether this namespace is
# isolated, putting the tier back on the way out, and waiting for a greeting.
# Callers set BENCH_WORK (their work directory) and BENCH_WORK_WHAT (what it holds).

master_netns() { # the network namespace of the running Postfix master, if any
    local queue pid
    postfix status >/dev/null 2>&1 || return 0
    queue=$(postconf -h queue_directory)
    pid=$(sed -n '1s/[^0-9]//gp' "$queue/pid/master.pid" 2>/dev/null || true)
    [ -z "$pid" ] || readlink "/proc/$pid/ns/net" 2>/dev/null || true
}

isolated() { # true when this namespace has no interface but lo
    [ "$(ip -o link show | awk -F': ' '{ print $2 }' | tr '\n' ' ')" = "lo " ]
}

TIER_NETNS_BEFORE=""
# shellcheck disable=SC2317 # called by the EXIT trap
restore_tier() {
    if [ -n "$TIER_NETNS_BEFORE" ] && [ "$TIER_NETNS_BEFORE" = "$(readlink /proc/self/ns/net)" ] &&
        ! postfix status >/dev/null 2>&1; then
        say "starting the tier's Postfix again in this machine's namespace, where it ran before"
        postfix start >/dev/null 2>&1 || say "postfix start failed: run bash tests/postfix/setup.sh start"
    fi
    say "work files ($BENCH_WORK_WHAT): $BENCH_WORK"
}

answers() { # answers ADDR PORT: a 220 greeting within 5 s
    local line=""
    { exec 3<>"/dev/tcp/$1/$2"; } 2>/dev/null || return 1
    IFS= read -r -t 5 line <&3 || true
    printf 'QUIT\r\n' >&3 2>/dev/null || true
    exec 3<&- 3>&-
    [ "${line:0:4}" = "220 " ]
}

STARTED_POSTFIX=0
# shellcheck disable=SC2317 # called by the EXIT trap
stop_postfix() {
    if [ "$STARTED_POSTFIX" = 1 ]; then
        postfix stop >/dev/null 2>&1 || true
    fi
}
