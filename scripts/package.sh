#!/usr/bin/env bash
# Build Function Compute code packages: for each function, a static linux/amd64
# binary `main` for the go1 runtime (handler `main`) plus the Sensor and
# EventSource YAML it loads, zipped reproducibly into $DIST/<function>.zip.
#
#   scripts/package.sh [FUNCTION | FUNCTION=PACKAGE]...
#
# FUNCTION alone builds ./functions/FUNCTION; with no argument every directory
# under functions/ is built. Environment:
#   DIST    output directory (default dist)
#   CONFIG  configuration directory packed as config/ (default config; when it
#           does not exist, examples/ is packed instead, and the script says so).
#           CONFIG/<function>/, when present, is packed instead of all of CONFIG.
#   GO      the go command (default go)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

GO="${GO:-go}"
DIST="${DIST:-dist}"
CONFIG="${CONFIG:-config}"

if [ ! -d "$CONFIG" ]; then
  if [ "$CONFIG" = config ] && [ -d examples ]; then
    echo "package: no config/ directory; packing examples/ as each function's configuration (set CONFIG=DIR for yours)" >&2
    CONFIG=examples
  else
    echo "package: configuration directory $CONFIG does not exist" >&2
    exit 1
  fi
fi

targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  for d in functions/*/; do
    [ -d "$d" ] && targets+=("$(basename "$d")")
  done
fi
if [ "${#targets[@]}" -eq 0 ]; then
  echo "package: no function under functions/ to build" >&2
  exit 0
fi

mkdir -p "$DIST"
work="$(mktemp -d "${TMPDIR:-/tmp}/fcpack.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# The packer runs on the build machine, so it is built for the host.
"$GO" build -o "$work/fcpack" ./tools/fcpack

for t in "${targets[@]}"; do
  name="${t%%=*}"
  pkg="./functions/$name"
  if [ "$t" != "$name" ]; then
    pkg="${t#*=}"
  fi
  stage="$work/$name"
  mkdir -p "$stage/config"
  GOOS=linux GOARCH=amd64 CGO_ENABLED=0 \
    "$GO" build -trimpath -buildvcs=false -ldflags='-s -w -buildid=' -o "$stage/main" "$pkg"
  chmod 0755 "$stage/main"
  src="$CONFIG"
  if [ -d "$CONFIG/$name" ]; then
    src="$CONFIG/$name"
  fi
  # Only Sensor and EventSource YAML travel with the function.
  (cd "$src" && find . -type f \( -name '*.yaml' -o -name '*.yml' \) -print0) |
    while IFS= read -r -d '' f; do
      mkdir -p "$stage/config/$(dirname "$f")"
      cp "$src/$f" "$stage/config/$f"
      chmod 0644 "$stage/config/$f"
    done
  "$work/fcpack" -o "$DIST/$name.zip" -C "$stage"
  echo "package: $DIST/$name.zip ($pkg, configuration from $src)"
done
