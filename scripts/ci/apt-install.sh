#!/usr/bin/env bash
# Installs Debian packages for the test set-up, as root or through sudo.
#
#   bash scripts/ci/apt-install.sh PACKAGE...
#
# Needs the Debian package mirrors.
set -euo pipefail

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "apt-install: run as root (or install sudo): apt-get install $*" >&2
    exit 1
  fi
  as_root=(sudo)
fi

echo "--- installing $* from the Debian packages"
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
