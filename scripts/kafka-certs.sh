#!/usr/bin/env bash
# TLS material for Kafka's external SASL_SSL listener, made with openssl only:
#   kafka-ca/ca.key, kafka-ca/ca.crt   a CA of our own (made once, kept; move ca.key offline after use)
#   kafka.keystore.p12                 the broker's key and certificate (PKCS12, read by the apache/kafka image)
#   kafka_keystore_password            the keystore's password (random, made once)
#   kafka-ca.crt                       the CA certificate to give every feed producer (ssl.ca.location)
# The certificate names every HOST given (DNS names or IP addresses; the first should be KAFKA_EXTERNAL_HOST)
# and is valid 825 days. Running the script again issues a new broker certificate with the same CA, so
# producers need nothing new: that is the renewal. Delete kafka-ca/ to start a new CA (then hand every producer
# the new kafka-ca.crt).
# Usage: scripts/kafka-certs.sh HOST [HOST…]   (files go to $GRIDFLOW_SECRETS_DIR, else ./secrets)
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 HOST [HOST…]   (the broker's external name(s) or IP address(es))" >&2; exit 2; }
command -v openssl >/dev/null || { echo "kafka-certs: openssl is needed (apt-get install openssl)" >&2; exit 2; }
dir=${GRIDFLOW_SECRETS_DIR:-./secrets}
days=${KAFKA_CERT_DAYS:-825}
umask 077
mkdir -p "$dir/kafka-ca"
chmod 700 "$dir" "$dir/kafka-ca"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ ! -e "$dir/kafka-ca/ca.key" ]; then
  openssl req -x509 -new -newkey rsa:3072 -nodes -sha256 -days 3650 -subj "/O=gridflow/CN=gridflow Kafka CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$dir/kafka-ca/ca.key" -out "$dir/kafka-ca/ca.crt" 2>/dev/null
  echo "created the CA $dir/kafka-ca/ca.crt"
fi

names=()
for host in "$@"; do
  if [[ $host =~ ^[0-9.]+$ || $host == *:* ]]; then names+=("IP:$host"); else names+=("DNS:$host"); fi
done
san=$(IFS=,; echo "${names[*]}")
cat > "$work/ext" <<EXT
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$san
EXT
openssl req -new -newkey rsa:3072 -nodes -subj "/O=gridflow/CN=$1" -keyout "$work/broker.key" \
  -out "$work/broker.csr" 2>/dev/null
openssl x509 -req -sha256 -days "$days" -in "$work/broker.csr" -CA "$dir/kafka-ca/ca.crt" \
  -CAkey "$dir/kafka-ca/ca.key" -set_serial "0x$(openssl rand -hex 16)" -extfile "$work/ext" \
  -out "$work/broker.crt" 2>/dev/null

if [ ! -e "$dir/kafka_keystore_password" ]; then
  printf '%s' "$(openssl rand -hex 24)" > "$dir/kafka_keystore_password"
fi
# PKCS12: Kafka reads the key with the keystore password (ssl.key.password = ssl.keystore.password)
rm -f "$dir/kafka.keystore.p12"
openssl pkcs12 -export -name kafka -inkey "$work/broker.key" -in "$work/broker.crt" -certfile "$dir/kafka-ca/ca.crt" \
  -passout "file:$dir/kafka_keystore_password" -out "$dir/kafka.keystore.p12"
rm -f "$dir/kafka-ca.crt" && cp "$dir/kafka-ca/ca.crt" "$dir/kafka-ca.crt"
# the broker runs as another user than the one running this script: the files it reads must be readable
chmod 444 "$dir/kafka.keystore.p12" "$dir/kafka_keystore_password" "$dir/kafka-ca.crt"
chmod 400 "$dir/kafka-ca/ca.key"
echo "issued the broker certificate for $san, valid $days days: $dir/kafka.keystore.p12"
echo "give feed producers $dir/kafka-ca.crt (not a secret); keep $dir/kafka-ca/ca.key offline"
