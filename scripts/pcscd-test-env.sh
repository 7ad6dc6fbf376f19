#!/usr/bin/env bash
# PC/SC test environment for the warrant-card reader.
#
# CI needs nothing from this script: test/native-bridges/card-reader/pcsc.integration.test.ts
# starts its own pcscd (private mount namespace, own vpcd ports) and skips, naming the
# package, when pcscd, vsmartcard-vpcd or libpcsclite1 is missing. This is for people:
#
#   scripts/pcscd-test-env.sh check   exit 1 and say what is missing (apt packages)
#   scripts/pcscd-test-env.sh run     run the system pcscd in the foreground with Debian's
#                                     vpcd readers (ports 35963/35964), for the kiosk plus
#                                     `npm run sim -- card --vpcd --uid 04A1B2C3D4`; Ctrl-C stops it
set -euo pipefail

PACKAGES=(pcscd vsmartcard-vpcd libpcsclite1)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done

case "${1:-check}" in
  check)
    if [ ${#missing[@]} -gt 0 ]; then
      echo "pcscd-test-env: missing ${missing[*]}: apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
    echo "pcscd-test-env: ${PACKAGES[*]} installed"
    ;;
  run)
    if [ ${#missing[@]} -gt 0 ]; then
      echo "pcscd-test-env: missing ${missing[*]}: apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
    if [ -S /run/pcscd/pcscd.comm ] && pgrep -x pcscd >/dev/null; then
      echo "pcscd-test-env: a pcscd is already running; the vpcd readers are on it if /etc/reader.conf.d/vpcd was there when it started" >&2
      exit 1
    fi
    # Root is needed for /run/pcscd; the daemon logs to the terminal.
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    exec $SUDO "$(command -v pcscd || echo /usr/sbin/pcscd)" --foreground --info
    ;;
  *)
    echo "usage: $0 [check|run]" >&2
    exit 2
    ;;
esac
