#!/usr/bin/env bash
# Installs what the native convolution kernels (native/) build against: Debian's
# oneDNN (libdnnl-dev) and a C++ compiler. Does nothing when both are there.
#
#   bash scripts/ci/install-onednn.sh
#
# Needs root (or sudo) and the Debian package mirrors. Without them the engine runs its
# convolutions on the wasm backend's kernels, slower, except under CI=true, where the native
# kernel tests fail.
set -euo pipefail

if [ -f /usr/include/oneapi/dnnl/dnnl.hpp ] && command -v g++ >/dev/null 2>&1; then
  echo "oneDNN headers and g++ already installed"
  exit 0
fi

bash "$(dirname "$0")/apt-install.sh" libdnnl-dev g++
echo "oneDNN installed: $(dpkg-query -W -f '${Version}' libdnnl-dev)"
