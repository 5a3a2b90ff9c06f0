#!/usr/bin/env bash
# Builds, once, what a Glue for Spark version gives a job before its own modules are
# installed: the Python and the Spark of that version (`glue_runtime.sh 6.0` or `5.1`) and
# the libraries Glue provides that the job imports (numpy, boto3, pyarrow), as a
# virtualenv under .tools/glue-<version>. Prints its site-packages folder.
# The deploy tests install the deployed job's --additional-python-modules on top of it, in
# a virtualenv of their own, as Glue does on each node.
set -euo pipefail
VERSION="${1:?usage: glue_runtime.sh 6.0|5.1}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
case "$VERSION" in
  6.0) PY=3.13; SPARK=4.1.1 ;;   # Glue 6.0: Spark 4.1.1, Python 3.13
  5.1) PY=3.11; SPARK=3.5.6 ;;   # Glue 5.1: Spark 3.5.6, Python 3.11
  *) echo "glue_runtime: unknown Glue version $VERSION (6.0 or 5.1)" >&2; exit 2 ;;
esac
HOME_DIR="$ROOT/.tools/glue-$VERSION"
if [ ! -f "$HOME_DIR/.installed" ]; then
  python="$("$ROOT/scripts/find_python.sh" "$PY")"
  [ -n "$python" ] || { echo "glue_runtime: Glue $VERSION needs Python $PY, not found" >&2; exit 1; }
  echo "glue_runtime: Glue $VERSION = Python $PY + pyspark $SPARK, numpy, boto3, pyarrow into .tools/glue-$VERSION (once, about a minute)" >&2
  rm -rf "$HOME_DIR"
  "$python" -m venv "$HOME_DIR"
  "$HOME_DIR/bin/python" -m pip install --quiet --upgrade pip
  "$HOME_DIR/bin/python" -m pip install --quiet "pyspark==$SPARK" numpy boto3 pyarrow
  touch "$HOME_DIR/.installed"
fi
"$HOME_DIR/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'
