#!/usr/bin/env bash
# Installs what the native addons (native/) build against: a C++ compiler, Debian's oneDNN
# (libdnnl-dev) for the convolution kernels and TurboJPEG (libturbojpeg0-dev) for the JPEG decoder.
# Does nothing when all three are there.
#
#   bash scripts/ci/install-native-deps.sh
#
# Needs root (or sudo) and the Debian package mirrors. Without them the engine runs the same ops in
# JavaScript, sharp and the wasm backend's kernels, slower, except under CI=true, where the native
# addon tests fail.
set -euo pipefail

if [ -f /usr/include/oneapi/dnnl/dnnl.hpp ] && [ -f /usr/include/turbojpeg.h ] && command -v g++ >/dev/null 2>&1; then
  echo "oneDNN and TurboJPEG headers and g++ already installed"
  exit 0
fi

bash "$(dirname "$0")/apt-install.sh" libdnnl-dev libturbojpeg0-dev g++
echo "installed: libdnnl-dev $(dpkg-query -W -f '${Version}' libdnnl-dev), libturbojpeg0-dev $(dpkg-query -W -f '${Version}' libturbojpeg0-dev)"
