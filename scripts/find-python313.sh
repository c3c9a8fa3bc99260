#!/usr/bin/env bash
# Prints the path of a Python 3.13 interpreter (the functions' runtime), or explains how to get one.
set -euo pipefail
candidates=("${PYTHON313:-}" python3.13 "$(command -v pyenv >/dev/null 2>&1 && pyenv root)/versions/"3.13*/bin/python3.13 /usr/local/bin/python3.13 /usr/bin/python3.13)
for candidate in "${candidates[@]}"; do
  [ -n "$candidate" ] || continue
  if "$candidate" -c 'import sys; raise SystemExit(sys.version_info[:2] != (3, 13))' >/dev/null 2>&1; then
    "$candidate" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done
echo "error: Python 3.13 is required (the Lambda runtime of every function)." >&2
echo "       Install it (e.g. 'pyenv install 3.13' or your OS packages) or set PYTHON313=/path/to/python3.13." >&2
exit 1
