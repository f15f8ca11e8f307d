#!/usr/bin/env bash
# The test PKI of the Exim and aiosmtpd tiers (tests/exim, tests/aiosmtpd): a root, an
# intermediate, and the leaves their cases serve, made with openssl anew on every call (the
# dates are relative to now). Postfix's tier makes its own, larger one (tests/postfix/setup.sh).
#
#   bash tests/mta/pki.sh DIR
#
# Writes, for mail.example.test (RSA 2048, serverAuth):
#   DIR/ca/root.pem                       the root: the tests' --ca-file (never sent)
#   DIR/certs/valid.{key,pem}             leaf, valid -1 day .. +365 days
#   DIR/certs/expired.{key,pem}           leaf, valid -400 days .. -30 days
#   DIR/certs/self-signed.{key,pem}       self-signed leaf, -1 day .. +365 days
#   DIR/certs/valid.chain.pem             valid leaf + intermediate (what a server sends)
#   DIR/certs/expired.chain.pem           expired leaf + intermediate
# Needs only openssl; no network. Keys are mode 0640 (the caller gives them a group).
set -euo pipefail

DIR=${1:?usage: pki.sh DIR}
say() { printf 'pki: %s\n' "$*" >&2; }
command -v openssl >/dev/null || { say "error: openssl not found (apt-get install openssl)"; exit 1; }

umask 022
rm -rf "$DIR/ca" "$DIR/certs"
mkdir -p "$DIR/ca/db" "$DIR/certs"
: >"$DIR/ca/db/index.txt"
echo 1000 >"$DIR/ca/db/serial"

CNF="$DIR/ca/openssl.cnf"
cat >"$CNF" <<EOF
[ ca ]
default_ca = test_ca

[ test_ca ]
dir            = $DIR/ca/db
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

[ ext_leaf ]
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

# GeneralizedTime for `openssl ca -startdate/-enddate` (OpenSSL 3.0's x509 cannot backdate).
when() { date -u -d "$1" +%Y%m%d%H%M%SZ; }

# sign NAME CN EXT ISSUER(root|intermediate|self) START END
sign() {
    local name=$1 cn=$2 ext=$3 issuer=$4 start=$5 end=$6
    local out="$DIR/certs/$name" ca_args
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$out.key" 2>/dev/null
    openssl req -new -config "$CNF" -key "$out.key" -subj "/O=starttls-check test/CN=$cn" \
        -out "$out.csr"
    case "$issuer" in
    self) ca_args=(-selfsign -keyfile "$out.key") ;;
    *) ca_args=(-cert "$DIR/ca/$issuer.pem" -keyfile "$DIR/ca/$issuer.key") ;;
    esac
    openssl ca -batch -notext -config "$CNF" "${ca_args[@]}" -extensions "$ext" \
        -startdate "$(when "$start")" -enddate "$(when "$end")" \
        -in "$out.csr" -out "$out.pem" 2>"$out.log" || { cat "$out.log" >&2; exit 1; }
    rm -f "$out.csr" "$out.log"
}

sign root "starttls-check Tier Root CA" ext_root self "-2 years" "+10 years"
mv "$DIR/certs/root.pem" "$DIR/certs/root.key" "$DIR/ca/"
sign intermediate "starttls-check Tier Intermediate CA" ext_intermediate root "-2 years" "+5 years"
mv "$DIR/certs/intermediate.pem" "$DIR/certs/intermediate.key" "$DIR/ca/"
sign valid mail.example.test ext_leaf intermediate "-1 day" "+365 days"
sign expired mail.example.test ext_leaf intermediate "-400 days" "-30 days"
sign self-signed mail.example.test ext_leaf_self self "-1 day" "+365 days"

for leaf in valid expired; do
    cat "$DIR/certs/$leaf.pem" "$DIR/ca/intermediate.pem" >"$DIR/certs/$leaf.chain.pem"
done
chmod 0600 "$DIR"/ca/*.key
chmod 0640 "$DIR"/certs/*.key
say "made the tier PKI in $DIR (root: $DIR/ca/root.pem)"
