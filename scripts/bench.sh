#!/usr/bin/env bash
# Benchmarks for the SPEC 11 budgets, against the real engine, beside the engine's own tools.
# Prints one table: budget, boxdeck's figure, the budget, a peer's figure and the ratio.
#
#   scripts/bench.sh              every benchmark
#   scripts/bench.sh ls           only the ones named (ls ...)
#
# Each benchmark creates only containers labelled boxdeck.bench=<run id> and removes them after.
# Figures are medians of several runs; CPU and memory are read from /proc.
set -euo pipefail
cd "$(dirname "$0")/.."

ENGINE_URL=${BOXDECK_BENCH_HOST:-unix:///var/run/docker.sock}
export DOCKER_HOST=$ENGINE_URL
RUN_ID=bench-$$-$RANDOM
LABEL="boxdeck.bench=$RUN_ID"
IMAGE=${BOXDECK_TEST_IMAGE:-boxdeck-test:latest}
RUNS=${BOXDECK_BENCH_RUNS:-9}
BIN=target/release/boxdeck
ROWS=()

say() { echo "bench: $*" >&2; }

cleanup() {
  local ids
  ids=$(docker ps -aq --filter "label=$LABEL" 2>/dev/null || true)
  [ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1 || true
}
trap cleanup EXIT

# median of numbers on stdin
median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# wall time of a command in milliseconds
time_ms() {
  local t0 t1
  t0=$(date +%s%N)
  "$@" >/dev/null 2>&1
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}

# row NAME FIGURE BUDGET VERDICT PEER PEER_FIGURE RATIO
row() { ROWS+=("$(printf '%s\t%s\t%s\t%s\t%s\t%s\t%s' "$@")"); }

verdict_le() { awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b) ? "met" : "MISSED" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }

make_containers() {
  # make_containers N [managed]: N created (not started) containers with our label
  local n=$1 managed=${2:-yes} i extra=()
  [ "$managed" = yes ] && extra=(--label pocketdock.managed=true --label pocketdock.persist=false)
  say "creating $n containers"
  for i in $(seq 1 "$n"); do
    echo "$i"
  done | xargs -P 8 -I{} docker create --label "$LABEL" "${extra[@]}" \
      --label "pocketdock.instance=$RUN_ID-{}" --name "$RUN_ID-{}" "$IMAGE" sleep infinity >/dev/null
}

bench_ls() {
  make_containers 500
  local total
  total=$(docker ps -aq | wc -l)
  say "ls --json with $total containers on the engine ($RUNS runs)"
  local ours peer
  ours=$(for _ in $(seq "$RUNS"); do time_ms "$BIN" --host "$ENGINE_URL" ls --json; done | median)
  peer=$(for _ in $(seq "$RUNS"); do time_ms docker ps -a --no-trunc --format '{{json .}}' --filter label=pocketdock.managed=true; done | median)
  row "ls --json, $total containers (ms)" "$ours" "300" "$(verdict_le "$ours" 300)" "docker ps -a" "$peer" "$(ratio "$ours" "$peer")"
  cleanup
}

main() {
  command -v docker >/dev/null || { say "the docker CLI is needed"; exit 1; }
  docker info >/dev/null 2>&1 || { say "no engine at $ENGINE_URL (run scripts/engines.sh)"; exit 1; }
  say "building release binary"
  cargo build --release --quiet
  local wanted=("$@")
  [ ${#wanted[@]} -eq 0 ] && wanted=(ls)
  for b in "${wanted[@]}"; do
    "bench_$b"
  done
  printf '\n| budget | boxdeck | budget | verdict | peer | peer figure | ratio |\n|---|---|---|---|---|---|---|\n'
  local r
  for r in "${ROWS[@]}"; do
    printf '| %s |\n' "$(echo "$r" | sed 's/\t/ | /g')"
  done
}

main "$@"
