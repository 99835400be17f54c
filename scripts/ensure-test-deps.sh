#!/usr/bin/env bash
# Makes sure the real programs the tests drive are installed: nginx, redis-server (and redis-cli) and chromium
# (Debian packages). Installs them with apt-get when this is Debian/Ubuntu and we may; otherwise fails
# and says exactly what to install. Tests never skip because a program is missing.
set -euo pipefail

missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# redis-cli joins the test Redis Cluster (redis-cli --cluster create).
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
[ -x "${CHROMIUM_BIN:-/usr/bin/chromium}" ] || missing+=(chromium)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "Test dependencies missing: ${missing[*]}"
if command -v apt-get >/dev/null 2>&1; then
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo_cmd=(sudo -n)
    else
      echo "Cannot install them without root. Run: sudo apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The packages start system services on install where an init system runs; the tests start
  # their own instances on free ports, so those are not needed.
  echo "Installed: ${missing[*]}"
else
  echo "No apt-get here. Install these programs and make sure they are on PATH: ${missing[*]}" >&2
  exit 1
fi
