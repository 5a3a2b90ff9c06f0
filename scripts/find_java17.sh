#!/usr/bin/env bash
# Prints a JAVA_HOME with Java 17, the Java of Glue 5.1 and one pyspark 3.5 supports,
# installing the Debian package when none is found and the machine allows it.
# Prints nothing (and says why on standard error) when there is no way to get one.
is_java17() { "$1/bin/java" -version 2>&1 | grep -q 'version "17\.'; }

for home in "${JAVA_HOME:-}" /usr/lib/jvm/java-17-openjdk-* /usr/lib/jvm/*17*; do
  if [ -n "$home" ] && [ -x "$home/bin/java" ] && is_java17 "$home"; then echo "$home"; exit 0; fi
done
if java_path="$(command -v java)"; then
  home="$(dirname "$(dirname "$(readlink -f "$java_path")")")"
  if is_java17 "$home"; then echo "$home"; exit 0; fi
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "java: installing openjdk-17-jre-headless for the Spark tests" >&2
  if apt-get install -y -q openjdk-17-jre-headless >/dev/null 2>&1 || \
     { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q openjdk-17-jre-headless >/dev/null 2>&1; }; then
    for home in /usr/lib/jvm/java-17-openjdk-*; do
      if [ -x "$home/bin/java" ]; then echo "$home"; exit 0; fi
    done
  fi
fi
echo "java: no Java 17 found (JAVA_HOME, /usr/lib/jvm, PATH) and none could be installed" >&2
exit 0
