#!/usr/bin/env bash
# Fetches S3Proxy (a second S3 implementation the publish tests run against) from Maven
# Central with Maven into .tools/s3proxy/s3proxy.jar. Skipped when the jar is there.
set -euo pipefail
VERSION="${S3PROXY_VERSION:-2.6.0}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="$ROOT/.tools/s3proxy"
JAR="$DIR/s3proxy-$VERSION.jar"
if [ -s "$JAR" ]; then echo "$JAR"; exit 0; fi
command -v mvn >/dev/null || { echo "install_s3proxy: Maven (mvn) is required" >&2; exit 1; }
echo "fetching S3Proxy $VERSION with Maven into .tools/s3proxy (once)" >&2
mkdir -p "$DIR"
mvn -q -B dependency:copy \
  -Dartifact="org.gaul:s3proxy:$VERSION:jar:jar-with-dependencies" \
  -DoutputDirectory="$DIR" -Dmdep.stripVersion=false >&2
mv "$DIR/s3proxy-$VERSION-jar-with-dependencies.jar" "$JAR"
echo "$JAR"
