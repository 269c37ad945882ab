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

bash "$(dirname "$0")/apt-install.sh" chromium
echo "chromium installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
