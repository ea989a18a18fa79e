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

# Bench containers sort first in every tool's list: names start with 0bench.
PREFIX=0bench-$$
PEERS=${BOXDECK_BENCH_PEERS:-/opt/peers/bin}
PTYTIME="python3 scripts/bench/ptytime.py"

make_containers() {
  # make_containers N [created|running]: N sandboxes with our label
  local n=$1 how=${2:-created} verb=(create)
  [ "$how" = running ] && verb=(run -d)
  say "making $n $how containers"
  seq 1 "$n" | xargs -P 8 -I{} docker "${verb[@]}" \
    --label "$LABEL" --label pocketdock.managed=true --label pocketdock.persist=false \
    --label "pocketdock.instance=$PREFIX-{}" --name "$PREFIX-{}" "$IMAGE" sleep infinity >/dev/null
}

# CPU seconds (user+sys) a process has used, from /proc/PID/stat.
cpu_secs() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
rss_mb() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
dockerd_pid() { pgrep -xo dockerd; }

# Run a TUI in a detached tmux pane; prints the pid of the program.
tui_start() {
  local sess=$1; shift
  tmux kill-session -t "$sess" 2>/dev/null || true
  tmux new-session -d -s "$sess" -x 140 -y 40 "$*"
  sleep 0.5
  tmux display -p -t "$sess" '#{pane_pid}'
}
tui_stop() { tmux kill-session -t "$1" 2>/dev/null || true; }

# cpu_share PID SECONDS: percent of one core used by PID over SECONDS
cpu_share() {
  local pid=$1 secs=$2 a b
  a=$(cpu_secs "$pid"); sleep "$secs"; b=$(cpu_secs "$pid")
  awk -v a="$a" -v b="$b" -v s="$secs" 'BEGIN { printf "%.2f", (b - a) * 100 / s }'
}

# cpu_pair PID SECONDS: "tool% dockerd%" over the same window
cpu_pair() {
  local pid=$1 secs=$2 d a b da db
  d=$(dockerd_pid)
  a=$(cpu_secs "$pid"); da=$(cpu_secs "$d"); sleep "$secs"; b=$(cpu_secs "$pid"); db=$(cpu_secs "$d")
  awk -v a="$a" -v b="$b" -v da="$da" -v db="$db" -v s="$secs" 'BEGIN { printf "%.2f %.2f", (b - a) * 100 / s, (db - da) * 100 / s }'
}

bench_ls() {
  make_containers 500 created
  local total
  total=$(docker ps -aq | wc -l)
  say "ls --json with $total containers on the engine ($RUNS runs)"
  local ours peer
  ours=$(for _ in $(seq "$RUNS"); do time_ms "$BIN" --host "$ENGINE_URL" ls --json; done | median)
  peer=$(for _ in $(seq "$RUNS"); do time_ms docker ps -a --no-trunc --format '{{json .}}' --filter label=pocketdock.managed=true; done | median)
  row "ls --json, $total containers (ms)" "$ours" "300" "$(verdict_le "$ours" 300)" "docker ps -a" "$peer" "$(ratio "$ours" "$peer")"
  cleanup
}

bench_startup() {
  make_containers 500 created
  local total marker="$PREFIX-1"
  total=$(docker ps -aq | wc -l)
  say "first full frame with $total containers ($RUNS runs each)"
  local ours lzd oxk
  ours=$(for _ in $(seq "$RUNS"); do $PTYTIME "$marker" -- "$BIN" --host "$ENGINE_URL"; done | median)
  lzd=$(for _ in $(seq "$RUNS"); do $PTYTIME "$marker" -- lazydocker; done | median)
  row "first frame, $total containers (ms)" "$ours" "300" "$(verdict_le "$ours" 300)" "lazydocker" "$lzd" "$(ratio "$ours" "$lzd")"
  if [ -x "$PEERS/oxker" ]; then
    oxk=$(for _ in $(seq "$RUNS"); do $PTYTIME "$marker" -- "$PEERS/oxker"; done | median)
    row "first frame, $total containers (ms)" "$ours" "300" "$(verdict_le "$ours" 300)" "oxker" "$oxk" "$(ratio "$ours" "$oxk")"
  fi
  cleanup
}

