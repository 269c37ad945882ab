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

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-onednn: run as root (or install sudo): apt-get install libdnnl-dev g++" >&2
    exit 1
  fi
  as_root=(sudo)
fi

echo "--- installing libdnnl-dev and g++ from the Debian packages"
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libdnnl-dev g++ >/dev/null
echo "oneDNN installed: $(dpkg-query -W -f '${Version}' libdnnl-dev)"
