#!/usr/bin/env bash
# Set up a Debian/Ubuntu machine to build, run and test Armoury Kiosk:
# system packages first, then the npm dependencies (which bring Node 24 with them).
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium: the browser shell and its e2e tests; socat: serial pty pairs for integration
# tests; xvfb/xauth: a display for the Electron e2e spec and screenshots; fonts for the UI;
# python3/make/g++: node-gyp, should an npm that ignores install-script approvals build a native module;
# pcscd, vsmartcard-vpcd, libpcsclite1: the PC/SC card-reader path, tested against a real pcscd;
# faketime: the unit tests run with the clock started at 08:00 in UTC+14 (scripts/unit-tests.mjs), to prove they read no wall clock;
# strace: the benchmark counts the terminal's fsyncs per draw and per return (npm run bench -- --peer-style).
# postgresql: the estate's database (npm run estate); its tests start clusters of their own.
PACKAGES=(ca-certificates chromium socat xvfb xauth fonts-dejavu-core python3 make g++ pcscd vsmartcard-vpcd libpcsclite1 util-linux faketime strace postgresql)
command -v npm >/dev/null || PACKAGES+=(nodejs npm) # any npm will do: `npm install` brings Node 24

missing=()
for p in "${PACKAGES[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

# Exactly what the lock file pins, on a clean node_modules.
npm ci --no-audit --no-fund
echo "setup: done. Node for builds and tests: $(node_modules/.bin/node --version)"
