#!/usr/bin/env bash
# Creates the secret files docker-compose.yml hands to the containers, one random value per file (no trailing
# newline), keeping every file that exists already: run it again safely; delete a file to make it anew.
# Usage: scripts/make-secrets.sh [DIR]   (default: $GRIDFLOW_SECRETS_DIR, else ./secrets)
# Not made here: accounts.json (`gridflow accounts add`), the Kafka keystore (scripts/kafka-certs.sh HOST), and
# operations_alert_url (the operators' own webhook URL, see .env.example).
set -euo pipefail
dir=${1:-${GRIDFLOW_SECRETS_DIR:-./secrets}}
command -v openssl >/dev/null || { echo "make-secrets: openssl is needed (apt-get install openssl)" >&2; exit 2; }
umask 077
mkdir -p "$dir"
chmod 700 "$dir"  # the host's other users stay out

make_secret() {  # make_secret NAME COMMAND…: the command's output, stripped of its newline, becomes the file's value
  local name=$1; shift
  if [ -e "$dir/$name" ]; then echo "kept    $dir/$name"; return; fi
  printf '%s' "$("$@")" > "$dir/$name"
  # the containers read their secrets as different users (postgres, clickhouse, grafana, kafka, nobody)
  chmod 444 "$dir/$name"
  echo "created $dir/$name"
}

make_secret postgres_password openssl rand -hex 24
make_secret clickhouse_password openssl rand -hex 24
make_secret grafana_admin_password openssl rand -hex 16
make_secret gridflow_cipher_key openssl rand -base64 32
make_secret gridflow_pseudonym_key openssl rand -base64 32
make_secret gridflow_webhook_token openssl rand -hex 24
for department in tourism civil_affairs public_security; do  # feeds/catalogue.yaml's departments
  make_secret "gridflow_feed_key_$department" openssl rand -base64 32
done
if [ ! -s "$dir/operations_alert_url" ]; then  # the operators' own: Grafana does not start without it
  echo "missing $dir/operations_alert_url: write the webhook URL that receives operations alerts into it" \
       "(printf '%s' 'https://…' > $dir/operations_alert_url; docs/operations.md section 1, step 3)"
fi
