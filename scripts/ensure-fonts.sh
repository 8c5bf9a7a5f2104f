#!/usr/bin/env bash
# A CJK font (Debian's fonts-wqy-microhei) so Chinese renders in plots, previews and browser screenshots.
set -euo pipefail
if fc-list 2>/dev/null | grep -qi "wqy\|WenQuanYi"; then
  echo "fonts: $(fc-list | grep -i -m1 'wqy' | cut -d: -f2)"; exit 0
fi
echo "fonts: installing Debian package fonts-wqy-microhei"
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei fontconfig >/dev/null
fc-cache -f >/dev/null 2>&1 || true
fc-list | grep -i -m1 "wqy"
