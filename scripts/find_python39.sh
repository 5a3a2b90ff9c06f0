#!/usr/bin/env bash
# Prints the path of a Python 3.9 interpreter (Glue Python shell's version), or nothing.
exec "$(dirname "$0")/find_python.sh" 3.9
