#!/usr/bin/env bash
# The Exim tier of starttls-check: a private Exim 4 (Debian 12's exim4-daemon-light, extracted,
# never installed: it conflicts with the Postfix tier's package) on 127.0.0.1 only, one
# certificate/STARTTLS case per port. tests/exim.rs starts it through `run` and stops it.
#
# As root, on Debian 12:
#   bash tests/exim/setup.sh install    download and extract Exim (needs the network), install
#                                       the shared libraries it lacks, create the Debian-exim
#                                       user; idempotent, does nothing when all is there
#   bash tests/exim/setup.sh run [DIR]  make the PKI and the configuration in DIR (default
#                                       $STARTTLS_CHECK_EXIM_DIR or /tmp/starttls-check-exim),
#                                       then serve in the foreground until stdin closes (EOF,
#                                       or Ctrl-D by hand) or Exim exits; no network needed
#   bash tests/exim/setup.sh check      exit 0 when installed, else say what to run
#
# `run` writes DIR/ports.env (the ports, the CA), DIR/exim.conf, DIR/debug.log (Exim's debug
# output: every SMTP command as `PID SMTP<< ...`, every DNS or host lookup) and DIR/log/mainlog.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=${STARTTLS_CHECK_EXIM_ROOT:-/opt/starttls-check/exim4}
EXIM="$ROOT/usr/sbin/exim4"
PKG=exim4-daemon-light
# Debian's build looks its user up at start (EXIM_USER=ref:Debian-exim), before any -C.
USER_NAME=Debian-exim

# Fixed ports, documented in tests/exim/README.md (the Postfix tier has 2525-2543).
PORT_VALID=2550
PORT_EXPIRED=2551
PORT_SELF_SIGNED=2552
PORT_CHAIN_INCOMPLETE=2553
PORT_NO_STARTTLS=2554
PORT_REQUIRE_TLS=2555
PORT_IMPLICIT_TLS=2556
PORTS="$PORT_VALID $PORT_EXPIRED $PORT_SELF_SIGNED $PORT_CHAIN_INCOMPLETE $PORT_NO_STARTTLS"
PORTS="$PORTS $PORT_REQUIRE_TLS $PORT_IMPLICIT_TLS"

say() { printf 'exim-setup: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}
[ "$(id -u)" = 0 ] || die "run as root (Exim's daemon binds its ports and switches to $USER_NAME)"

# What is missing for `run`, one item a line; empty when everything is there.
missing() {
    [ -x "$EXIM" ] || echo "$EXIM ($PKG extracted)"
    getent passwd "$USER_NAME" >/dev/null || echo "the $USER_NAME user"
    command -v openssl >/dev/null || echo "openssl"
    if [ -x "$EXIM" ]; then
        ldd "$EXIM" | awk '/not found/ { print "shared library " $1 }'
    fi
}

# The library packages the .deb depends on that are not installed (exim4-base and debconf
# are the package's own machinery: the daemon runs without them).
missing_libraries() {
    local deb=$1 dep
    dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/([^)]*)//g; s/|.*//; s/[[:space:]]//g' |
        while read -r dep; do
            case "$dep" in "" | exim4-base | debconf | debconf-2.0) continue ;; esac
            dpkg-query -W -f='${Status}' "$dep" 2>/dev/null | grep -q 'install ok installed' ||
                echo "$dep"
        done
}

