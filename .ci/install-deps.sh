#!/usr/bin/env bash
# Installs what crossdial's build and interop tests need, and only what is missing.
# Idempotent; meant to run as root on a Debian machine (CI runs it with CI=true).
#   - iproute2 (ip, for the network-namespace lab), nftables + conntrack (nft and conntrack, for the lab's
#     NAT topology), nodejs + npm (js-libp2p test peer), maven, redis-server (the test-plans matrix starts
#     its own redis-server processes on free loopback ports; no system service is used)
#   - the js test peer's npm packages, exactly as pinned in interop-tests/js/package-lock.json
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { echo "install-deps: $*"; }

have() { command -v "$1" >/dev/null 2>&1; }
# ip, nft and conntrack live in /usr/sbin, which a non-login root shell may not have in PATH
have_sbin() { have "$1" || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }

missing=()
have_sbin ip || missing+=(iproute2)
have_sbin nft || missing+=(nftables)
have_sbin conntrack || missing+=(conntrack)
have node || missing+=(nodejs)
have npm || missing+=(npm)
have mvn || missing+=(maven)
have redis-server || [ -x /usr/bin/redis-server ] || missing+=(redis-server)

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
  log "iproute2, nftables, conntrack, node, npm, maven and redis-server already present"
fi

node_major="$(node -p 'process.versions.node.split(".")[0]')"
log "node $(node --version), npm $(npm --version 2>/dev/null), $(mvn -B -v 2>/dev/null | sed "s/\x1b\[[0-9;]*m//g" | head -n 1)"
if [ "$node_major" -lt 20 ]; then
  log "WARNING: node $node_major is older than 20; the js-libp2p test peer needs node >= 20" >&2
fi

log "npm ci in interop-tests/js"
(cd "$root/interop-tests/js" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
log "done"
