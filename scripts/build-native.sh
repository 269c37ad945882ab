#!/usr/bin/env bash
# Builds the native addons into build/native, where src/clsa looks for them:
#   clsa_kernels.node  native/*.cc        convolutions on oneDNN, BatchNorm's sums
#                                         (src/clsa/tensor/native-kernels.ts)
#   clsa_pixels.node   native/pixels/*.cc the augmentation ops' per-pixel loops
#                                         (src/clsa/augment/pixel-kernels.ts)
#   clsa_jpeg.node     native/jpeg/*.cc   JPEG decoding on TurboJPEG (src/clsa/data/jpeg-decoder.ts)
# Skips an addon whose module is newer than its sources.
#
#   bash scripts/build-native.sh [--optional]
#
# Needs g++, oneDNN's headers for the kernels (Debian: libdnnl-dev) and TurboJPEG's for the
# decoder (libturbojpeg0-dev); scripts/ci/install-native-deps.sh installs all three. The Node-API
# headers come with Node itself (include/node beside bin/node), so nothing is downloaded.
# --optional: where something is missing, say so and succeed; the engine then runs the same ops in
# JavaScript, sharp and the wasm backend's kernels (slower, same results).
set -euo pipefail
cd "$(dirname "$0")/.."

OPTIONAL=false
[[ "${1:-}" == "--optional" ]] && OPTIONAL=true
KERNELS=build/native/clsa_kernels.node
PIXELS=build/native/clsa_pixels.node
JPEG=build/native/clsa_jpeg.node

missing() {
  echo "build-native: $1, so $2 is not built." >&2
  if [[ "$OPTIONAL" == true ]]; then
    echo "Continuing without it: its ops run in JavaScript and wasm instead (slower, same results)." >&2
    return 0
  fi
  echo "Install what it needs with: bash scripts/ci/install-native-deps.sh (Debian: apt-get install g++ libdnnl-dev libturbojpeg0-dev)" >&2
  exit 1
}

# up_to_date OUT FILE...: OUT exists and is newer than this script and every FILE.
up_to_date() {
  local out=$1
  shift
  [[ -f "$out" && "$out" -nt "$0" ]] || return 1
  for file in "$@"; do [[ "$out" -nt "$file" ]] || return 1; done
}

# compile OUT NAME FILES... -- EXTRA_FLAGS...
compile() {
  local out=$1 name=$2
  shift 2
  local sources=()
  while [[ $1 != -- ]]; do sources+=("$1"); shift; done
  shift
  mkdir -p "$(dirname "$out")"
  # -ffp-contract=off: no fused multiply-adds, so float steps round as Pillow's and tfjs's do
  g++ -O3 -std=c++17 -shared -fPIC -ffp-contract=off -Wall -Wextra \
    -DNODE_GYP_MODULE_NAME="$name" -I"$NODE_INCLUDE" "${sources[@]}" "$@" -o "$out.tmp"
  mv "$out.tmp" "$out"
  echo "built $out" >&2
}

PIXEL_FILES=(native/pixels/* native/napi-args.h)
KERNEL_FILES=(native/*.cc native/*.h)
JPEG_FILES=(native/jpeg/* native/napi-args.h)
if up_to_date "$PIXELS" "${PIXEL_FILES[@]}" && up_to_date "$KERNELS" "${KERNEL_FILES[@]}" &&
  up_to_date "$JPEG" "${JPEG_FILES[@]}"; then
  echo "native addons up to date: $KERNELS, $PIXELS, $JPEG" >&2
  exit 0
fi
if ! command -v g++ >/dev/null 2>&1; then
  missing "g++ is not installed" "any native addon"
  exit 0
fi
NODE_INCLUDE=$(node -p "require('node:path').resolve(process.execPath, '../../include/node')")
if [[ ! -f "$NODE_INCLUDE/node_api.h" ]]; then
  missing "this Node has no headers at $NODE_INCLUDE" "any native addon"
  exit 0
fi

up_to_date "$PIXELS" "${PIXEL_FILES[@]}" || compile "$PIXELS" clsa_pixels native/pixels/*.cc --
if ! up_to_date "$KERNELS" "${KERNEL_FILES[@]}"; then
  if echo '#include <oneapi/dnnl/dnnl.hpp>' | g++ -std=c++17 -fsyntax-only -x c++ - 2>/dev/null; then
    compile "$KERNELS" clsa_kernels native/*.cc -- -fopenmp -ldnnl
  else
    missing "oneDNN's headers (libdnnl-dev) are not installed" "$KERNELS"
  fi
fi
if ! up_to_date "$JPEG" "${JPEG_FILES[@]}"; then
  if echo '#include <turbojpeg.h>' | g++ -fsyntax-only -x c++ - 2>/dev/null; then
    compile "$JPEG" clsa_jpeg native/jpeg/*.cc -- -lturbojpeg
  else
    missing "TurboJPEG's headers (libturbojpeg0-dev) are not installed" "$JPEG"
  fi
fi
