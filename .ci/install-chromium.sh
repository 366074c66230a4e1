#!/usr/bin/env bash
# What tests/test_cards_browser.py needs from the system: Debian's Chromium (driven by the
# Python playwright package from the test extra, never `playwright install`), a font for the
# screenshots, and Microsoft's Adaptive Cards renderer from npm (tests/cards/package-lock.json).
# Runs as root on a fresh Debian machine; idempotent, and quick once done.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
dpkg-query -W -f='${Status}' fonts-dejavu-core 2>/dev/null | grep -q 'ok installed' \
  || need+=(fonts-dejavu-core)
command -v npm >/dev/null || need+=(npm)  # for `npm ci` below
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# `npm ci` starts from scratch each time; skip it while node_modules matches the lock file.
cards=tests/cards
stamp="$cards/node_modules/.trunkbot-lock.sha256"
want=$(sha256sum "$cards/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  (cd "$cards" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
fi
echo "chromium: $(/usr/bin/chromium --version 2>/dev/null | head -n1 || echo '?');" \
  "adaptivecards $(node -p 'require("./tests/cards/node_modules/adaptivecards/package.json").version')"