install() {
    export DEBIAN_FRONTEND=noninteractive
    if [ -z "$(missing)" ]; then
        say "already installed: $("$EXIM" -bV -C /dev/null 2>/dev/null | sed -n 's/^Exim version \([^ ]*\).*/Exim \1/p') in $ROOT"
        return 0
    fi
    command -v openssl >/dev/null || apt-get install -y -q --no-install-recommends openssl ||
        { apt-get update -q && apt-get install -y -q --no-install-recommends openssl; }
    local tmp
    tmp=$(mktemp -d)
    # apt-get downloads as _apt when that user can write the directory (else it warns).
    ! getent passwd _apt >/dev/null || chown _apt "$tmp"
    # shellcheck disable=SC2064 # expand now: tmp is local
    trap "rm -rf '$tmp'" RETURN
    # apt-get download needs the package lists (a fresh machine has none).
    (cd "$tmp" && apt-get download -q "$PKG") ||
        { apt-get update -q && (cd "$tmp" && apt-get download -q "$PKG"); } ||
        die "apt-get download $PKG failed"
    local deb
    deb=$(ls "$tmp"/"$PKG"_*.deb)
    rm -rf "$ROOT"
    mkdir -p "$ROOT"
    dpkg-deb -x "$deb" "$ROOT"
    # Setuid-free: only root runs this copy (with -C), and it needs no privilege it lacks.
    chmod 0755 "$EXIM"
    local libs
    libs=$(missing_libraries "$deb" | paste -sd ' ')
    if [ -n "$libs" ]; then
        say "installing the libraries $PKG needs: $libs"
        # shellcheck disable=SC2086 # one package a word
        apt-get install -y -q --no-install-recommends $libs
    fi
    if ! getent passwd "$USER_NAME" >/dev/null; then
        say "creating the system user $USER_NAME (Exim's compiled-in user)"
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$USER_NAME"
    fi
    local left
    left=$(missing)
    [ -z "$left" ] || die "still missing after the install: $(echo "$left" | paste -sd ';')"
    say "installed: $("$EXIM" -bV -C /dev/null 2>/dev/null | sed -n 's/^Exim version \([^ ]*\).*/Exim \1/p') extracted to $ROOT ($(dpkg-deb -f "$deb" Version))"
}

# port_taken PORT: something accepts connections on 127.0.0.1:PORT.
port_taken() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

run() {
    local dir=$1
    case "$dir" in /*) ;; *) die "the directory must be an absolute path, got '$dir'" ;; esac
    rm -f "$dir/ports.env"
    local left
    left=$(missing)
    [ -z "$left" ] ||
        die "the Exim tier is not installed: missing $(echo "$left" | paste -sd ';'); run \`sudo bash tests/exim/setup.sh install\` first (it needs the network; \`run\` installs nothing)"
    # A daemon of an earlier run from this directory (its pid file, its config): when the
    # `_serve` that watches it still runs, that run is not over; else it was left behind
    # (its watcher was killed): stop it by its pid.
    local pid parent
    pid=$(cat "$dir/exim.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && grep -qF "$dir/exim.conf" "/proc/$pid/cmdline" 2>/dev/null; then
        parent=$(awk '$1 == "PPid:" { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
        ! tr '\0' ' ' <"/proc/${parent:-0}/cmdline" 2>/dev/null | grep -q "_serve $dir" ||
            die "an Exim tier is already serving from $dir (Exim pid $pid, watched by pid $parent): stop it first (close its stdin) or use another directory"
        say "stopping the Exim daemon left by an earlier run (pid $pid)"
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    local port
    for port in $PORTS; do
        ! port_taken "$port" ||
            die "127.0.0.1:$port is already taken (another Exim tier, or another server): the tier needs ports $PORTS"
    done

    mkdir -p "$dir"
    chmod 0755 "$dir"
    rm -rf "$dir/spool" "$dir/log" "$dir/tls" "$dir/ports.env" "$dir/debug.log" "$dir/exim.pid"
    bash "$HERE/../mta/pki.sh" "$dir"
    chgrp "$USER_NAME" "$dir"/certs/*.key
    mkdir -p "$dir/spool" "$dir/log" "$dir/tls"
    chown "$USER_NAME:$USER_NAME" "$dir/spool" "$dir/log"
    # tls/PORT.crt: what the port sends; tls/PORT.key: its key.
    local c="$dir/certs"
    pair() { # pair PORT CERT-FILE KEY-FILE
        cp "$2" "$dir/tls/$1.crt"
        cp -p "$3" "$dir/tls/$1.key"
    }
    pair "$PORT_VALID" "$c/valid.chain.pem" "$c/valid.key"
    pair "$PORT_EXPIRED" "$c/expired.chain.pem" "$c/expired.key"
    pair "$PORT_SELF_SIGNED" "$c/self-signed.pem" "$c/self-signed.key"
    pair "$PORT_CHAIN_INCOMPLETE" "$c/valid.pem" "$c/valid.key"
    pair "$PORT_REQUIRE_TLS" "$c/valid.chain.pem" "$c/valid.key"
    pair "$PORT_IMPLICIT_TLS" "$c/valid.chain.pem" "$c/valid.key"

    sed -e "s|@DIR@|$dir|g" -e "s|@EXIM@|$EXIM|g" \
        -e "s|@PORT_VALID@|$PORT_VALID|g" -e "s|@PORT_EXPIRED@|$PORT_EXPIRED|g" \
        -e "s|@PORT_SELF_SIGNED@|$PORT_SELF_SIGNED|g" \
        -e "s|@PORT_CHAIN_INCOMPLETE@|$PORT_CHAIN_INCOMPLETE|g" \
        -e "s|@PORT_NO_STARTTLS@|$PORT_NO_STARTTLS|g" -e "s|@PORT_REQUIRE_TLS@|$PORT_REQUIRE_TLS|g" \
        -e "s|@PORT_IMPLICIT_TLS@|$PORT_IMPLICIT_TLS|g" \
        "$HERE/exim.conf.in" >"$dir/exim.conf"
    ! grep -n '@[A-Z_]*@' "$dir/exim.conf" || die "unfilled placeholders in $dir/exim.conf"
    # Exim refuses a configuration file that others may write.
    chmod 0644 "$dir/exim.conf"
    "$EXIM" -C "$dir/exim.conf" -bV >"$dir/check.log" 2>&1 ||
        die "Exim refuses $dir/exim.conf: $(cat "$dir/check.log")"
    # Any lookup that slipped through would ask 127.0.0.1, where nothing answers.
    printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$dir/resolv.conf"

    cat >"$dir/ports.env.tmp" <<EOF
# Written by tests/exim/setup.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ)
STARTTLS_CHECK_EXIM_CA=$dir/ca/root.pem
EXIM_VERSION=$("$EXIM" -C "$dir/exim.conf" -bV 2>/dev/null | sed -n 's/^Exim version \([^ ]*\).*/\1/p')
PORT_VALID=$PORT_VALID
PORT_EXPIRED=$PORT_EXPIRED
PORT_SELF_SIGNED=$PORT_SELF_SIGNED
PORT_CHAIN_INCOMPLETE=$PORT_CHAIN_INCOMPLETE
PORT_NO_STARTTLS=$PORT_NO_STARTTLS
PORT_REQUIRE_TLS=$PORT_REQUIRE_TLS
PORT_IMPLICIT_TLS=$PORT_IMPLICIT_TLS
EOF
    mv "$dir/ports.env.tmp" "$dir/ports.env"
    # A mount namespace of Exim's own (private propagation: nothing leaks to the machine's),
    # where /etc/resolv.conf is ours.
    exec unshare --mount --propagation private -- bash "$0" _serve "$dir"
}

