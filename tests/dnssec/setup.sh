#!/usr/bin/env bash
# The DNSSEC tier of starttls-check: real signed zones (ldns-signzone, ECDSAP256SHA256) served
# by nsd on 127.0.0.1:2590, and a validating unbound on 127.0.0.1:2591 whose only trust anchor
# is the key of `dane.test.`. unbound asks nothing but that nsd: nsd is authoritative for the
# root `.` too, every zone is a stub-zone on 127.0.0.1@2590, and unbound sends from 127.0.0.1
# only. tests/dnssec.rs starts it through `run` and stops it (see tests/dnssec/README.md).
#
#   bash tests/dnssec/setup.sh install    apt-get install nsd unbound ldnsutils openssl, when
#                                         missing (root, needs the network)
#   bash tests/dnssec/setup.sh run [DIR]  make the PKI, keys and signed zones in DIR (default
#                                         $STARTTLS_CHECK_DNSSEC_DIR or
#                                         /tmp/starttls-check-dnssec), then serve in the
#                                         foreground until stdin closes (Ctrl-D by hand) or a
#                                         server exits; any user, no network
#   bash tests/dnssec/setup.sh check      exit 0 when installed, else say what to run
#
# `run` writes DIR/ports.env last (the DNS ports, the SMTP port of each case, the CA, the
# leaf), once unbound answers a secure query with AD; DIR/unbound.log has unbound's log
# (verbosity 2: every server it asks), DIR/nsd.log nsd's.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PACKAGES="nsd unbound ldnsutils openssl"
NSD=/usr/sbin/nsd
UNBOUND=/usr/sbin/unbound

# Fixed ports, documented in tests/dnssec/README.md (Postfix: 25xx below 2550, Exim:
# 2550-2556, aiosmtpd: 2560-2566).
PORT_NSD=2590
PORT_UNBOUND=2591
SMTP_OK=2592
SMTP_NO_MATCH=2593
SMTP_UNUSABLE=2594
SMTP_ROLLOVER=2595
SMTP_DANE_TA=2596
SMTP_INSECURE=2597
SMTP_BOGUS=2598
SMTP_MX_INSECURE=2599
ZONE=dane.test

