#!/usr/bin/env sh
# The README quickstart (`npm run demo`): creates the monolith example stack once, then boots it with
# `stack up` (which renders, builds the gateway and app images, starts everything and waits until healthy).
#   DEMO_DIR (default demo), DEMO_NAME (default: the folder name),
#   DEMO_HTTP_PORT / DEMO_HTTPS_PORT (default 8080 / 8443): where Caddy listens on this machine.
set -eu
cd "$(dirname "$0")/.."
dir=${DEMO_DIR:-demo}
if ! command -v docker >/dev/null 2>&1 && [ ! -S /var/run/docker.sock ] && [ -z "${DOCKER_HOST:-}" ]; then
  echo "demo: no Docker engine here. Install one (Debian/Ubuntu: sudo apt-get install docker.io; others:" >&2
  echo "      https://docs.docker.com/engine/install/), start it (sudo systemctl start docker), then run npm run demo again." >&2
  exit 1
fi
if [ ! -f "$dir/stack.yaml" ]; then
  node bin/run.js init "$dir" --template monolith --yes \
    --http-port "${DEMO_HTTP_PORT:-8080}" --https-port "${DEMO_HTTPS_PORT:-8443}" ${DEMO_NAME:+--name "$DEMO_NAME"}
fi
exec node bin/run.js up --dir "$dir"
