#!/usr/bin/env bash
# Real-MTA test tier for starttls-check: install Postfix and serve one
# certificate/STARTTLS case per port on 127.0.0.1 only.
#
# Run as root on a Debian 12 machine:
#   bash tests/postfix/setup.sh           install (when missing), then start
#   bash tests/postfix/setup.sh install   only the packages (needs the network)
#   bash tests/postfix/setup.sh start     certificates, configuration, start
#                                         (no network: .ci/run runs this inside
#                                         its network namespace, so Postfix
#                                         listens on that namespace's 127.0.0.1)
# Non-interactive and idempotent: a second run regenerates the certificates
# and reloads Postfix. Nothing listens outside 127.0.0.1, Postfix does no DNS
# lookups and delivers nothing (every transport is `error:`).
#
# Output: $STARTTLS_CHECK_POSTFIX_DIR (default /tmp/starttls-check-postfix)
# holds the certificates and `ports.env`, which tests/postfix.rs reads.
set -euo pipefail

MODE="${1:-all}"

DIR="${STARTTLS_CHECK_POSTFIX_DIR:-/tmp/starttls-check-postfix}"
LOG=/var/log/postfix-starttls-check.log

# Fixed ports, documented in tests/postfix/README.md.
PORT_HEALTHY=2525
PORT_EXPIRED=2526
PORT_SELF_SIGNED=2527
PORT_WRONG_NAME=2528
PORT_NO_STARTTLS=2529
PORT_STARTTLS_REJECTED=2530
PORT_CHAIN_INCOMPLETE=2531
PORT_EXPIRES_SOON=2532
PORT_EHLO_MISMATCH=2533
PORT_NO_SERVER_AUTH=2534
PORT_WEAK_KEY=2535
PORT_HANDSHAKE_FAILED=2536
PORT_RENEWED_INTERMEDIATE=2537
PORT_PRIVATE_ROOT=2538
PORT_LEGACY_TLS=2539
PORT_REQUIRE_TLS=2540
PORT_RATE_LIMITED=2541
PORT_IMPLICIT_TLS=2542
# The probe's etiquette, read from this log (tests/postfix.rs): a healthy listener no other
# test probes, so that what Postfix logged on it comes from one test's runs only.
PORT_ETIQUETTE=2543
# Issue 17, tests/hybrid.rs: client certificates in both directions (tests/postfix/README.md,
# "Client certificates"). 2544 asks for a client certificate, 2545 requires a trusted one;
# 2546 takes mail for three test domains and relays it, through Postfix's own SMTP client,
# to the test's `starttls-check listen` on 127.0.0.1:2601 (with a client certificate),
# 2602 (without one) and 2603 (without STARTTLS). Nothing listens on 2601-2603 but a test.
PORT_ASK_CCERT=2544
PORT_REQUIRE_CCERT=2545
PORT_RELAY=2546
RELAY_LISTEN_CERT=2601
RELAY_LISTEN_NO_CERT=2602
RELAY_LISTEN_NO_TLS=2603
RELAY_DOMAIN_CERT=cert.hybrid.test
RELAY_DOMAIN_NO_CERT=nocert.hybrid.test
RELAY_DOMAIN_NO_TLS=notls.hybrid.test
# The sender's name: the client certificate's and Postfix's client's EHLO name.
SENDER_NAME=mail.sender.test
# The PKCS#12 files' password (a test secret; the tests pass it through an environment
# variable, as a user must: --client-cert-password-env).
PFX_PASSWORD=starttls-check-pfx-test
# Bench-only listeners (bench/compare.sh, BENCHMARKS.md): the healthy case again on three
# more loopback addresses, all on one port, as the healthy endpoints of a 4-endpoint mail
# domain (a domain check probes one port on every address). Additive: nothing on 127.0.0.1
# changes, and no test of the tier uses them.
BENCH_ADDRS="127.0.0.2 127.0.0.3 127.0.0.4"
PORT_BENCH=2525
# Throughput listeners (bench/throughput.sh, issue 13): one more healthy Postfix per address,
# on 127.0.1.x so that nothing of the above (127.0.0.5:2525 is compare.sh's silent listener)
# or of the tests (127.0.0.x, ports 25, 587 and ephemeral) can collide. A survey's tool makes
# at most one connection per address and port at a time, so the number of listeners is the
# number of checks in flight: THROUGHPUT_LISTENERS of them saturate this 2-core machine
# (BENCHMARKS.md, "Throughput"). Each presents a leaf for *.bench.example.test (the MX hosts
# of examples/throughput.rs's DNS) and greets as one of those names; each address also has
# an implicit-TLS listener (the bare TLS handshake rate, for context).
THROUGHPUT_LISTENERS=8
THROUGHPUT_ADDRS=$(seq -f '127.0.1.%g' -s ' ' 1 "$THROUGHPUT_LISTENERS")
PORT_THROUGHPUT=2525
PORT_THROUGHPUT_IMPLICIT=2465

