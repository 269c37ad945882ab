#!/usr/bin/env bash
# Builds the S3-compatible server the tests run against: versitygw (Apache-2.0), an S3 gateway over
# a folder, compiled from its Go module at a pinned version and cached. Idempotent: an existing
# binary is reused. Prints the binary's path as the last line of stdout.
#
# The path is the contract with test/support/s3-server.ts, which looks in the same place:
#   ${CLSA_CACHE_DIR:-$HOME/.cache/clsa}/s3/versitygw-v1.8.0/versitygw   (or $VERSITYGW_BIN)
#
# --optional: where Go is missing, say so and succeed (the tests then fall back to s3rver, except in CI).
set -euo pipefail

OPTIONAL=false
[[ "${1:-}" == "--optional" ]] && OPTIONAL=true

VERSION=v1.8.0
MODULE=github.com/versity/versitygw/cmd/versitygw

if [[ -n "${VERSITYGW_BIN:-}" ]]; then
  BIN=$VERSITYGW_BIN
else
  BIN="${CLSA_CACHE_DIR:-$HOME/.cache/clsa}/s3/versitygw-$VERSION/versitygw"
fi
DIR=$(dirname "$BIN")

if [[ -x "$BIN" ]]; then
  echo "versitygw $VERSION already built" >&2
  echo "$BIN"
  exit 0
fi

if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
  export PATH="/usr/local/go/bin:$PATH"
fi
if ! command -v go >/dev/null 2>&1; then
  echo "build-s3-server: 'go' is not on PATH, so versitygw $VERSION cannot be built." >&2
  if [[ "$OPTIONAL" == true ]]; then
    echo "Continuing without it: the tests will use S3_ENDPOINT if set, else the s3rver emulator." >&2
    exit 0
  fi
  echo "Install Go (1.24 or later), or point the tests at an existing S3-compatible server with" >&2
  echo "S3_ENDPOINT, S3_ACCESS_KEY and S3_SECRET_KEY." >&2
  exit 1
fi

started=$(date +%s)
echo "building versitygw $VERSION with $(go version) (module downloads come through the Go module proxy)..." >&2
mkdir -p "$DIR"
# Build into a private folder and move into place, so an interrupted or concurrent build never
# leaves a half-written binary at the path the tests trust.
staging=$(mktemp -d "$DIR/.build-XXXXXX")
trap 'rm -rf "$staging"' EXIT
GOBIN="$staging" CGO_ENABLED=0 go install -trimpath "$MODULE@$VERSION" >&2
mv -f "$staging/versitygw" "$BIN"
echo "built versitygw $VERSION in $(($(date +%s) - started))s" >&2
echo "$BIN"
