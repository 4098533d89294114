#!/usr/bin/env bash
# Regenerates the test-only TLS material (a CA, a worker certificate for 127.0.0.1 and
# localhost, a client certificate), valid for 100 years. Never use these outside tests.
#   cd test/data/tls && ./generate.sh
set -euo pipefail
days=36500
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days "$days" \
  -subj "/CN=nightjar test CA" -keyout ca.key -out ca.pem 2>/dev/null
for name in worker client; do
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=nightjar test $name" \
    -keyout "$name.key" -out "$name.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days "$days" \
    -extfile "$name.ext" -out "$name.pem" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
done
rm -f ca.srl

# For the client's verification-failure tests, signed by the same CA: one already expired
# (valid until a day before it was made), one for another host only.
make_leaf() {  # name, subjectAltName, days
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=nightjar test $1" \
    -keyout "$1.key" -out "$1.csr" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$2" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days "$3" -extfile "$1.ext" \
    -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext" ca.srl
}
make_leaf expired IP:127.0.0.1,DNS:localhost -1
make_leaf other-host DNS:other.example "$days"