say() { printf 'postfix-setup: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

case "$MODE" in
all | install | start) ;;
*) die "usage: setup.sh [install|start] (no argument: both)" ;;
esac
[ "$(id -u)" = 0 ] || die "run as root (it installs and configures Postfix)"
case "$DIR" in
/*) ;;
*) die "STARTTLS_CHECK_POSTFIX_DIR must be an absolute path, got '$DIR'" ;;
esac

# --- 1. packages -------------------------------------------------------------
export DEBIAN_FRONTEND=noninteractive
need=()
# swaks: a sender for tests/hybrid.rs; its --tls needs libnet-ssleay-perl (only a
# Recommends of swaks, and apt-get runs with --no-install-recommends).
packages=(postfix openssl netcat-openbsd swaks libnet-ssleay-perl)
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ "$MODE" = start ] && [ "${#need[@]}" -gt 0 ]; then
    die "not installed: ${need[*]}; run \`bash tests/postfix/setup.sh install\` first (start installs nothing)"
fi
if [ "${#need[@]}" -gt 0 ]; then
    say "installing ${need[*]}"
    # "No configuration": the package writes no main.cf and starts nothing;
    # this script writes the whole configuration below.
    debconf-set-selections <<'EOF'
postfix postfix/main_mailer_type select No configuration
postfix postfix/mailname string mail.example.test
EOF
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${need[@]}"
fi
command -v postfix >/dev/null || PATH="$PATH:/usr/sbin:/sbin"
command -v postfix >/dev/null || die "postfix not found after install"
if [ "$MODE" = install ]; then
    say "installed: ${packages[*]}; next: bash tests/postfix/setup.sh start"
    exit 0
fi

# --- 2. certificates ---------------------------------------------------------
# Made fresh on every run: the expiry cases are relative to "now".
say "making certificates in $DIR"
mkdir -p "$DIR"
# The functions and the sections every tier shares (tests/mta/pki.sh: the CA database, the
# root, intermediate, mail.example.test and self-signed sections, `sign`); the sections
# only Postfix's cases use follow.
# shellcheck source=tests/mta/pki.sh
source "$(dirname "${BASH_SOURCE[0]}")/../mta/pki.sh"
pki_init "$DIR"
pki_extensions <<'EOF'

# The throughput listeners' leaf: every MX host of the bench DNS (mxNNNN.bench.example.test).
[ ext_leaf_bench_wildcard ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth
subjectAltName         = DNS:*.bench.example.test
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid

[ ext_leaf_other ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth
subjectAltName         = DNS:other.example.test
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid

[ ext_leaf_client_only ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = clientAuth
subjectAltName         = DNS:mail.example.test
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid

# Issued straight from the private root, with the Authority Information Access
# URL such CAs (AD CS among them) put on their leaves; .test, never fetched.
[ ext_leaf_private ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth
subjectAltName         = DNS:mail.example.test
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
authorityInfoAccess    = caIssuers;URI:http://pki.example.test/private-ca.crt

# A sending MTA's certificate (issue 17): clientAuth for the client side, serverAuth too, as
# on an Exchange server's one certificate for both directions.
[ ext_leaf_sender ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = clientAuth, serverAuth
subjectAltName         = DNS:mail.sender.test
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
EOF

# Root and intermediate CA.
pki_cas Test

# The same intermediate re-issued 30 days ago (same name, same key), as a CA
# renews its issuing certificate: it signed the expired leaf below while its
# first certificate was current, and now only the new one is sent.
SIGN_KEY="$DIR/ca/intermediate.key" sign intermediate-renewed "starttls-check Test Intermediate CA" \
    ext_intermediate root "-30 days" "+5 years"
mv "$DIR/certs/intermediate-renewed.pem" "$DIR/ca/"
rm -f "$DIR/certs/intermediate-renewed.key"
# A private root that is neither sent nor in the tests' --ca-file (named the
# way AD CS names its roots: nothing in the name says "root").
sign private-root "starttls-check Private CA" ext_root self "-2 years" "+10 years"
mv "$DIR/certs/private-root.pem" "$DIR/certs/private-root.key" "$DIR/ca/"

# Leaves.
sign healthy mail.example.test ext_leaf_mail intermediate "-1 day" "+365 days"
sign expired mail.example.test ext_leaf_mail intermediate "-400 days" "-30 days"
sign self-signed mail.example.test ext_leaf_self self "-1 day" "+365 days"
sign wrong-name other.example.test ext_leaf_other intermediate "-1 day" "+365 days"
sign expires-soon mail.example.test ext_leaf_mail intermediate "-87 days" "+3 days"
sign no-server-auth mail.example.test ext_leaf_client_only intermediate "-1 day" "+365 days"
sign weak-key mail.example.test ext_leaf_mail intermediate "-1 day" "+365 days" 1024
# Expired 35 days ago, i.e. before the renewed intermediate's notBefore (-30 d):
# no instant lies inside every certificate of the chain this port sends.
sign expired-renewed-ca mail.example.test ext_leaf_mail intermediate "-400 days" "-35 days"
sign private-root-leaf mail.example.test ext_leaf_private private-root "-1 day" "+365 days"
# RSA 2048 like the healthy leaf, so a throughput handshake costs what port 2525's does.
sign bench-wildcard '*.bench.example.test' ext_leaf_bench_wildcard intermediate "-1 day" "+365 days"

# Client certificates (issue 17, tests/hybrid.rs): a client CA that ports 2544/2545 trust
# (smtpd_tls_CAfile), the sender's certificate from it, and one for the same name from a
# CA they do not trust (2545 must refuse it).
sign client-root "starttls-check Client CA" ext_root self "-2 years" "+10 years"
sign other-client-root "starttls-check Other Client CA" ext_root self "-2 years" "+10 years"
mv "$DIR"/certs/client-root.{pem,key} "$DIR"/certs/other-client-root.{pem,key} "$DIR/ca/"
sign sender "$SENDER_NAME" ext_leaf_sender client-root "-1 day" "+365 days"
sign sender-other-ca "$SENDER_NAME" ext_leaf_sender other-client-root "-1 day" "+365 days"
# PKCS#12 with the key, the leaf and its CA: OpenSSL 3's default (AES-256-CBC, PBKDF2,
# SHA-256 MAC) and `-legacy` (RC2-40 certificates, 3DES key, SHA-1 MAC: the old Windows
# export format).
openssl pkcs12 -export -in "$DIR/certs/sender.pem" -inkey "$DIR/certs/sender.key" \
    -certfile "$DIR/ca/client-root.pem" -name "$SENDER_NAME" \
    -passout "pass:$PFX_PASSWORD" -out "$DIR/certs/sender.pfx"
openssl pkcs12 -export -legacy -in "$DIR/certs/sender.pem" -inkey "$DIR/certs/sender.key" \
    -certfile "$DIR/ca/client-root.pem" -name "$SENDER_NAME" \
    -passout "pass:$PFX_PASSWORD" -out "$DIR/certs/sender-legacy.pfx" ||
    die "openssl pkcs12 -export -legacy failed (OpenSSL 3's legacy provider missing?)"

# Chain files for smtpd_tls_chain_files: key first, then leaf, then the
# intermediate (never the root).
chain() { # chain NAME [with-intermediate|with-renewed-intermediate]
    local c="$DIR/certs/$1"
    case "${2:-}" in
    with-intermediate) cat "$c.key" "$c.pem" "$DIR/ca/intermediate.pem" >"$c.chain.pem" ;;
    with-renewed-intermediate) cat "$c.key" "$c.pem" "$DIR/ca/intermediate-renewed.pem" >"$c.chain.pem" ;;
    *) cat "$c.key" "$c.pem" >"$c.chain.pem" ;;
    esac
}
chain healthy with-intermediate
chain expired with-intermediate
chain self-signed
chain wrong-name with-intermediate
chain expires-soon with-intermediate
chain no-server-auth with-intermediate
chain weak-key with-intermediate
chain expired-renewed-ca with-renewed-intermediate
chain private-root-leaf
chain bench-wildcard with-intermediate
cat "$DIR/certs/healthy.key" "$DIR/certs/healthy.pem" >"$DIR/certs/leaf-only.chain.pem"

# Keys are read by smtpd as root before it drops privileges.
chmod 0600 "$DIR"/certs/*.key "$DIR"/certs/*.chain.pem "$DIR"/certs/*.pfx "$DIR"/ca/*.key

# OpenSSL configuration for the legacy-TLS listener (port 2539), loaded through
# Postfix's tls_config_file/tls_config_name (Postfix >= 3.7.6 on OpenSSL >= 1.1.1b):
# OpenSSL 3 speaks TLS 1.0/1.1 only at security level 0. (Postfix 3.7 on Debian 12
# speaks TLS 1.0 without it too: see the README.)
cat >"$DIR/openssl-legacy-tls.cnf" <<'EOF'
# Written by starttls-check tests/postfix/setup.sh for the legacy-TLS port.
postfix = postfix_settings

[ postfix_settings ]
ssl_conf = postfix_ssl_settings

[ postfix_ssl_settings ]
system_default = postfix_legacy_tls

[ postfix_legacy_tls ]
CipherString = DEFAULT@SECLEVEL=0
MinProtocol = TLSv1
EOF

# --- 3. Postfix configuration -------------------------------------------------
say "writing /etc/postfix/main.cf and master.cf"
C="$DIR/certs"
cat >/etc/postfix/main.cf <<EOF
# Written by starttls-check tests/postfix/setup.sh: a loopback-only test MTA.
compatibility_level = 3.6
myhostname = mail.example.test
mydomain = example.test
myorigin = \$myhostname
mydestination = localhost
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost =
# Never deliver anything anywhere, never look names up.
default_transport = error:delivery disabled in starttls-check test MTA
relay_transport = error:delivery disabled in starttls-check test MTA
local_transport = error:delivery disabled in starttls-check test MTA
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
smtpd_peername_lookup = no
smtpd_recipient_restrictions = reject
smtpd_relay_restrictions = reject
# No postmaster notices for the deliberate TLS "software" errors (port 2530).
notify_classes =
alias_maps =
alias_database =
biff = no
# No syslog daemon on these machines: log to a file through postlogd.
maillog_file = $LOG
# TLS defaults; each test port overrides these in master.cf.
smtpd_tls_security_level = may
smtpd_tls_chain_files = $C/healthy.chain.pem
smtpd_tls_loglevel = 1
# What the client sent, for tests/postfix.rs's etiquette checks: the client's port on every
# line (one session among many of a listener), and every EHLO/HELO name (an INFO action logs
# "... helo=<NAME>" and changes nothing; evaluated at EHLO time, not at RCPT, hence
# smtpd_delay_reject = no). The "disconnect from" line counts each command.
smtpd_client_port_logging = yes
smtpd_delay_reject = no
smtpd_helo_restrictions = check_helo_access static:INFO
# The relay of port $PORT_RELAY (issue 17): mail for these test domains goes, through
# Postfix's own SMTP client, to a test's \`starttls-check listen\` on loopback; every other
# address keeps the error: transports above. [addr]:port next hops, no DNS.
transport_maps = inline:{ $RELAY_DOMAIN_CERT=hybrid-cert:[127.0.0.1]:$RELAY_LISTEN_CERT,
    $RELAY_DOMAIN_NO_CERT=hybrid-nocert:[127.0.0.1]:$RELAY_LISTEN_NO_CERT,
    $RELAY_DOMAIN_NO_TLS=hybrid-notls:[127.0.0.1]:$RELAY_LISTEN_NO_TLS }
smtp_tls_loglevel = 1
EOF

master_dist=/usr/share/postfix/master.cf.dist
[ -r "$master_dist" ] || die "$master_dist missing (is the postfix package installed?)"
{
    # The stock services, minus the public port-25 listener.
    grep -Ev '^(smtp|submission|submissions|smtps)[[:space:]]+inet' "$master_dist"
    cat <<EOF

# ---- starttls-check test ports (127.0.0.1 only; chroot off so the
# ---- certificates under $DIR are readable) ----
# 1 healthy: leaf + intermediate
127.0.0.1:$PORT_HEALTHY inet n - n - - smtpd
  -o syslog_name=postfix/healthy
  -o smtpd_tls_security_level=may
  -o smtpd_tls_chain_files=$C/healthy.chain.pem
# 2 expired leaf
127.0.0.1:$PORT_EXPIRED inet n - n - - smtpd
  -o syslog_name=postfix/expired
  -o smtpd_tls_security_level=may
  -o smtpd_tls_chain_files=$C/expired.chain.pem
# 3 self-signed leaf
127.0.0.1:$PORT_SELF_SIGNED inet n - n - - smtpd
  -o syslog_name=postfix/self-signed
  -o smtpd_tls_security_level=may
  -o smtpd_tls_chain_files=$C/self-signed.chain.pem
# 4 CA-signed leaf for other.example.test only
127.0.0.1:$PORT_WRONG_NAME inet n - n - - smtpd
  -o syslog_name=postfix/wrong-name
  -o smtpd_tls_security_level=may
  -o smtpd_tls_chain_files=$C/wrong-name.chain.pem
# 5 STARTTLS not offered
127.0.0.1:$PORT_NO_STARTTLS inet n - n - - smtpd
  -o syslog_name=postfix/no-starttls
  -o smtpd_tls_security_level=none
# 6 STARTTLS advertised, answered "454 4.7.0 TLS not available due to local
#   problem": smtpd_tls_cert_file names a missing file. (A missing
#   smtpd_tls_chain_files file does NOT do this in Postfix 3.7: see port 12.)
127.0.0.1:$PORT_STARTTLS_REJECTED inet n - n - - smtpd
  -o syslog_name=postfix/starttls-rejected
  -o smtpd_tls_security_level=may
  -o smtpd_tls_chain_files=
  -o smtpd_tls_cert_file=$C/missing.pem
  -o smtpd_tls_key_file=$C/missing.key
# 7 leaf only, intermediate not sent
127.0.0.1:$PORT_CHAIN_INCOMPLETE inet n - n - - smtpd
  -o syslog_name=postfix/chain-incomplete
  -o smtpd_tls_security_level=may
  -o smtpd_tls_chain_files=$C/leaf-only.chain.pem
# 8 leaf expires in 3 days
127.0.0.1:$PORT_EXPIRES_SOON inet n - n - - smtpd
  -o syslog_name=postfix/expires-soon
  -o smtpd_tls_security_level=may
  -o smtpd_tls_chain_files=$C/expires-soon.chain.pem
# 9 healthy certificate, greeting name not on it
127.0.0.1:$PORT_EHLO_MISMATCH inet n - n - - smtpd
  -o syslog_name=postfix/ehlo-mismatch
  -o myhostname=relay.internal.test
  -o smtpd_tls_security_level=may
  -o smtpd_tls_chain_files=$C/healthy.chain.pem
# 10 leaf with extendedKeyUsage = clientAuth only
127.0.0.1:$PORT_NO_SERVER_AUTH inet n - n - - smtpd
  -o syslog_name=postfix/no-server-auth
  -o smtpd_tls_security_level=may
  -o smtpd_tls_chain_files=$C/no-server-auth.chain.pem
# 11 RSA-1024 leaf (Postfix 3.7 + OpenSSL 3.0 on Debian 12 load and serve it
#    as is; no security-level override needed)
127.0.0.1:$PORT_WEAK_KEY inet n - n - - smtpd
  -o syslog_name=postfix/weak-key
  -o smtpd_tls_security_level=may
  -o smtpd_tls_chain_files=$C/weak-key.chain.pem
# 12 smtpd_tls_chain_files names a missing file: Postfix 3.7 still answers
#    STARTTLS with 220, then aborts the handshake (no certificate to send)
127.0.0.1:$PORT_HANDSHAKE_FAILED inet n - n - - smtpd
  -o syslog_name=postfix/handshake-failed
  -o smtpd_tls_security_level=may
  -o smtpd_tls_chain_files=$C/missing.chain.pem
# 13 expired leaf, sent with its intermediate re-issued (same name and key)
#    after the leaf expired
127.0.0.1:$PORT_RENEWED_INTERMEDIATE inet n - n - - smtpd
  -o syslog_name=postfix/renewed-intermediate
  -o smtpd_tls_security_level=may
  -o smtpd_tls_chain_files=$C/expired-renewed-ca.chain.pem
# 14 leaf issued straight from a private root; only the leaf is sent
127.0.0.1:$PORT_PRIVATE_ROOT inet n - n - - smtpd
  -o syslog_name=postfix/private-root
  -o smtpd_tls_security_level=may
  -o smtpd_tls_chain_files=$C/private-root-leaf.chain.pem
# 15 TLS 1.0/1.1 only: this service's own override, main.cf untouched, with an
#    OpenSSL configuration at security level 0
127.0.0.1:$PORT_LEGACY_TLS inet n - n - - smtpd
  -o syslog_name=postfix/legacy-tls
  -o smtpd_tls_security_level=may
  -o smtpd_tls_chain_files=$C/healthy.chain.pem
  -o smtpd_tls_protocols=!SSLv2,!SSLv3,!TLSv1.2,!TLSv1.3
  -o smtpd_tls_mandatory_protocols=!SSLv2,!SSLv3,!TLSv1.2,!TLSv1.3
  -o tls_config_file=$DIR/openssl-legacy-tls.cnf
  -o tls_config_name=postfix
# 16 TLS required: MAIL FROM before STARTTLS gets
#    "530 5.7.0 Must issue a STARTTLS command first"
127.0.0.1:$PORT_REQUIRE_TLS inet n - n - - smtpd
  -o syslog_name=postfix/require-tls
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_chain_files=$C/healthy.chain.pem
# 17 one connection per client at a time (anvil), loopback not exempt: a
#    second concurrent connection gets "421 4.7.0 mail.example.test Error:
#    too many connections from 127.0.0.1"
127.0.0.1:$PORT_RATE_LIMITED inet n - n - - smtpd
  -o syslog_name=postfix/rate-limited
  -o smtpd_tls_security_level=may
  -o smtpd_tls_chain_files=$C/healthy.chain.pem
  -o smtpd_client_connection_count_limit=1
  -o smtpd_client_event_limit_exceptions=
# 18 implicit TLS (SMTPS, RFC 8314, as on port 465): TLS from the first byte
127.0.0.1:$PORT_IMPLICIT_TLS inet n - n - - smtpd
  -o syslog_name=postfix/implicit-tls
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_chain_files=$C/healthy.chain.pem
# 19 healthy, as port 1, for the etiquette test alone (what the probe sends, from this log)
127.0.0.1:$PORT_ETIQUETTE inet n - n - - smtpd
  -o syslog_name=postfix/etiquette
  -o smtpd_tls_security_level=may
  -o smtpd_tls_chain_files=$C/healthy.chain.pem
# 20 asks for a client certificate (CertificateRequest naming the client CA), does not
#    require one: "Trusted/Untrusted TLS connection established from ..." in the log
127.0.0.1:$PORT_ASK_CCERT inet n - n - - smtpd
  -o syslog_name=postfix/ask-ccert
  -o smtpd_tls_security_level=may
  -o smtpd_tls_chain_files=$C/healthy.chain.pem
  -o smtpd_tls_ask_ccert=yes
  -o smtpd_tls_CAfile=$DIR/ca/client-root.pem
# 21 requires a client certificate the client CA issued (smtpd_tls_req_ccert needs
#    security level encrypt): without one, the TLS handshake completes and Postfix then
#    answers "421 4.7.1 ..." and hangs up (README, "Client certificates")
127.0.0.1:$PORT_REQUIRE_CCERT inet n - n - - smtpd
  -o syslog_name=postfix/require-ccert
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_chain_files=$C/healthy.chain.pem
  -o smtpd_tls_ask_ccert=yes
  -o smtpd_tls_req_ccert=yes
  -o smtpd_tls_CAfile=$DIR/ca/client-root.pem
# 22 the relay: accepts mail from loopback for the hybrid.test domains (transport_maps in
#    main.cf) and hands it to the hybrid-* transports below
127.0.0.1:$PORT_RELAY inet n - n - - smtpd
  -o syslog_name=postfix/relay-in
  -o smtpd_tls_security_level=may
  -o smtpd_tls_chain_files=$C/healthy.chain.pem
  -o smtpd_relay_restrictions=permit_mynetworks,reject
  -o smtpd_recipient_restrictions=permit_mynetworks,reject
# Postfix's SMTP client as the sender that \`starttls-check listen\` sees (tests/hybrid.rs):
# with the sender's client certificate, without one, and without STARTTLS. EHLO name
# $SENDER_NAME, as the certificate.
hybrid-cert unix - - n - - smtp
  -o syslog_name=postfix/hybrid-cert
  -o smtp_helo_name=$SENDER_NAME
  -o smtp_tls_security_level=may
  -o smtp_tls_cert_file=$C/sender.pem
  -o smtp_tls_key_file=$C/sender.key
hybrid-nocert unix - - n - - smtp
  -o syslog_name=postfix/hybrid-nocert
  -o smtp_helo_name=$SENDER_NAME
  -o smtp_tls_security_level=may
hybrid-notls unix - - n - - smtp
  -o syslog_name=postfix/hybrid-notls
  -o smtp_helo_name=$SENDER_NAME
  -o smtp_tls_security_level=none
EOF
    for addr in $BENCH_ADDRS; do
        cat <<EOF
# bench: healthy, as port $PORT_HEALTHY, on $addr (bench/compare.sh's domain of 4 endpoints)
$addr:$PORT_BENCH inet n - n - - smtpd
  -o syslog_name=postfix/bench-$addr
  -o smtpd_helo_restrictions=
  -o smtpd_tls_security_level=may
  -o smtpd_tls_chain_files=$C/healthy.chain.pem
EOF
    done
    # Throughput listeners: the greeting name is on the certificate too, so a check passes
    # without even an informational finding; TLS logging off (the smtpd's per-session log
    # lines would cost CPU on the server half of a 2-core machine, equally for every client).
    for addr in $THROUGHPUT_ADDRS; do
        cat <<EOF
# throughput: healthy, for *.bench.example.test, on $addr (bench/throughput.sh)
$addr:$PORT_THROUGHPUT inet n - n - - smtpd
  -o syslog_name=postfix/throughput-$addr
  -o smtpd_helo_restrictions=
  -o myhostname=mx.bench.example.test
  -o smtpd_tls_security_level=may
  -o smtpd_tls_loglevel=0
  -o smtpd_tls_chain_files=$C/bench-wildcard.chain.pem
# throughput: the same as implicit TLS (bench/throughput.sh's bare-handshake context)
$addr:$PORT_THROUGHPUT_IMPLICIT inet n - n - - smtpd
  -o syslog_name=postfix/throughput-implicit-$addr
  -o smtpd_helo_restrictions=
  -o myhostname=mx.bench.example.test
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_loglevel=0
  -o smtpd_tls_chain_files=$C/bench-wildcard.chain.pem
EOF
    done
} >/etc/postfix/master.cf

postfix check || die "postfix check failed"

# --- 4. start or reload ------------------------------------------------------
# Postfix listens in the network namespace it was started in. A master started
# in another one (an earlier .ci/run, or this machine's own namespace when we
# run inside .ci/run's) would be reloaded there and never be reachable here:
# stop it and start ours.
touch "$LOG"
# The queue holds only tests/hybrid.rs's relayed test messages (every other port refuses
# RCPT): a run's leftovers would otherwise be retried into a later run's listener.
postsuper -d ALL >/dev/null 2>&1 || true
master_pid() {
    local queue
    queue=$(postconf -h queue_directory)
    sed -n '1s/[^0-9]//gp' "$queue/pid/master.pid" 2>/dev/null || true
}
if postfix status >/dev/null 2>&1; then
    pid=$(master_pid)
    here=$(readlink /proc/self/ns/net)
    there=$(readlink "/proc/$pid/ns/net" 2>/dev/null || echo unknown)
    if [ -n "$pid" ] && [ "$there" != "$here" ]; then
        say "Postfix (pid $pid) runs in network namespace $there, not in this one ($here): stopping it"
        postfix stop
        for _ in $(seq 1 50); do
            postfix status >/dev/null 2>&1 || break
            sleep 0.2
        done
        ! postfix status >/dev/null 2>&1 || die "Postfix (pid $pid) did not stop"
        say "starting Postfix in network namespace $here"
        postfix start
    else
        say "reloading Postfix"
        postfix reload
    fi
else
    say "starting Postfix in network namespace $(readlink /proc/self/ns/net)"
    postfix start
fi

# Wait until every port answers with a 220 banner.
ports="$PORT_HEALTHY $PORT_EXPIRED $PORT_SELF_SIGNED $PORT_WRONG_NAME $PORT_NO_STARTTLS
       $PORT_STARTTLS_REJECTED $PORT_CHAIN_INCOMPLETE $PORT_EXPIRES_SOON $PORT_EHLO_MISMATCH
       $PORT_NO_SERVER_AUTH $PORT_WEAK_KEY $PORT_HANDSHAKE_FAILED
       $PORT_RENEWED_INTERMEDIATE $PORT_PRIVATE_ROOT $PORT_LEGACY_TLS $PORT_REQUIRE_TLS $PORT_RATE_LIMITED
       $PORT_ETIQUETTE $PORT_ASK_CCERT $PORT_REQUIRE_CCERT $PORT_RELAY"
# greets ADDR PORT: a 220 banner within 50 tries (Postfix may still be starting).
greets() {
    local _ reply
    for _ in $(seq 1 50); do
        # Wait for the banner before QUIT (smtpd logs early input as pipelining abuse).
        reply=$({ sleep 0.3; printf 'QUIT\r\n'; } | timeout 5 nc -N -w 5 "$1" "$2" 2>/dev/null) || true
        [ "${reply:0:4}" = "220 " ] && return 0
        sleep 0.2
    done
    return 1
}
for port in $ports; do
    greets 127.0.0.1 "$port" || die "port $port gives no 220 banner; see $LOG"
done
# The implicit-TLS port greets only inside TLS.
ok=
for _ in $(seq 1 50); do
    reply=$({ sleep 0.5; printf 'QUIT\r\n'; } |
        timeout 5 openssl s_client -quiet -connect "127.0.0.1:$PORT_IMPLICIT_TLS" 2>/dev/null) || true
    if [ "${reply:0:4}" = "220 " ]; then
        ok=1
        break
    fi
    sleep 0.2
done
[ -n "$ok" ] || die "port $PORT_IMPLICIT_TLS gives no 220 banner inside TLS; see $LOG"
ports="$ports $PORT_IMPLICIT_TLS"
for addr in $BENCH_ADDRS; do
    greets "$addr" "$PORT_BENCH" || die "bench listener $addr:$PORT_BENCH gives no 220 banner; see $LOG"
done
# The throughput listeners, all at once (one by one, each try's pause would add seconds).
greets_tls() { # greets_tls ADDR PORT: a 220 banner inside TLS
    local _ reply
    for _ in $(seq 1 50); do
        reply=$({ sleep 0.5; printf 'QUIT\r\n'; } |
            timeout 5 openssl s_client -quiet -connect "$1:$2" 2>/dev/null) || true
        [ "${reply:0:4}" = "220 " ] && return 0
        sleep 0.2
    done
    return 1
}
pids=()
for addr in $THROUGHPUT_ADDRS; do
    greets "$addr" "$PORT_THROUGHPUT" &
    pids+=("$!:$addr:$PORT_THROUGHPUT")
    greets_tls "$addr" "$PORT_THROUGHPUT_IMPLICIT" &
    pids+=("$!:$addr:$PORT_THROUGHPUT_IMPLICIT")
done
for p in "${pids[@]}"; do
    wait "${p%%:*}" || die "throughput listener ${p#*:} gives no 220 banner; see $LOG"
done

# --- 5. env file for tests/postfix.rs ----------------------------------------
# KEY=value lines that a shell can also source: a value with spaces is in double quotes
# (its readers strip them).
cat >"$DIR/ports.env.tmp" <<EOF
# Written by tests/postfix/setup.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ)
STARTTLS_CHECK_POSTFIX_CA=$DIR/ca/root.pem
STARTTLS_CHECK_POSTFIX_LOG=$LOG
PORT_HEALTHY=$PORT_HEALTHY
PORT_EXPIRED=$PORT_EXPIRED
PORT_SELF_SIGNED=$PORT_SELF_SIGNED
PORT_WRONG_NAME=$PORT_WRONG_NAME
PORT_NO_STARTTLS=$PORT_NO_STARTTLS
PORT_STARTTLS_REJECTED=$PORT_STARTTLS_REJECTED
PORT_CHAIN_INCOMPLETE=$PORT_CHAIN_INCOMPLETE
PORT_EXPIRES_SOON=$PORT_EXPIRES_SOON
PORT_EHLO_MISMATCH=$PORT_EHLO_MISMATCH
PORT_NO_SERVER_AUTH=$PORT_NO_SERVER_AUTH
PORT_WEAK_KEY=$PORT_WEAK_KEY
PORT_HANDSHAKE_FAILED=$PORT_HANDSHAKE_FAILED
PORT_RENEWED_INTERMEDIATE=$PORT_RENEWED_INTERMEDIATE
PORT_PRIVATE_ROOT=$PORT_PRIVATE_ROOT
PORT_LEGACY_TLS=$PORT_LEGACY_TLS
PORT_REQUIRE_TLS=$PORT_REQUIRE_TLS
PORT_RATE_LIMITED=$PORT_RATE_LIMITED
PORT_IMPLICIT_TLS=$PORT_IMPLICIT_TLS
PORT_ETIQUETTE=$PORT_ETIQUETTE
PORT_ASK_CCERT=$PORT_ASK_CCERT
PORT_REQUIRE_CCERT=$PORT_REQUIRE_CCERT
PORT_RELAY=$PORT_RELAY
RELAY_LISTEN_CERT=$RELAY_LISTEN_CERT
RELAY_LISTEN_NO_CERT=$RELAY_LISTEN_NO_CERT
RELAY_LISTEN_NO_TLS=$RELAY_LISTEN_NO_TLS
RELAY_DOMAIN_CERT=$RELAY_DOMAIN_CERT
RELAY_DOMAIN_NO_CERT=$RELAY_DOMAIN_NO_CERT
RELAY_DOMAIN_NO_TLS=$RELAY_DOMAIN_NO_TLS
SENDER_NAME=$SENDER_NAME
CLIENT_CA=$DIR/ca/client-root.pem
CLIENT_CERT=$DIR/certs/sender.pem
CLIENT_KEY=$DIR/certs/sender.key
CLIENT_CERT_OTHER_CA=$DIR/certs/sender-other-ca.pem
CLIENT_KEY_OTHER_CA=$DIR/certs/sender-other-ca.key
CLIENT_PFX=$DIR/certs/sender.pfx
CLIENT_PFX_LEGACY=$DIR/certs/sender-legacy.pfx
CLIENT_PFX_PASSWORD=$PFX_PASSWORD
BENCH_ADDRS="$BENCH_ADDRS"
PORT_BENCH=$PORT_BENCH
THROUGHPUT_ADDRS="$THROUGHPUT_ADDRS"
PORT_THROUGHPUT=$PORT_THROUGHPUT
PORT_THROUGHPUT_IMPLICIT=$PORT_THROUGHPUT_IMPLICIT
EOF
mv "$DIR/ports.env.tmp" "$DIR/ports.env"
say "ready: $(echo "$ports" | wc -w) ports on 127.0.0.1, bench listeners on ${BENCH_ADDRS// /, } port $PORT_BENCH, $THROUGHPUT_LISTENERS throughput listeners on ${THROUGHPUT_ADDRS%% *}–${THROUGHPUT_ADDRS##* } ports $PORT_THROUGHPUT and $PORT_THROUGHPUT_IMPLICIT; env file $DIR/ports.env; log $LOG"
