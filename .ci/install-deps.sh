#!/usr/bin/env bash
# Installs what crossdial's build and interop tests need, and only what is missing.
# Idempotent; meant to run as root on a Debian machine (CI runs it with CI=true).
#   - iproute2 (ip, for the network-namespace lab), nodejs + npm (js-libp2p test peer), maven
#   - the js test peer's npm packages, exactly as pinned in interop-tests/js/package-lock.json
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { echo "install-deps: $*"; }

have() { command -v "$1" >/dev/null 2>&1; }
have_ip() { have ip || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ]; }

missing=()
have_ip || missing+=(iproute2)
have node || missing+=(nodejs)
have npm || missing+=(npm)
have mvn || missing+=(maven)

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "missing ${missing[*]} and not root: install them by hand" >&2
    exit 1
  fi
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "iproute2, node, npm and maven already present"
fi

node_major="$(node -p 'process.versions.node.split(".")[0]')"
log "node $(node --version), npm $(npm --version 2>/dev/null), $(mvn -B -v 2>/dev/null | sed "s/\x1b\[[0-9;]*m//g" | head -n 1)"
if [ "$node_major" -lt 20 ]; then
  log "WARNING: node $node_major is older than 20; the js-libp2p test peer needs node >= 20" >&2
fi

log "npm ci in interop-tests/js"
(cd "$root/interop-tests/js" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
log "done"
