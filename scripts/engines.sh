#!/usr/bin/env bash
# Make sure a Docker engine and a Podman API service answer on this machine, that the offline
# test image exists on both, and that a local registry on 127.0.0.1:5000 serves an image to
# pull (no outside registry can be reached here). Safe to run again: it only starts what is not
# answering.
#
#   scripts/engines.sh            ensure engines + test image
#   BOXDECK_PODMAN_SOCK=...       where Podman's Docker-compatible API listens
#                                 (default /run/boxdeck-test/podman.sock)
#
# Installs docker.io, podman, catatonit, busybox-static, bash-static and docker-registry from
# Debian's packages when they are missing and we run as root. Prints what it does on stderr; exits non-zero when an engine
# could not be brought up.
set -euo pipefail

DOCKER_SOCK=/var/run/docker.sock
PODMAN_SOCK=${BOXDECK_PODMAN_SOCK:-/run/boxdeck-test/podman.sock}
TEST_IMAGE=${BOXDECK_TEST_IMAGE:-boxdeck-test:latest}
LOGDIR=${BOXDECK_ENGINE_LOGDIR:-/tmp/boxdeck-engines}
# The local registry and the image the pull tests fetch from it (SPEC 3.4): its one layer is
# not in the test image, so a pull really downloads it (with progress).
REGISTRY=localhost:5000
PULL_IMAGE=$REGISTRY/boxdeck-pull:latest
PODMAN_REGISTRY_CONF=/etc/containers/registries.conf.d/50-boxdeck-test.conf
mkdir -p "$LOGDIR"

say() { echo "engines: $*" >&2; }

is_root() { [ "$(id -u)" = 0 ]; }

sock_answers() {
  # A socket answers when its /_ping says OK.
  local sock=$1
  [ -S "$sock" ] || return 1
  curl -fsS --max-time 3 --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1
}

wait_sock() {
  local sock=$1 what=$2 i
  for i in $(seq 1 120); do
    sock_answers "$sock" && return 0
    sleep 0.5
  done
  say "$what did not answer on $sock within 60 s (see $LOGDIR)"
  return 1
}