say() { printf 'dnssec-setup: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

missing() {
    local p
    for p in $PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
    done
}

install() {
    [ "$(id -u)" = 0 ] || die "run as root (it installs nsd, unbound and ldnsutils with apt-get)"
    local need
    need=$(missing | paste -sd ' ')
    if [ -n "$need" ]; then
        export DEBIAN_FRONTEND=noninteractive
        say "installing $need"
        # Debian's packages start their own services through invoke-rc.d when systemd or an
        # init script can: policy-rc.d forbids it, so nothing grabs port 53. The tier runs its
        # own nsd and unbound with their own configurations.
        local policy=/usr/sbin/policy-rc.d own_policy=
        if [ ! -e "$policy" ]; then
            printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
        fi
        # shellcheck disable=SC2086 # one package a word
        apt-get install -y -q --no-install-recommends $need ||
            { apt-get update -q && apt-get install -y -q --no-install-recommends $need; }
        [ -z "$own_policy" ] || rm -f "$policy"
    fi
    [ -z "$(missing)" ] || die "still missing after the install: $(missing | paste -sd ' ')"
    say "installed: $("$NSD" -v 2>&1 | head -n1), unbound $("$UNBOUND" -V 2>&1 | sed -n 's/^Version //p')"
}

port_taken() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# spki_sha256 PEM: the SHA2-256 of the certificate's SubjectPublicKeyInfo, hex (TLSA x 1 1).
spki_sha256() {
    openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER |
        openssl dgst -sha256 -r | cut -d' ' -f1
}

# keys NAME: a KSK and a ZSK for zone NAME in DIR/keys; sets KSK and ZSK (file bases).
keys() {
    (cd "$DIR/keys" && {
        ldns-keygen -a ECDSAP256SHA256 -k "$1"
        ldns-keygen -a ECDSAP256SHA256 "$1"
    }) >"$DIR/keys/$1.names"
    KSK="$DIR/keys/$(sed -n 1p "$DIR/keys/$1.names")"
    ZSK="$DIR/keys/$(sed -n 2p "$DIR/keys/$1.names")"
}

soa() { # soa ORIGIN
    printf '$ORIGIN %s.\n$TTL 300\n@ SOA ns.%s. admin.%s. 1 3600 600 86400 300\n' "$1" "$ZONE" "$ZONE"
}

make_zones() {
    mkdir -p "$DIR/keys" "$DIR/zones"
    rm -f "$DIR"/keys/* "$DIR"/zones/*
    local leaf inter other
    leaf=$(spki_sha256 "$DIR/certs/dane.pem")
    inter=$(spki_sha256 "$DIR/ca/intermediate.pem")
    # A key nobody uses: a `3 1 1` that matches nothing.
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null |
        openssl pkey -pubout -outform DER >"$DIR/keys/other.spki"
    other=$(openssl dgst -sha256 -r <"$DIR/keys/other.spki" | cut -d' ' -f1)

    # The root: unsigned (no anchor for it), delegating dane.test. to this same nsd.
    {
        soa ""
        echo "@ NS ns.$ZONE."
        echo "$ZONE. NS ns.$ZONE."
        echo "ns.$ZONE. A 127.0.0.1"
    } | sed 's/^\$ORIGIN \.$/$ORIGIN ./' >"$DIR/zones/root.zone"

    # insecure.dane.test: unsigned, delegated without DS (RFC 4035 §5.2: provably insecure).
    {
        soa "insecure.$ZONE"
        echo "@ NS ns.$ZONE."
        echo "@ MX 10 mx"
        echo "mx A 127.0.0.1"
        echo "_$SMTP_INSECURE._tcp.mx TLSA 3 1 1 $leaf"
        # dane-mx-insecure: an insecure MX RRset naming a host of the secure zone with TLSA.
        echo "half MX 10 mx-half.$ZONE."
    } >"$DIR/zones/insecure.zone"

    # _tcp.mx-bogus.dane.test: signed with signatures that expired in 2020, DS in the parent:
    # bogus (RFC 4035 §5.3.1), so the validating unbound answers SERVFAIL for its TLSA.
    keys "_tcp.mx-bogus.$ZONE"
    local bogus_ds
    bogus_ds=$(cat "$KSK.ds")
    {
        soa "_tcp.mx-bogus.$ZONE"
        echo "@ NS ns.$ZONE."
        echo "_$SMTP_BOGUS TLSA 3 1 1 $leaf"
        cat "$KSK.key" "$ZSK.key"
    } >"$DIR/zones/bogus.zone"
    ldns-signzone -i 20190101000000 -e 20200101000000 -f "$DIR/zones/bogus.zone.signed" \
        "$DIR/zones/bogus.zone" "$ZSK" "$KSK"

    keys "$ZONE"
    {
        soa "$ZONE"
        echo "@ NS ns"
        echo "ns A 127.0.0.1"
        echo "; dane-ok: a DANE-EE SPKI SHA2-256 of the served leaf"
        echo "ok MX 10 mx-ok"
        echo "mx-ok A 127.0.0.1"
        echo "_$SMTP_OK._tcp.mx-ok TLSA 3 1 1 $leaf"
        echo "; dane-no-match: DANE-EE of another key"
        echo "nomatch MX 10 mx-nomatch"
        echo "mx-nomatch A 127.0.0.1"
        echo "_$SMTP_NO_MATCH._tcp.mx-nomatch TLSA 3 1 1 $other"
        echo "; dane-records-unusable: PKIX-EE and private-use usages only (RFC 7672 §3.1.3)"
        echo "unusable MX 10 mx-unusable"
        echo "mx-unusable A 127.0.0.1"
        echo "_$SMTP_UNUSABLE._tcp.mx-unusable TLSA 1 1 1 $leaf"
        echo "_$SMTP_UNUSABLE._tcp.mx-unusable TLSA 255 1 1 $leaf"
        echo "; no rollover risk: DANE-EE of the leaf and DANE-TA of its issuer"
        echo "rollover MX 10 mx-rollover"
        echo "mx-rollover A 127.0.0.1"
        echo "_$SMTP_ROLLOVER._tcp.mx-rollover TLSA 3 1 1 $leaf"
        echo "_$SMTP_ROLLOVER._tcp.mx-rollover TLSA 2 1 1 $inter"
        echo "; DANE-TA only: the intermediate, which the server sends (RFC 7672 §3.1.2)"
        echo "ta MX 10 mx-ta"
        echo "mx-ta A 127.0.0.1"
        echo "_$SMTP_DANE_TA._tcp.mx-ta TLSA 2 1 1 $inter"
        echo "; a secure denial: a host without TLSA (NXDOMAIN at _PORT._tcp)"
        echo "notlsa MX 10 mx-notlsa"
        echo "mx-notlsa A 127.0.0.1"
        echo "; an MX host that is an alias of mx-ok: TLSA at the expanded name (RFC 7672 §2.2.2)"
        echo "alias MX 10 mx-alias"
        echo "mx-alias CNAME mx-ok"
        echo "; the host of half.insecure.dane.test's insecure MX RRset"
        echo "mx-half A 127.0.0.1"
        echo "_$SMTP_MX_INSECURE._tcp.mx-half TLSA 3 1 1 $leaf"
        echo "; the insecure delegation: NS, no DS"
        echo "insecure NS ns"
        echo "; the bogus TLSA: a secure host whose _tcp child zone is bogus"
        echo "bogus MX 10 mx-bogus"
        echo "mx-bogus A 127.0.0.1"
        echo "_tcp.mx-bogus NS ns"
        echo "$bogus_ds"
        cat "$KSK.key" "$ZSK.key"
    } >"$DIR/zones/dane.zone"
    ldns-signzone -f "$DIR/zones/dane.zone.signed" "$DIR/zones/dane.zone" "$ZSK" "$KSK"
    # unbound's trust anchor: the KSK's DS, nothing above it.
    cp "$KSK.ds" "$DIR/anchor.ds"
}

write_configs() {
    cat >"$DIR/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1@$PORT_NSD
    port: $PORT_NSD
    username: ""
    chroot: ""
    zonesdir: "$DIR/zones"
    database: ""
    zonelistfile: "$DIR/nsd.zonelist"
    xfrdfile: "$DIR/nsd.xfrd"
    xfrdir: "$DIR"
    pidfile: "$DIR/nsd.pid"
    logfile: "$DIR/nsd.log"
    verbosity: 1
    server-count: 1
    tcp-count: 32
    do-ip6: no
remote-control:
    control-enable: no
zone:
    name: "."
    zonefile: "$DIR/zones/root.zone"
zone:
    name: "$ZONE"
    zonefile: "$DIR/zones/dane.zone.signed"
zone:
    name: "insecure.$ZONE"
    zonefile: "$DIR/zones/insecure.zone"
zone:
    name: "_tcp.mx-bogus.$ZONE"
    zonefile: "$DIR/zones/bogus.zone.signed"
EOF
    local stubs="" z
    for z in . "$ZONE." "insecure.$ZONE." "_tcp.mx-bogus.$ZONE."; do
        stubs+=$'stub-zone:\n'"    name: \"$z\""$'\n'"    stub-addr: 127.0.0.1@$PORT_NSD"$'\n'
    done
    cat >"$DIR/unbound.conf" <<EOF
server:
    interface: 127.0.0.1@$PORT_UNBOUND
    port: $PORT_UNBOUND
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$DIR"
    pidfile: "$DIR/unbound.pid"
    use-syslog: no
    logfile: "$DIR/unbound.log"
    log-time-ascii: yes
    verbosity: 2
    val-log-level: 2
    do-ip6: no
    # Nothing leaves loopback: queries go out from 127.0.0.1, only to the stubs below.
    outgoing-interface: 127.0.0.1
    do-not-query-localhost: no
    access-control: 127.0.0.0/8 allow
    module-config: "validator iterator"
    trust-anchor-file: "$DIR/anchor.ds"
    trust-anchor-signaling: no
    root-key-sentinel: no
    # test. is one of unbound's default local zones (RFC 6761): serve it from nsd instead.
    local-zone: "test." nodefault
    qname-minimisation: no
    prefetch: no
    cache-max-ttl: 5
    cache-max-negative-ttl: 5
    num-threads: 1
remote-control:
    control-enable: no
$stubs
EOF
}

run() {
    DIR=$1
    case "$DIR" in /*) ;; *) die "the directory must be an absolute path, got '$DIR'" ;; esac
    rm -f "$DIR/ports.env" "$DIR/ports.env.tmp"
    local need
    need=$(missing | paste -sd ' ')
    [ -z "$need" ] ||
        die "the DNSSEC tier is not installed: missing $need; run \`sudo bash tests/dnssec/setup.sh install\` first (it needs the network; \`run\` installs nothing)"
    local port
    for port in $PORT_NSD $PORT_UNBOUND; do
        ! port_taken "$port" ||
            die "127.0.0.1:$port is already taken (another DNSSEC tier?): the tier needs ports $PORT_NSD and $PORT_UNBOUND"
    done
    mkdir -p "$DIR"
    rm -f "$DIR/unbound.log" "$DIR/nsd.log"
    # The PKI of the other tiers (root, intermediate), and a leaf named for every MX host.
    # shellcheck source=../mta/pki.sh
    source "$HERE/../mta/pki.sh"
    pki_init "$DIR"
    local sans="DNS:mail.example.test" h
    for h in ok nomatch unusable rollover ta half bogus; do
        sans+=",DNS:mx-$h.$ZONE"
    done
    pki_extensions <<EOF
[ ext_leaf_dane ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth
subjectAltName         = $sans
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
EOF
    pki_cas DNSSEC
    sign dane "mx-ok.$ZONE" ext_leaf_dane intermediate "-1 day" "+365 days"
    cat "$DIR/certs/dane.pem" "$DIR/ca/intermediate.pem" >"$DIR/certs/dane.chain.pem"
    make_zones >"$DIR/zones.log" 2>&1 || { cat "$DIR/zones.log" >&2; die "signing the zones failed"; }
    write_configs
    "$NSD" -d -c "$DIR/nsd.conf" &
    local nsd_pid=$!
    "$UNBOUND" -d -c "$DIR/unbound.conf" &
    local unbound_pid=$!
    # shellcheck disable=SC2064 # expand now
    trap "kill $nsd_pid $unbound_pid 2>/dev/null; wait 2>/dev/null" EXIT
    # Ready when unbound answers the zone's SOA with AD (RFC 4035 §3.2.3): nsd serves, the
    # anchor holds.
    local tries=0
    until ldns_ad "$ZONE" SOA; do
        tries=$((tries + 1))
        [ "$tries" -lt 100 ] || die "unbound did not validate $ZONE SOA within 10 s: see $DIR/unbound.log"
        kill -0 "$nsd_pid" 2>/dev/null || die "nsd exited: see $DIR/nsd.log"
        kill -0 "$unbound_pid" 2>/dev/null || die "unbound exited: see $DIR/unbound.log"
        sleep 0.1
    done
    cat >"$DIR/ports.env.tmp" <<EOF
# Written by tests/dnssec/setup.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ)
STARTTLS_CHECK_DNSSEC_CA=$DIR/ca/root.pem
DNSSEC_LEAF_CHAIN=$DIR/certs/dane.chain.pem
DNSSEC_LEAF_KEY=$DIR/certs/dane.key
DNSSEC_ZONE=$ZONE
DNS_NSD=127.0.0.1:$PORT_NSD
DNS_UNBOUND=127.0.0.1:$PORT_UNBOUND
SMTP_OK=$SMTP_OK
SMTP_NO_MATCH=$SMTP_NO_MATCH
SMTP_UNUSABLE=$SMTP_UNUSABLE
SMTP_ROLLOVER=$SMTP_ROLLOVER
SMTP_DANE_TA=$SMTP_DANE_TA
SMTP_INSECURE=$SMTP_INSECURE
SMTP_BOGUS=$SMTP_BOGUS
SMTP_MX_INSECURE=$SMTP_MX_INSECURE
EOF
    mv "$DIR/ports.env.tmp" "$DIR/ports.env"
    say "serving: nsd on 127.0.0.1:$PORT_NSD, validating unbound on 127.0.0.1:$PORT_UNBOUND ($DIR); Ctrl-D stops"
    # Until stdin closes, or a server exits.
    # An explicit <&0: a background job of a script otherwise reads /dev/null.
    cat <&0 >/dev/null &
    local reader=$!
    wait -n "$reader" "$nsd_pid" "$unbound_pid" || true
    kill "$reader" 2>/dev/null || true
}

# ldns_ad NAME TYPE: unbound answers NAME/TYPE with the AD bit.
ldns_ad() {
    drill -D -p "$PORT_UNBOUND" "$1" "$2" @127.0.0.1 2>/dev/null | grep -q 'flags:.* ad[ ;]'
}

case "${1:-}" in
install) install ;;
run) run "${2:-${STARTTLS_CHECK_DNSSEC_DIR:-/tmp/starttls-check-dnssec}}" ;;
check)
    need=$(missing | paste -sd ' ')
    [ -z "$need" ] || die "not installed: $need; run \`sudo bash tests/dnssec/setup.sh install\`"
    say "installed"
    ;;
*) die "usage: setup.sh install | run [DIR] | check" ;;
esac
