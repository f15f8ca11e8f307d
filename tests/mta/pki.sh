#!/usr/bin/env bash
# The test PKI of the real-MTA tiers, made with openssl anew on every call (the dates are
# relative to now). Two uses:
#
#   bash tests/mta/pki.sh DIR        the Exim and aiosmtpd tiers' PKI (below)
#   source tests/mta/pki.sh          the functions alone: tests/postfix/setup.sh makes its
#                                    larger PKI with them (pki_init, pki_extensions, sign)
#
# `bash tests/mta/pki.sh DIR` writes, for mail.example.test (RSA 2048, serverAuth):
#   DIR/ca/root.pem                       the root: the tests' --ca-file (never sent)
#   DIR/certs/valid.{key,pem}             leaf, valid -1 day .. +365 days
#   DIR/certs/expired.{key,pem}           leaf, valid -400 days .. -30 days
#   DIR/certs/self-signed.{key,pem}       self-signed leaf, -1 day .. +365 days
#   DIR/certs/valid.chain.pem             valid leaf + intermediate (what a server sends)
#   DIR/certs/expired.chain.pem           expired leaf + intermediate
# Needs only openssl; no network. Keys are mode 0640 (the caller gives them a group).

# pki_init DIR: an empty CA database under DIR/ca and the openssl configuration with the
# sections every tier uses (root, intermediate, a leaf for mail.example.test, a self-signed
# leaf); sets PKI_DIR and CNF for `sign`. A tier adds sections with pki_extensions.
pki_init() {
    PKI_DIR=$1
    command -v openssl >/dev/null ||
        { printf 'pki: error: openssl not found (apt-get install openssl)\n' >&2; exit 1; }
    umask 022
    rm -rf "$PKI_DIR/ca" "$PKI_DIR/certs"
    mkdir -p "$PKI_DIR/ca/db" "$PKI_DIR/certs"
    : >"$PKI_DIR/ca/db/index.txt"
    echo 1000 >"$PKI_DIR/ca/db/serial"
    CNF="$PKI_DIR/ca/openssl.cnf"
    cat >"$CNF" <<EOF
[ ca ]
default_ca = test_ca

[ test_ca ]
dir            = $PKI_DIR/ca/db
database       = \$dir/index.txt
serial         = \$dir/serial
new_certs_dir  = \$dir
default_md     = sha256
policy         = policy_any
unique_subject = no
copy_extensions = none
email_in_dn    = no

[ policy_any ]
commonName       = supplied
organizationName = optional

[ req ]
distinguished_name = req_dn
prompt             = no
[ req_dn ]
CN = unused

[ ext_root ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash

[ ext_intermediate ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid

[ ext_leaf_mail ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth
subjectAltName         = DNS:mail.example.test
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid

[ ext_leaf_self ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth
subjectAltName         = DNS:mail.example.test
subjectKeyIdentifier   = hash
EOF
}

# pki_extensions: appends the extension sections on stdin to the configuration.
pki_extensions() { cat >>"$CNF"; }

# GeneralizedTime for `openssl ca -startdate/-enddate` (OpenSSL 3.0 has no
# -not_before/-not_after on `x509`).
when() { date -u -d "$1" +%Y%m%d%H%M%SZ; }

key() { # key FILE BITS
    openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$2" -out "$1" 2>/dev/null
}

# sign NAME CN EXT ISSUER(root|intermediate|private-root|self) START END [BITS]
# Writes PKI_DIR/certs/NAME.{key,pem}. With SIGN_KEY=FILE, certifies that existing key
# instead of making one (a CA certificate re-issued on the same key).
sign() {
    local name=$1 cn=$2 ext=$3 issuer=$4 start=$5 end=$6 bits=${7:-2048}
    local out="$PKI_DIR/certs/$name"
    if [ -n "${SIGN_KEY:-}" ]; then
        cp "$SIGN_KEY" "$out.key"
    else
        key "$out.key" "$bits"
    fi
    openssl req -new -config "$CNF" -key "$out.key" -subj "/O=starttls-check test/CN=$cn" -out "$out.csr"
    local ca_args=()
    case "$issuer" in
    self) ca_args=(-selfsign -keyfile "$out.key") ;;
    *) ca_args=(-cert "$PKI_DIR/ca/$issuer.pem" -keyfile "$PKI_DIR/ca/$issuer.key") ;;
    esac
    openssl ca -batch -notext -config "$CNF" "${ca_args[@]}" \
        -extensions "$ext" -startdate "$(when "$start")" -enddate "$(when "$end")" \
        -in "$out.csr" -out "$out.pem" 2>"$out.ca.log" || { cat "$out.ca.log" >&2; exit 1; }
    rm -f "$out.csr" "$out.ca.log"
}

# pki_cas NAME: the root and the intermediate CA ("starttls-check NAME Root CA", "...
# Intermediate CA"), moved to PKI_DIR/ca.
pki_cas() {
    sign root "starttls-check $1 Root CA" ext_root self "-2 years" "+10 years"
    mv "$PKI_DIR/certs/root.pem" "$PKI_DIR/certs/root.key" "$PKI_DIR/ca/"
    sign intermediate "starttls-check $1 Intermediate CA" ext_intermediate root "-2 years" "+5 years"
    mv "$PKI_DIR/certs/intermediate.pem" "$PKI_DIR/certs/intermediate.key" "$PKI_DIR/ca/"
}

# Sourced: the functions only.
if [ "${BASH_SOURCE[0]}" != "$0" ]; then
    return 0
fi

set -euo pipefail
DIR=${1:?usage: pki.sh DIR}
pki_init "$DIR"
pki_cas Tier
sign valid mail.example.test ext_leaf_mail intermediate "-1 day" "+365 days"
sign expired mail.example.test ext_leaf_mail intermediate "-400 days" "-30 days"
sign self-signed mail.example.test ext_leaf_self self "-1 day" "+365 days"

for leaf in valid expired; do
    cat "$DIR/certs/$leaf.pem" "$DIR/ca/intermediate.pem" >"$DIR/certs/$leaf.chain.pem"
done
chmod 0600 "$DIR"/ca/*.key
chmod 0640 "$DIR"/certs/*.key
printf 'pki: %s\n' "made the tier PKI in $DIR (root: $DIR/ca/root.pem)" >&2
