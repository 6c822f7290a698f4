#!/usr/bin/env bash
# Installs what ckm needs to build and test on Debian 12 (run as root).
# Does nothing, and needs no network, when everything is already installed.
set -euo pipefail

packages=(build-essential cmake ninja-build pkg-config librocksdb-dev
          libflatbuffers-dev flatbuffers-compiler libabsl-dev catch2
          libcli11-dev zlib1g-dev libsqlite3-dev python3
          nats-server libnats-dev)
# Extra packages for optional builds come as arguments, e.g. the fuzz build:
#   bash scripts/setup.sh clang libclang-rt-14-dev
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$p")
  fi
done

if (( ${#missing[@]} == 0 )); then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "setup: installing ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  echo "setup: need root to run apt-get (try: sudo bash scripts/setup.sh)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"

# The nats-server package enables a system service. ckm's tests start their
# own servers on 127.0.0.1 and free ports, and need none running: a server
# this script installed is stopped and disabled (where systemd runs).
if [[ " ${missing[*]} " == *" nats-server "* ]] && [[ -d /run/systemd/system ]]; then
  systemctl disable --now nats-server.service >/dev/null 2>&1 || true
fi