# 50 running sandboxes, 10 printing 10 lines/s, the logs of one printing sandbox on screen.
IDLE_SECS=${BOXDECK_BENCH_IDLE_SECS:-30}
bench_idle() {
  make_containers 40 running
  say "making 10 sandboxes that print 10 lines/s"
  seq 41 50 | xargs -P 8 -I{} docker run -d --label "$LABEL" --label pocketdock.managed=true \
    --label pocketdock.persist=false --label "pocketdock.instance=$PREFIX-{}" --name "$PREFIX-{}" \
    "$IMAGE" sh -c 'i=0; while true; do i=$((i+1)); echo "line $i"; usleep 100000; done' >/dev/null
  sleep 3
  local base
  base=$(cpu_share "$(dockerd_pid)" "$IDLE_SECS")
  say "dockerd alone: $base % of a core"
  local tool pid pair cpu eng rss
  for tool in boxdeck lazydocker oxker; do
    case $tool in
      boxdeck) pid=$(tui_start bx-idle "$BIN --host $ENGINE_URL")
        sleep 2; tmux send-keys -t bx-idle / ; tmux send-keys -t bx-idle -l "$PREFIX-45"; tmux send-keys -t bx-idle Enter ;;
      lazydocker) pid=$(tui_start bx-idle lazydocker) ;;
      oxker) [ -x "$PEERS/oxker" ] || continue; pid=$(tui_start bx-idle "$PEERS/oxker") ;;
    esac
    sleep 5
    pair=$(cpu_pair "$pid" "$IDLE_SECS")
    cpu=${pair% *}
    eng=$(awk -v d="${pair#* }" -v b="$base" 'BEGIN { printf "%.2f", d - b }')
    rss=$(rss_mb "$pid")
    tui_stop bx-idle
    say "$tool: $cpu % cpu, $rss MB, dockerd +$eng %"
    if [ "$tool" = boxdeck ]; then
      B_CPU=$cpu B_RSS=$rss B_ENG=$eng
      row "idle CPU, 50 sandboxes (% of a core)" "$cpu" "0.3" "$(verdict_le "$cpu" 0.3)" "-" "-" "-"
      row "idle RSS (MB)" "$rss" "30" "$(verdict_le "$rss" 30)" "-" "-" "-"
      row "idle: CPU added to dockerd (%)" "$eng" "2" "$(verdict_le "$eng" 2)" "-" "-" "-"
    else
      row "idle CPU, 50 sandboxes (% of a core)" "$B_CPU" "0.3" "$(verdict_le "$B_CPU" 0.3)" "$tool" "$cpu" "$(ratio "$B_CPU" "$cpu")"
      row "idle RSS (MB)" "$B_RSS" "30" "$(verdict_le "$B_RSS" 30)" "$tool" "$rss" "$(ratio "$B_RSS" "$rss")"
      row "idle: CPU added to dockerd (%)" "$B_ENG" "2" "$(verdict_le "$B_ENG" 2)" "$tool" "$eng" "$(ratio "$B_ENG" "$eng")"
    fi
  done
  cleanup
}

