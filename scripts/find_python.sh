#!/usr/bin/env bash
# Prints the path of a Python X.Y interpreter (`find_python.sh 3.13`), or nothing when this
# machine has none: on PATH, under pyenv, or in /usr/bin and /usr/local/bin.
want="${1:?usage: find_python.sh X.Y}"
root="$(command -v pyenv >/dev/null 2>&1 && pyenv root)"
for candidate in "python$want" "$root/versions/$want"*/bin/"python$want" \
                 "$HOME/.pyenv/versions/$want"*/bin/"python$want" "/usr/bin/python$want" \
                 "/usr/local/bin/python$want"; do
  if path="$(command -v "$candidate" 2>/dev/null)" && \
     "$path" -c "import sys; assert '%d.%d' % sys.version_info[:2] == '$want'" 2>/dev/null; then
    echo "$path"
    exit 0
  fi
done
exit 0