install_packages() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v podman >/dev/null || missing+=(podman)
  # Podman needs catatonit for --init (init as PID 1 is a boxdeck secure default).
  [ -x /usr/libexec/podman/catatonit ] || [ -x /usr/bin/catatonit ] || missing+=(catatonit)
  [ -x /bin/busybox ] || missing+=(busybox-static)
  [ -x /bin/bash-static ] || missing+=(bash-static)
  command -v curl >/dev/null || missing+=(curl)
  command -v docker-registry >/dev/null || missing+=(docker-registry)
  ((${#missing[@]})) || return 0
  if ! is_root || ! command -v apt-get >/dev/null; then
    say "missing ${missing[*]} and cannot install them (need root on Debian)"
    return 1
  fi
  say "installing ${missing[*]} from Debian's packages"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$LOGDIR/apt.log" 2>&1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >>"$LOGDIR/apt.log" 2>&1
}

start_docker() {
  sock_answers "$DOCKER_SOCK" && return 0
  command -v dockerd >/dev/null || { say "dockerd not installed"; return 1; }
  say "starting dockerd"
  # setsid: keep the daemon alive after the calling shell ends.
  setsid nohup dockerd >"$LOGDIR/dockerd.log" 2>&1 </dev/null &
  wait_sock "$DOCKER_SOCK" dockerd
}

start_podman() {
  sock_answers "$PODMAN_SOCK" && return 0
  command -v podman >/dev/null || { say "podman not installed"; return 1; }
  mkdir -p /etc/containers "$(dirname "$PODMAN_SOCK")"
  if ! grep -q '^default_ulimits' /etc/containers/containers.conf 2>/dev/null; then
    # Podman cannot apply its default ulimits in this sandbox; start with none.
    if [ -f /etc/containers/containers.conf ] && grep -q '^\[containers\]' /etc/containers/containers.conf; then
      sed -i 's/^\[containers\]/[containers]\ndefault_ulimits = []/' /etc/containers/containers.conf
    else
      printf '[containers]\ndefault_ulimits = []\n' >>/etc/containers/containers.conf
    fi
  fi
  rm -f "$PODMAN_SOCK"
  say "starting podman system service on $PODMAN_SOCK"
  setsid nohup podman system service --time=0 "unix://$PODMAN_SOCK" >"$LOGDIR/podman.log" 2>&1 </dev/null &
  wait_sock "$PODMAN_SOCK" "podman system service"
}

# Podman pulls from the local registry over plain HTTP only when told so. A running service
# reads this at start, so it is restarted when the file is new.
podman_registry_conf() {
  [ -f "$PODMAN_REGISTRY_CONF" ] && return 0
  mkdir -p "$(dirname "$PODMAN_REGISTRY_CONF")"
  printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$REGISTRY" >"$PODMAN_REGISTRY_CONF"
  if sock_answers "$PODMAN_SOCK"; then
    say "restarting the podman service to read $PODMAN_REGISTRY_CONF"
    pkill -f "podman system service --time=0 unix://$PODMAN_SOCK" || true
    sleep 1
  fi
}

registry_answers() { curl -fsS --max-time 3 "http://$REGISTRY/v2/" >/dev/null 2>&1; }

start_registry() {
  registry_answers && return 0
  command -v docker-registry >/dev/null || { say "docker-registry not installed"; return 1; }
  mkdir -p "$LOGDIR/registry"
  cat >"$LOGDIR/registry.yml" <<YML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $LOGDIR/registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:5000
YML
  say "starting a local registry on $REGISTRY"
  setsid nohup docker-registry serve "$LOGDIR/registry.yml" >"$LOGDIR/registry.log" 2>&1 </dev/null &
  local i
  for i in $(seq 1 60); do
    registry_answers && return 0
    sleep 0.5
  done
  say "the registry did not answer on $REGISTRY within 30 s (see $LOGDIR/registry.log)"
  return 1
}

# The pull image: the test rootfs plus 16 MB of random bytes, pushed to the local registry and
# then untagged locally, so only the registry has it.
ensure_pull_image() {
  curl -fsS --max-time 5 -o /dev/null 2>/dev/null \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$REGISTRY/v2/boxdeck-pull/manifests/latest" && return 0
  local host=unix://$DOCKER_SOCK dir=$LOGDIR/pull-rootfs tar=$LOGDIR/pull-rootfs.tar
  say "pushing $PULL_IMAGE to the local registry"
  build_rootfs "$dir"
  head -c 16777216 /dev/urandom >"$dir/payload"
  tar -C "$dir" -cf "$tar" .
  DOCKER_HOST=$host docker import --change 'ENV PATH=/bin' --change 'CMD ["/bin/sh"]' "$tar" "$PULL_IMAGE" >/dev/null
  DOCKER_HOST=$host docker push "$PULL_IMAGE" >"$LOGDIR/push.log" 2>&1
  DOCKER_HOST=$host docker rmi "$PULL_IMAGE" >/dev/null
  rm -rf "$dir" "$tar"
}

build_rootfs() {
  local dir=$1
  rm -rf "$dir"
  mkdir -p "$dir"/{bin,tmp,etc,root,proc,sys,dev}
  chmod 1777 "$dir/tmp"
  cp /bin/busybox "$dir/bin/busybox"
  cp /bin/bash-static "$dir/bin/bash"
  local applet
  for applet in $("$dir/bin/busybox" --list); do
    [ -e "$dir/bin/$applet" ] || ln -s busybox "$dir/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$dir/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
}

ensure_image() {
  local host=$1 name=$2 tar=$LOGDIR/rootfs.tar
  if DOCKER_HOST=$host docker image inspect "$TEST_IMAGE" >/dev/null 2>&1; then return 0; fi
  if [ ! -s "$tar" ]; then
    say "building the offline test rootfs (busybox + bash)"
    build_rootfs "$LOGDIR/rootfs"
    tar -C "$LOGDIR/rootfs" -cf "$tar" .
  fi
  say "importing $TEST_IMAGE into $name"
  DOCKER_HOST=$host docker import --change 'ENV PATH=/bin' --change 'CMD ["/bin/sh"]' "$tar" "$TEST_IMAGE" >/dev/null
}

main() {
  install_packages
  local ok=0
  start_docker || ok=1
  if command -v podman >/dev/null; then podman_registry_conf; fi
  start_podman || ok=1
  if sock_answers "$DOCKER_SOCK"; then ensure_image "unix://$DOCKER_SOCK" docker || ok=1; fi
  if sock_answers "$PODMAN_SOCK"; then ensure_image "unix://$PODMAN_SOCK" podman || ok=1; fi
  if start_registry && sock_answers "$DOCKER_SOCK"; then ensure_pull_image || ok=1; else ok=1; fi
  return $ok
}

main "$@"