# A 1,000,000-line log opens at its tail; following 50,000 lines/s keeps up with bounded memory.
bench_logs() {
  local big=zz$PREFIX-big  # sorts last: the filter must select it
  # A decoy that sorts first, so the big log is not already on screen when the timing starts.
  docker run -d --label "$LABEL" --label pocketdock.managed=true --label "pocketdock.instance=$PREFIX-0first" \
    --name "$PREFIX-0first" "$IMAGE" sleep infinity >/dev/null
  say "making a sandbox with a 1,000,000-line log"
  docker run -d --label "$LABEL" --label pocketdock.managed=true --label pocketdock.persist=false \
    --label "pocketdock.instance=$big" --name "$big" "$IMAGE" \
    sh -c 'seq 1 1000000; echo END-OF-BIG; sleep infinity' >/dev/null
  for _ in $(seq 120); do docker logs --tail 1 "$big" 2>/dev/null | grep -q END-OF-BIG && break; sleep 0.5; done
  local ours tail1k whole
  ours=$(for _ in $(seq "$RUNS"); do
    $PTYTIME --after '? help' --settle 0.3 --keys "/$big\r" END-OF-BIG -- "$BIN" --host "$ENGINE_URL"; done | median)
  tail1k=$(for _ in $(seq "$RUNS"); do time_ms docker logs --tail 1000 "$big"; done | median)
  whole=$(time_ms docker logs "$big")
  row "1M-line log: tail shown (ms)" "$ours" "200" "$(verdict_le "$ours" 200)" "docker logs --tail 1000" "$tail1k" "$(ratio "$ours" "$tail1k")"
  row "1M-line log: tail shown (ms)" "$ours" "200" "$(verdict_le "$ours" 200)" "docker logs (whole)" "$whole" "$(ratio "$ours" "$whole")"
  if [ -x "$PEERS/oxker" ]; then
    local pid rss
    pid=$(tui_start bx-oxk "$PEERS/oxker")
    sleep 15
    rss=$(rss_mb "$pid"); tui_stop bx-oxk
    row "RSS with a 1M-line log present (MB)" "-" "64" "-" "oxker" "$rss" "-"
  fi

  local flood=$PREFIX-flood
  say "following a 50,000 lines/s flood for 20 s"
  docker run -d --label "$LABEL" --label pocketdock.managed=true --label pocketdock.persist=false \
    --label "pocketdock.instance=$flood" --name "$flood" "$IMAGE" \
    sh -c 'sleep 6; i=0; while [ $i -lt 20 ]; do seq 1 50000; i=$((i+1)); usleep 900000; done; echo FLOOD-DONE; sleep infinity' >/dev/null
  local pid maxrss=0 r cpu0 cpu1 t0 caught=no lag=-
  pid=$(tui_start bx-flood "$BIN --host $ENGINE_URL")
  sleep 1.5; tmux send-keys -t bx-flood / ; tmux send-keys -t bx-flood -l "$flood"; tmux send-keys -t bx-flood Enter
  cpu0=$(cpu_secs "$pid"); t0=$(date +%s)
  for _ in $(seq 1 60); do
    r=$(rss_mb "$pid"); maxrss=$(awk -v a="$r" -v b="$maxrss" 'BEGIN {print (a > b) ? a : b}')
    if docker logs --tail 1 "$flood" 2>/dev/null | grep -q FLOOD-DONE; then break; fi
    sleep 0.5
  done
  local done_at; done_at=$(date +%s%N)
  for _ in $(seq 1 100); do
    if tmux capture-pane -p -t bx-flood | grep -q FLOOD-DONE; then caught=yes; lag=$((($(date +%s%N) - done_at) / 1000000)); break; fi
    sleep 0.05
  done
  cpu1=$(cpu_secs "$pid")
  tui_stop bx-flood
  local secs=$(( $(date +%s) - t0 ))
  row "follow 50k lines/s: max RSS (MB)" "$maxrss" "64" "$(verdict_le "$maxrss" 64)" "-" "-" "-"
  row "follow 50k lines/s: lag after the flood (ms)" "$lag" "keeps up" "$( [ $caught = yes ] && echo met || echo MISSED)" "-" "-" "-"
  row "follow 50k lines/s: CPU (% of a core)" "$(awk -v a="$cpu0" -v b="$cpu1" -v s="$secs" 'BEGIN {printf "%.1f", (b-a)*100/s}')" "-" "-" "-" "-" "-"
  cleanup
}

