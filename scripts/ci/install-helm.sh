#!/usr/bin/env bash
# Installs helm for the deploy checks (test/deploy: `helm lint` and `helm template` of
# deploy/helm/clsa) unless the wanted version is already on PATH. Helm is built from its Go module
# through the Go module proxy (no download site is needed) into the cache, once; later runs reuse it.
#
#   bash scripts/ci/install-helm.sh          # prints the folder to put on PATH, last line: HELM_BIN=<path>
#   HELM_VERSION=v4.3.2 bash scripts/ci/install-helm.sh
#
# The test finds helm on PATH or in this cache folder, so putting it on PATH is optional.
set -euo pipefail

version="${HELM_VERSION:-v4.3.2}"
major="${version%%.*}" # v4 → module helm.sh/helm/v4
cache="${CLSA_CACHE_DIR:-$HOME/.cache/clsa}"
bin_dir="$cache/helm-$version/bin"

if command -v helm >/dev/null 2>&1; then
  found="$(helm version --template '{{.Version}}' 2>/dev/null || true)"
  if [ "$found" = "$version" ]; then
    echo "helm $version already on PATH: $(command -v helm)"
    echo "HELM_BIN=$(command -v helm)"
    exit 0
  fi
fi

if [ ! -x "$bin_dir/helm" ] || [ "$("$bin_dir/helm" version --template '{{.Version}}' 2>/dev/null)" != "$version" ]; then
  if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
    export PATH="/usr/local/go/bin:$PATH"
  fi
  if ! command -v go >/dev/null 2>&1; then
    echo "install-helm: neither helm $version nor a Go toolchain to build it is available" >&2
    exit 1
  fi
  echo "building helm $version from helm.sh/helm/$major into $bin_dir (a few minutes once; cached after)"
  mkdir -p "$bin_dir"
  started=$(date +%s)
  # -X sets the version helm reports, as helm's own Makefile does for release builds.
  GOBIN="$bin_dir" GOFLAGS="${GOFLAGS:-} -buildvcs=false" CGO_ENABLED=0 go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/$major/internal/version.version=$version" \
    "helm.sh/helm/$major/cmd/helm@$version"
  echo "built helm in $(($(date +%s) - started)) s"
fi

echo "helm $("$bin_dir/helm" version --template '{{.Version}}') at $bin_dir/helm"
echo "put it on PATH with: export PATH=\"$bin_dir:\$PATH\""
echo "HELM_BIN=$bin_dir/helm"
