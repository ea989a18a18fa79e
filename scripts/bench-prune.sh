#!/usr/bin/env bash
# Prune budget (SPEC 11): pruning N stopped sandboxes with boxdeck must take at most 1.5x the
# engine's own label-filtered prune (`docker container prune --filter label=...`).
#
# Each round makes N stopped (exited) sandboxes labelled with this bench run's label, times the
# engine's prune over that label, makes N more, and times `boxdeck prune --yes --label` over the
# same label (the hidden narrowing filter, so other containers on a shared engine are never
# touched). Rounds alternate which tool goes first. Prints each time, the medians and the ratio.
#
# Usage: scripts/bench-prune.sh [--host URL] [--count N] [--rounds R]
#   default: the Docker socket, N=100, R=3. For Podman: --host unix:///run/boxdeck-test/podman.sock
#   (its Docker-compatible API serves both `docker -H` and boxdeck). Needs the docker CLI.
# Only containers carrying this run's label are created and removed.
set -euo pipefail
cd "$(dirname "$0")/.."

HOST=unix:///var/run/docker.sock
COUNT=100
ROUNDS=3
IMAGE=${BOXDECK_BENCH_IMAGE:-boxdeck-test:latest}
while [ $# -gt 0 ]; do
  case "$1" in
    --host) HOST=$2; shift 2 ;;
    --count) COUNT=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "bench-prune.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

command -v docker >/dev/null || { echo "bench-prune.sh: needs the docker CLI" >&2; exit 1; }
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet
BOXDECK=$CARGO_TARGET_DIR/release/boxdeck
D=(docker -H "$HOST")
RUN=bench-$$-$RANDOM
LABEL=boxdeck.bench-run=$RUN

cleanup() {
  ids=$("${D[@]}" ps -aq --filter "label=$LABEL" 2>/dev/null || true)
  [ -n "$ids" ] && "${D[@]}" rm -f $ids >/dev/null 2>&1 || true
}
trap cleanup EXIT

# N exited sandboxes with pocketdock's labels and this run's label.
make_sandboxes() {
  local round=$1 ids=() now
  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  for i in $(seq 1 "$COUNT"); do
    local name="$RUN-$round-$i"
    ids+=("$("${D[@]}" create --network none --label "$LABEL" \
      --label pocketdock.managed=true --label "pocketdock.instance=$name" \
      --label pocketdock.persist=false --label "pocketdock.created-at=$now" \
      --label boxdeck.profile=default --name "$name" "$IMAGE" sleep infinity)")
  done
  "${D[@]}" start "${ids[@]}" >/dev/null
  "${D[@]}" stop -t 0 "${ids[@]}" >/dev/null
  local n
  n=$("${D[@]}" ps -aq --filter "label=$LABEL" --filter status=exited | wc -l)
  [ "$n" -eq "$COUNT" ] || { echo "bench-prune.sh: expected $COUNT exited, found $n" >&2; exit 1; }
}

left() { "${D[@]}" ps -aq --filter "label=$LABEL" | wc -l; }

now_ms() { date +%s%3N; }

time_engine() {
  local t0 t1
  t0=$(now_ms)
  "${D[@]}" container prune --force --filter "label=$LABEL" >/dev/null
  t1=$(now_ms)
  [ "$(left)" -eq 0 ] || { echo "bench-prune.sh: engine prune left containers" >&2; exit 1; }
  echo $((t1 - t0))
}

time_boxdeck() {
  local t0 t1
  t0=$(now_ms)
  env -u DOCKER_HOST "$BOXDECK" --host "$HOST" prune --yes --label "$LABEL" >/dev/null
  t1=$(now_ms)
  [ "$(left)" -eq 0 ] || { echo "bench-prune.sh: boxdeck prune left containers" >&2; exit 1; }
  echo $((t1 - t0))
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

engine_times=()
boxdeck_times=()
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) -eq 1 ]; then order="engine boxdeck"; else order="boxdeck engine"; fi
  for who in $order; do
    make_sandboxes "$r$who"
    if [ "$who" = engine ]; then
      t=$(time_engine); engine_times+=("$t")
    else
      t=$(time_boxdeck); boxdeck_times+=("$t")
    fi
    echo "round $r: $who prune of $COUNT: ${t} ms"
  done
done

e=$(printf '%s\n' "${engine_times[@]}" | median)
b=$(printf '%s\n' "${boxdeck_times[@]}" | median)
ratio=$(awk -v b="$b" -v e="$e" 'BEGIN {printf "%.2f", b / e}')
echo "engine ($HOST) label-filtered prune of $COUNT: median ${e} ms"
echo "boxdeck prune of $COUNT:                      median ${b} ms"
echo "ratio boxdeck/engine: $ratio (budget 1.5)"
awk -v r="$ratio" 'BEGIN {exit !(r <= 1.5)}' || { echo "OVER BUDGET" >&2; exit 1; }