# 64 MiB through a session pane vs the same exec in tmux; keystroke to echo vs the engine's own.
bench_session() {
  cargo build --release --quiet --example session_bench
  local c=$PREFIX-tmux
  docker run -d --label "$LABEL" --name "$c" "$IMAGE" sleep infinity >/dev/null
  local tm=() ours=() sess_us=() eng_us=() out i
  for i in 1 2 3; do
    out=$(target/release/examples/session_bench "$ENGINE_URL" "$IMAGE")
    say "session run $i: $out"
    ours+=("$(echo "$out" | sed -n 's/.*throughput_ms=\([0-9]*\).*/\1/p')")
    sess_us+=("$(echo "$out" | sed -n 's/.*echo_session_us=\([0-9]*\).*/\1/p')")
    eng_us+=("$(echo "$out" | sed -n 's/.*echo_engine_us=\([0-9]*\).*/\1/p')")
    tmux kill-session -t bx-tmux 2>/dev/null || true
    tmux new-session -d -s bx-tmux -x 120 -y 40 "docker exec -it $c /bin/sh"
    sleep 1
    local t0 t1
    t0=$(date +%s%N)
    tmux send-keys -t bx-tmux -l 'yes abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ | head -c 67108864; echo DONE$((40+2))MARK'
    tmux send-keys -t bx-tmux Enter
    until tmux capture-pane -p -t bx-tmux | grep -q DONE42MARK; do sleep 0.05; done
    t1=$(date +%s%N)
    tm+=("$(((t1 - t0) / 1000000))")
    tmux kill-session -t bx-tmux
    say "tmux run $i: ${tm[-1]} ms"
  done
  local o t s e
  o=$(printf '%s\n' "${ours[@]}" | median); t=$(printf '%s\n' "${tm[@]}" | median)
  s=$(printf '%s\n' "${sess_us[@]}" | median); e=$(printf '%s\n' "${eng_us[@]}" | median)
  local limit added
  limit=$(awk -v t="$t" 'BEGIN { printf "%.0f", t * 1.3 }')
  added=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.2f", (s - e) / 1000 }')
  row "64 MiB through a session (ms)" "$o" "$limit (1.3x tmux)" "$(verdict_le "$o" "$limit")" "docker exec -it in tmux" "$t" "$(ratio "$o" "$t")"
  row "keystroke to echo, added (ms)" "$added" "5" "$(verdict_le "$added" 5)" "engine round trip" "$(awk -v e="$e" 'BEGIN {printf "%.2f", e/1000}')" "-"
  cleanup
}

# Prune of 100 stopped sandboxes vs the engine's own label-filtered prune.
bench_prune() {
  local out
  out=$(BOXDECK="$BIN" scripts/bench-prune.sh 2>&1 || true)
  echo "$out" | sed 's/^/bench: /' >&2
  local ours theirs
  ours=$(echo "$out" | sed -n 's/^boxdeck prune.*median \([0-9]*\) ms.*/\1/p' | head -1)
  theirs=$(echo "$out" | sed -n 's/^engine .*median \([0-9]*\) ms.*/\1/p' | head -1)
  local limit
  limit=$(awk -v t="$theirs" 'BEGIN { printf "%.0f", t * 1.5 }')
  row "prune 100 stopped sandboxes (ms)" "$ours" "$limit (1.5x engine)" "$(verdict_le "$ours" "$limit")" "docker container prune --filter label" "$theirs" "$(ratio "$ours" "$theirs")"
}

# Criterion: one frame of 1,000 rows.
bench_draw() {
  local out us
  out=$(cargo bench --quiet --bench draw 2>/dev/null | grep -E "time:" | head -1)
  us=$(echo "$out" | awk '{ v=$5; u=$6; if (u ~ /ns/) v/=1000; else if (u ~ /ms/) v*=1000; printf "%.1f", v }')
  row "draw a frame of 1,000 rows (µs)" "$us" "1000" "$(verdict_le "$us" 1000)" "-" "-" "-"
}

main() {
  command -v docker >/dev/null || { say "the docker CLI is needed"; exit 1; }
  docker info >/dev/null 2>&1 || { say "no engine at $ENGINE_URL (run scripts/engines.sh)"; exit 1; }
  say "building release binary"
  cargo build --release --quiet
  local wanted=("$@")
  [ ${#wanted[@]} -eq 0 ] && wanted=(ls startup idle logs session prune draw)
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
