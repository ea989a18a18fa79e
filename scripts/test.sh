#!/usr/bin/env bash
# The whole test suite, against real Docker and Podman engines.
#
# On a fresh Debian machine (as root) this installs what it needs: the engines, the static
# busybox/bash for the offline test image, tmux, and the pocketdock CLI (for interop tests);
# starts dockerd and Podman's API service in the background; imports the test image; then runs
# every test. Under CI=true a missing engine fails the run instead of skipping tests.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "test.sh: $*" >&2; }

if ! scripts/engines.sh; then
  if [ "${CI:-}" = true ]; then
    say "engines are required under CI=true and could not be started"
    exit 1
  fi
  say "warning: engines unavailable; engine tests will be skipped"
fi

# tmux for the terminal fidelity tests, pocketdock for the interop tests.
if ! command -v tmux >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  say "installing tmux"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null 2>&1 || true
fi
if ! command -v pocketdock >/dev/null; then
  say "installing pocketdock (PyPI) for the interop tests"
  python3 -m pip install -q pocketdock >/dev/null 2>&1 || pip install -q pocketdock >/dev/null 2>&1 || true
fi

say "running cargo test"
cargo test --all-targets --locked --no-fail-fast "$@"
