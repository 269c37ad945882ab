#!/usr/bin/env bash
# Installs Debian's chromium for the web console's browser tests (test/console: playwright-core
# drives /usr/bin/chromium; no browser is downloaded by npm). Does nothing when it is already there.
#
#   bash scripts/ci/install-chromium.sh
#
# Needs root (or sudo) and the Debian package mirrors. Without chromium the console tests skip,
# saying why, except under CI=true, where they fail.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "chromium already installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-chromium: run as root (or install sudo): apt-get install chromium" >&2
    exit 1
  fi
  as_root=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
echo "--- installing chromium from the Debian packages"
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
echo "chromium installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
