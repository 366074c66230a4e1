#!/usr/bin/env bash
# What tests/test_deploy.py needs to check deploy/Caddyfile.replicas with Caddy itself
# (`caddy adapt`, which only parses): Debian's caddy package. Nothing is started (the
# package's systemd unit does not run in a container without systemd).
# Runs as root on a fresh Debian machine; idempotent, and quick once done.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

if ! command -v caddy >/dev/null; then
  echo "installing caddy"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends caddy
fi
echo "caddy: $(caddy version 2>/dev/null | head -n1 || echo '?')"
