#!/usr/bin/env bash
# Make screenshots/*.png of the real dashboard in a real terminal: xterm under Xvfb, driven
# through tmux (send-keys), captured with ImageMagick `import`. Needs Debian's xvfb, xterm,
# imagemagick and tmux (installed when missing and run as root) and a running engine
# (scripts/engines.sh). Creates only its own sandboxes (label boxdeck.screenshots=<id>) and
# removes them afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

HOST=${BOXDECK_SHOT_HOST:-unix:///var/run/docker.sock}
IMAGE=${BOXDECK_TEST_IMAGE:-boxdeck-test:latest}
OUT=screenshots
ID=shot-$$
LABEL="boxdeck.screenshots=$ID"
DISPLAY_NUM=:${BOXDECK_SHOT_DISPLAY:-77}
SESSION=boxdeck-shots-$$
COLS=150
ROWS=42

say() { echo "screenshots: $*" >&2; }

need=()
command -v Xvfb >/dev/null || need+=(xvfb)
command -v xterm >/dev/null || need+=(xterm)
command -v import >/dev/null || need+=(imagemagick)
command -v xwininfo >/dev/null || need+=(x11-utils)
command -v tmux >/dev/null || need+=(tmux)
fc-list 2>/dev/null | grep -qi "dejavu sans mono" || need+=(fonts-dejavu-core)
if ((${#need[@]})); then
  say "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

cargo build --release --quiet
BIN=$PWD/target/release/boxdeck
export DOCKER_HOST=$HOST

cfg=$(mktemp -d)
cat >"$cfg/config.toml" <<CFG
[profiles.default]
image = "$IMAGE"
[profiles.locked]
image = "$IMAGE"
CFG
export BOXDECK_CONFIG=$cfg/config.toml

cleanup() {
  tmux kill-session -t "$SESSION" 2>/dev/null || true
  [ -n "${XVFB_PID:-}" ] && kill "$XVFB_PID" 2>/dev/null || true
  [ -n "${XTERM_PID:-}" ] && kill "$XTERM_PID" 2>/dev/null || true
  local ids
  ids=$(docker ps -aq --filter "label=$LABEL" 2>/dev/null || true)
  [ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1 || true
  rm -rf "$cfg"
}
trap cleanup EXIT

say "creating demo sandboxes"
mk() { "$BIN" --host "$HOST" create --name "$1" --label "$LABEL" "${@:2}" >/dev/null; }
mk web-agent --project demo
mk test-runner --project demo --persist
mk scratch-1
mk scratch-2 --profile locked
mk data-cruncher --project etl
"$BIN" --host "$HOST" stop scratch-1 >/dev/null
# Coloured, chatty logs on web-agent (to PID 1's stdout, so they are container logs).
docker exec -d web-agent bash -c 'i=0; while true; do i=$((i+1));
  printf "\033[2m%s\033[0m \033[32mINFO\033[0m  request %d served in %d ms\n" "$(date +%T)" $i $((RANDOM%90+5));
  if ((i % 4 == 0)); then printf "\033[33mWARN\033[0m  slow upstream (%d ms)\n" $((RANDOM%900+300)) >&2; fi;
  sleep 0.5; done >/proc/1/fd/1 2>/proc/1/fd/2'
docker exec -d data-cruncher sh -c 'while true; do md5sum /bin/busybox >/dev/null; done'
"$BIN" --host "$HOST" run -d test-runner -- sh -c 'for i in $(seq 1 200); do echo "test $i ok"; sleep 0.3; done' >/dev/null 2>&1 || true
sleep 3

say "starting Xvfb and xterm"
Xvfb "$DISPLAY_NUM" -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 &
XVFB_PID=$!
export DISPLAY=$DISPLAY_NUM
for _ in $(seq 50); do xwininfo -root >/dev/null 2>&1 && break; sleep 0.1; done

tmux new-session -d -s "$SESSION" -x "$COLS" -y "$ROWS" \
  "env BOXDECK_CONFIG=$BOXDECK_CONFIG TERM=xterm-256color $BIN --host $HOST"
tmux set -t "$SESSION" status off
xterm -geometry "${COLS}x${ROWS}+0+0" -fa 'DejaVu Sans Mono' -fs 10 -bg '#1e1e2e' -fg '#cdd6f4' \
  -title boxdeck -e tmux attach -t "$SESSION" &
XTERM_PID=$!
sleep 4

win() { xwininfo -root -tree | awk '/"boxdeck"/ {print $1; exit}'; }
shot() {
  local name=$1
  sleep "${2:-1.5}"
  import -window "$(win)" "$OUT/$name.png"
  say "wrote $OUT/$name.png"
}
keys() { tmux send-keys -t "$SESSION" "$@"; }
filter_demo() { keys / ; keys -l "$1"; keys Enter; }

mkdir -p "$OUT"
# 1. The whole table, and the live logs of a chatty sandbox (select it with the filter, then
#    clear the filter: the selection stays).
filter_demo web-agent
keys Escape
shot dashboard 3
# 2. Inspect tab.
keys ']' ']' ']'
shot inspect
keys '[' '[' '['
# 3. A session: a real shell inside the dashboard, running a full-screen program.
filter_demo test-runner
keys Enter
sleep 2
keys -l 'ls -la --color=always /bin | head -5; echo $((6*7))'
keys Enter
shot session 2
keys -l 'top'
keys Enter
shot session-top 2
keys q
keys C-]
# 4. Processes tab of the sandbox with a detached job (the Sessions tab is current: one step).
keys Escape
filter_demo test-runner
keys ']'
sleep 2
keys Tab
keys k
shot processes 3
keys Tab '[' Escape
# 5. Help overlay.
keys '?'
shot help
keys Escape
# 6. Prune preview.
keys P
shot prune 2
keys Escape
say "done"
