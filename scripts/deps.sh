#!/usr/bin/env bash
# Installs what building and testing aigw needs, when missing: the C libraries and tools from apt, and the pinned
# Python generators and test tools in .venv. Safe to run repeatedly; does nothing when all is present.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

packages=(libprotobuf-c-dev protobuf-c-compiler libhiredis-dev libcurl4-openssl-dev redis-server pkg-config)
python3 -c 'import ensurepip, venv' 2>/dev/null || packages+=(python3-venv)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing apt packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "swift is not on PATH: install Swift 6 (https://www.swift.org/install/) and retry" >&2
  exit 1
fi

# Python tools, re-installed when the pins change.
stamp=.venv/.requirements-stamp
if [ ! -x .venv/bin/python ] || ! cmp -s scripts/requirements-tools.txt "$stamp"; then
  echo "setting up .venv (pinned protobuf generator and pytest)"
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r scripts/requirements-tools.txt
  cp scripts/requirements-tools.txt "$stamp"
fi
