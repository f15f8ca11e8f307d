#!/usr/bin/env bash
# The aiosmtpd tier of starttls-check: tests/aiosmtpd/server.py (aiosmtpd from Debian's
# python3-aiosmtpd) on 127.0.0.1 only, one certificate/STARTTLS case per port.
# tests/aiosmtpd.rs starts it through `run` and stops it.
#
#   bash tests/aiosmtpd/setup.sh install    apt-get install python3-aiosmtpd openssl, when
#                                           missing (root, needs the network)
#   bash tests/aiosmtpd/setup.sh run [DIR]  make the PKI in DIR (default
#                                           $STARTTLS_CHECK_AIOSMTPD_DIR or
#                                           /tmp/starttls-check-aiosmtpd), then serve in the
#                                           foreground until stdin closes (Ctrl-D by hand);
#                                           any user, no network
#   bash tests/aiosmtpd/setup.sh check      exit 0 when installed, else say what to run
#
# `run` writes DIR/ports.env (the ports, the CA; server.py puts it in place once every port is
# bound, so a reader that sees it finds every port listening) and DIR/commands.log (every line a client
# sent, as JSON, one object a line). Debian's interpreter, /usr/bin/python3, runs the server:
# a python3 earlier on PATH (pyenv, a venv) does not see Debian's aiosmtpd.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PYTHON=/usr/bin/python3
PACKAGES="python3-aiosmtpd openssl"

# Fixed ports, documented in tests/aiosmtpd/README.md (Postfix: 2525-2543, Exim: 2550-2556).
PORT_VALID=2560
PORT_EXPIRED=2561
PORT_SELF_SIGNED=2562
PORT_NO_STARTTLS=2563
PORT_REQUIRE_TLS=2564
PORT_IMPLICIT_TLS=2565
PORT_CHAIN_INCOMPLETE=2566
PORTS="$PORT_VALID $PORT_EXPIRED $PORT_SELF_SIGNED $PORT_NO_STARTTLS $PORT_REQUIRE_TLS"
PORTS="$PORTS $PORT_IMPLICIT_TLS $PORT_CHAIN_INCOMPLETE"

say() { printf 'aiosmtpd-setup: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

missing() {
    local p
    for p in $PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
    done
    [ -x "$PYTHON" ] || echo "$PYTHON"
}

install() {
    [ "$(id -u)" = 0 ] || die "run as root (it installs python3-aiosmtpd with apt-get)"
    local need
    need=$(missing | paste -sd ' ')
    if [ -n "$need" ]; then
        export DEBIAN_FRONTEND=noninteractive
        say "installing $need"
        # shellcheck disable=SC2086 # one package a word
        apt-get install -y -q --no-install-recommends $need ||
            { apt-get update -q && apt-get install -y -q --no-install-recommends $need; }
    fi
    [ -z "$(missing)" ] || die "still missing after the install: $(missing | paste -sd ' ')"
    say "installed: aiosmtpd $("$PYTHON" -c 'import aiosmtpd; print(aiosmtpd.__version__)')"
}

port_taken() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

run() {
    local dir=$1
    case "$dir" in /*) ;; *) die "the directory must be an absolute path, got '$dir'" ;; esac
    rm -f "$dir/ports.env" "$dir/ports.env.tmp"
    local need
    need=$(missing | paste -sd ' ')
    [ -z "$need" ] ||
        die "the aiosmtpd tier is not installed: missing $need; run \`sudo bash tests/aiosmtpd/setup.sh install\` first (it needs the network; \`run\` installs nothing)"
    "$PYTHON" -c 'import aiosmtpd.smtp' ||
        die "$PYTHON cannot import aiosmtpd although python3-aiosmtpd is installed"
    local port
    for port in $PORTS; do
        ! port_taken "$port" ||
            die "127.0.0.1:$port is already taken (another aiosmtpd tier, or another server): the tier needs ports $PORTS"
    done
    mkdir -p "$dir"
    rm -f "$dir/commands.log"
    bash "$HERE/../mta/pki.sh" "$dir"
    cat >"$dir/ports.env.tmp" <<EOF
# Written by tests/aiosmtpd/setup.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ)
STARTTLS_CHECK_AIOSMTPD_CA=$dir/ca/root.pem
AIOSMTPD_VERSION=$("$PYTHON" -c 'import aiosmtpd; print(aiosmtpd.__version__)')
PORT_VALID=$PORT_VALID
PORT_EXPIRED=$PORT_EXPIRED
PORT_SELF_SIGNED=$PORT_SELF_SIGNED
PORT_NO_STARTTLS=$PORT_NO_STARTTLS
PORT_REQUIRE_TLS=$PORT_REQUIRE_TLS
PORT_IMPLICIT_TLS=$PORT_IMPLICIT_TLS
PORT_CHAIN_INCOMPLETE=$PORT_CHAIN_INCOMPLETE
EOF
    # server.py renames ports.env.tmp to ports.env after its last bind: the sign it is ready.
    exec "$PYTHON" "$HERE/server.py" --dir "$dir" --log "$dir/commands.log" \
        --ready "$dir/ports.env" \
        --case "valid:$PORT_VALID" --case "expired:$PORT_EXPIRED" \
        --case "self-signed:$PORT_SELF_SIGNED" --case "no-starttls:$PORT_NO_STARTTLS" \
        --case "require-tls:$PORT_REQUIRE_TLS" --case "implicit-tls:$PORT_IMPLICIT_TLS" \
        --case "chain-incomplete:$PORT_CHAIN_INCOMPLETE"
}

case "${1:-}" in
install) install ;;
run) run "${2:-${STARTTLS_CHECK_AIOSMTPD_DIR:-/tmp/starttls-check-aiosmtpd}}" ;;
check)
    need=$(missing | paste -sd ' ')
    [ -z "$need" ] || die "not installed: $need; run \`sudo bash tests/aiosmtpd/setup.sh install\`"
    say "installed: aiosmtpd $("$PYTHON" -c 'import aiosmtpd; print(aiosmtpd.__version__)')"
    ;;
*) die "usage: setup.sh install | run [DIR] | check" ;;
esac
