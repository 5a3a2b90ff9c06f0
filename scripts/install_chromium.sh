#!/usr/bin/env bash
# Debian's Chromium for the report's browser test: prints its path, installing the package
# first when it is missing (as root, with apt-get). CHROMIUM may name another binary.
set -euo pipefail
found="${CHROMIUM:-$(command -v chromium || true)}"
if [ -n "$found" ] && [ -x "$found" ]; then
  echo "$found"
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "install_chromium: no chromium here, and apt-get needs root; install Debian's" \
       "'chromium' package or set CHROMIUM to a Chromium binary" >&2
  exit 1
fi
echo "install_chromium: installing Debian's chromium package (about a minute, once)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq chromium >&2
command -v chromium
