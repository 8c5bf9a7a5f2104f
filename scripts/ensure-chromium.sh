#!/usr/bin/env bash
# Headless Chromium and its WebDriver (Debian's packages) for the grid-worker page's browser test.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  echo "chromium: $(chromium --version 2>/dev/null | head -1)"; exit 0
fi
echo "chromium: installing Debian packages chromium chromium-driver"
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
chromium --version
