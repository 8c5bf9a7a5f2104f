#!/usr/bin/env bash
# Java's keytool: the compose test opens the Kafka keystore made by scripts/kafka-certs.sh as the (Java) broker would.
set -euo pipefail
if command -v keytool >/dev/null 2>&1; then
  echo "keytool: $(command -v keytool)"; exit 0
fi
echo "keytool: installing Debian package default-jre-headless"
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null
command -v keytool
