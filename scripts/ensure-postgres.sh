#!/usr/bin/env bash
# Make sure a local PostgreSQL answers on 127.0.0.1:5432 with a `gridflow` role that may create databases.
# Installs Debian's postgresql when absent; needs root (as on CI and the dev machines) or an already running server.
set -euo pipefail
PGUSER_NAME=${GRIDFLOW_PG_USER:-gridflow}
PGPASS=${GRIDFLOW_PG_PASSWORD:-gridflow}

if PGPASSWORD=$PGPASS psql -h 127.0.0.1 -U "$PGUSER_NAME" -d postgres -tAc 'select 1' >/dev/null 2>&1; then
  echo "postgres: already running with role $PGUSER_NAME"; exit 0
fi
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "postgres: installing Debian package postgresql"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
cluster=$(pg_lsclusters -h | awk 'NR==1 {print $1" "$2}')
if [ -z "$cluster" ]; then pg_createcluster 15 main; cluster="15 main"; fi
# shellcheck disable=SC2086
pg_ctlcluster $cluster start 2>/dev/null || true
for _ in $(seq 1 30); do
  su postgres -c "psql -tAc 'select 1'" >/dev/null 2>&1 && break; sleep 0.5
done
su postgres -c "psql -v ON_ERROR_STOP=1 -q" <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PGUSER_NAME') THEN
    CREATE ROLE $PGUSER_NAME LOGIN CREATEDB PASSWORD '$PGPASS';
  ELSE
    ALTER ROLE $PGUSER_NAME LOGIN CREATEDB PASSWORD '$PGPASS';
  END IF;
END \$\$;
SQL
su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='$PGUSER_NAME'\"" | grep -q 1 \
  || su postgres -c "createdb -O $PGUSER_NAME $PGUSER_NAME"
PGPASSWORD=$PGPASS psql -h 127.0.0.1 -U "$PGUSER_NAME" -d postgres -tAc 'select 1' >/dev/null
echo "postgres: running, role $PGUSER_NAME ready"