# Inside the mount namespace: Exim in the foreground (-bdf) with its debug output in
# debug.log, until stdin reaches EOF (the test process ended or dropped its handle) or Exim
# exits; then stop Exim by its pid.
serve() {
    local dir=$1
    mount --bind "$dir/resolv.conf" /etc/resolv.conf
    "$EXIM" -C "$dir/exim.conf" -bdf -d-all+receive+dns+host_lookup \
        </dev/null 2>>"$dir/debug.log" &
    local exim=$!
    # (A background job's stdin is /dev/null unless redirected: hand it ours through fd 3.)
    exec 3<&0
    cat <&3 >/dev/null &
    local lifeline=$!
    say "Exim $exim serving ports $PORTS on 127.0.0.1 from $dir; close stdin (Ctrl-D) to stop"
    local status=0
    wait -n "$exim" "$lifeline" || status=$?
    if kill -0 "$exim" 2>/dev/null; then
        kill "$exim" 2>/dev/null || true
        wait "$exim" 2>/dev/null || true
        status=0
    else
        say "Exim exited (status $status); the end of $dir/debug.log:"
        tail -n 5 "$dir/debug.log" >&2
    fi
    kill "$lifeline" 2>/dev/null || true
    exit "$status"
}

case "${1:-}" in
install) install ;;
run) run "${2:-${STARTTLS_CHECK_EXIM_DIR:-/tmp/starttls-check-exim}}" ;;
_serve) serve "$2" ;;
check)
    left=$(missing)
    [ -z "$left" ] || die "not installed: $(echo "$left" | paste -sd ';'); run \`sudo bash tests/exim/setup.sh install\`"
    say "installed: $EXIM"
    ;;
*) die "usage: setup.sh install | run [DIR] | check" ;;
esac
