#!/usr/bin/env bash
# Node, TypeScript and Grafana's dashboard types (@grafana/schema), pinned, for the offline check that every
# exported dashboard satisfies the `Dashboard` type (tests/integration/test_grafana_schema.py). Installed into
# build/grafana-schema (git-ignored); nothing is fetched when the pinned versions are already there.
set -euo pipefail
DIR="${GRIDFLOW_GRAFANA_SCHEMA_DIR:-build/grafana-schema}"
SCHEMA=13.2.3
TYPESCRIPT=5.9.3
installed() { node -p "require('./$DIR/node_modules/$1/package.json').version" 2>/dev/null || true; }
if ! command -v npm >/dev/null 2>&1; then
  echo "grafana schema: installing Debian packages nodejs npm"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
if [ "$(installed @grafana/schema)" = "$SCHEMA" ] && [ "$(installed typescript)" = "$TYPESCRIPT" ]; then
  echo "grafana schema: @grafana/schema $SCHEMA, typescript $TYPESCRIPT in $DIR"; exit 0
fi
echo "grafana schema: npm install @grafana/schema@$SCHEMA typescript@$TYPESCRIPT into $DIR"
mkdir -p "$DIR"
[ -f "$DIR/package.json" ] || echo '{"private": true}' > "$DIR/package.json"
(cd "$DIR" && npm install --no-audit --no-fund --save-exact --loglevel=error \
  "@grafana/schema@$SCHEMA" "typescript@$TYPESCRIPT")
