#!/usr/bin/env bash
# Builds the native kernels (native/*.cc: convolutions on oneDNN, BatchNorm's sums) into
# build/native/clsa_kernels.node, where src/clsa/tensor/native-kernels.ts looks for them.
# Skips the compile when the module is newer than its source.
#
#   bash scripts/build-native.sh [--optional]
#
# Needs g++ and oneDNN's headers (Debian: libdnnl-dev; scripts/ci/install-onednn.sh installs
# both). The Node-API headers come with Node itself (include/node beside bin/node), so nothing is
# downloaded. --optional: where g++ or oneDNN is missing, say so and succeed; the engine then runs
# its convolutions on the wasm backend's kernels.
set -euo pipefail
cd "$(dirname "$0")/.."

OPTIONAL=false
[[ "${1:-}" == "--optional" ]] && OPTIONAL=true

SOURCES=(native/*.cc)
OUT=build/native/clsa_kernels.node

missing() {
  echo "build-native: $1, so the native convolution kernels are not built." >&2
  if [[ "$OPTIONAL" == true ]]; then
    echo "Continuing without them: training runs its convolutions on the wasm backend (several times slower)." >&2
    exit 0
  fi
  echo "Install them with: bash scripts/ci/install-onednn.sh (Debian: apt-get install libdnnl-dev g++)" >&2
  exit 1
}

up_to_date() {
  [[ -f "$OUT" && "$OUT" -nt "$0" ]] || return 1
  for file in native/*; do [[ "$OUT" -nt "$file" ]] || return 1; done
}
if up_to_date; then
  echo "native kernels up to date: $OUT" >&2
  exit 0
fi
command -v g++ >/dev/null 2>&1 || missing "g++ is not installed"
NODE_INCLUDE=$(node -p "require('node:path').resolve(process.execPath, '../../include/node')")
[[ -f "$NODE_INCLUDE/node_api.h" ]] || missing "this Node has no headers at $NODE_INCLUDE"
echo '#include <oneapi/dnnl/dnnl.hpp>' | g++ -std=c++17 -fsyntax-only -x c++ - 2>/dev/null ||
  missing "oneDNN's headers (libdnnl-dev) are not installed"

mkdir -p "$(dirname "$OUT")"
g++ -O3 -std=c++17 -shared -fPIC -fopenmp -Wall -Wextra \
  -DNODE_GYP_MODULE_NAME=clsa_kernels -I"$NODE_INCLUDE" \
  "${SOURCES[@]}" -ldnnl -o "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "built $OUT" >&2
