#!/usr/bin/env bash
# Makes throw-away TLS material for the tests and benchmarks in OUTDIR (created if missing),
# with the openssl CLI. Nothing here is fit for production: keys are unencrypted, short-lived
# (2 days) and made fresh on every run.
#
#   tests/tls/make_test_certs.sh OUTDIR
#
# Files (PEM):
#   ca.pem                        the test CA (trust this one: NODE_EXTRA_CA_CERTS, --ca, ...)
#   server.pem server.key         server certificate for 127.0.0.1 and localhost, from ca.pem
#   server2.pem server2.key       a second one like it (a different key): the reload tests swap
#                                 it in and tell the two apart by serial number
#   client.pem client.key         a client certificate from ca.pem (mTLS: accepted)
#   other-ca.pem                  a second CA that the server does not trust
#   client-untrusted.pem client-untrusted.key   a client certificate from other-ca.pem (refused)
#   mismatched.key                a key that belongs to none of the certificates
# Prints nothing on success; exits non-zero with openssl's message on failure.
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
out=$1
mkdir -p "$out"
cd "$out"
command -v openssl >/dev/null || { echo "make_test_certs: openssl not on PATH" >&2; exit 1; }

days=2
log=$(mktemp)
trap 'rm -f "$log" ./*.csr ./*.ext ./*.srl' EXIT
run() { "$@" >>"$log" 2>&1 || { cat "$log" >&2; exit 1; }; }

new_key() { run openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

# new_ca NAME CN
new_ca() {
  new_key "$1.key"
  run openssl req -x509 -new -key "$1.key" -sha256 -days "$days" -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$1.pem"
}

# new_leaf NAME CN CA SERIAL EXTENSIONS...
new_leaf() {
  local name=$1 cn=$2 ca=$3 serial=$4
  shift 4
  new_key "$name.key"
  run openssl req -new -key "$name.key" -subj "/CN=$cn" -out "$name.csr"
  printf '%s\n' "$@" >"$name.ext"
  run openssl x509 -req -in "$name.csr" -CA "$ca.pem" -CAkey "$ca.key" -set_serial "$serial" \
    -sha256 -days "$days" -extfile "$name.ext" -out "$name.pem"
}

server_ext=("basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature"
            "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost")
client_ext=("basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature"
            "extendedKeyUsage=clientAuth")

new_ca ca "streamkeeper test CA"
new_ca other-ca "streamkeeper untrusted test CA"
new_leaf server 127.0.0.1 ca 1001 "${server_ext[@]}"
new_leaf server2 127.0.0.1 ca 1002 "${server_ext[@]}"
new_leaf client "streamkeeper test client" ca 2001 "${client_ext[@]}"
new_leaf client-untrusted "streamkeeper untrusted client" other-ca 2002 "${client_ext[@]}"
new_key mismatched.key
# The CAs' keys are not needed after this; leave only what tests use.
rm -f ca.key other-ca.key
