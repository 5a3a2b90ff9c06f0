#!/usr/bin/env bash
# Prints the path of a Python 3.9 interpreter (Glue's version), or nothing when there is none.
for candidate in python3.9 "$(command -v pyenv >/dev/null 2>&1 && pyenv root)/versions/"3.9*/bin/python3.9 \
                 "$HOME"/.pyenv/versions/3.9*/bin/python3.9 /usr/bin/python3.9 /usr/local/bin/python3.9; do
  if path="$(command -v "$candidate" 2>/dev/null)" && "$path" -c 'import sys; assert sys.version_info[:2] == (3, 9)' 2>/dev/null; then
    echo "$path"
    exit 0
  fi
done
exit 0
