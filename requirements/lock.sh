#!/usr/bin/env bash
# Pin each CI leg's environment: install the project's extras into a fresh venv, then pip freeze.
#   requirements/lock.sh            both legs
#   requirements/lock.sh tf2|tf1    one leg
# Writes requirements/tf2-py<X.Y>.txt (the machine's python3) and requirements/tf1.15-py3.7.txt;
# .ci/run installs with them as constraints, so every leg gets exactly what produced results/.
set -euo pipefail
cd "$(dirname "$0")/.."
. requirements/legs.sh

lock() {  # lock INTERPRETER EXTRAS FILE
    local venv
    venv="$(mktemp -d)/venv"
    "$1" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet -e ".[$2]"
    { echo "# pip freeze of a fresh venv: $1 -m pip install -e \".[$2]\" ($(date -u +%Y-%m-%d))"
      echo "# regenerate with requirements/lock.sh"
      "$venv/bin/python" -m pip freeze --exclude-editable; } > "$3.tmp"
    mv "$3.tmp" "$3"
    rm -rf "$(dirname "$venv")"
    echo "wrote $3"
}

for leg in "${@:-tf2 tf1}"; do
    for name in $leg; do
        case "$name" in
            tf2) lock python3 "$TF2_EXTRAS" "$(tf2_lock)" ;;
            tf1) py37="$(python37)" || { echo "lock.sh: no Python 3.7 found (pyenv install 3.7.16)" >&2; exit 1; }
                 lock "$py37" "$TF1_EXTRAS" "$TF1_LOCK" ;;
            *) echo "usage: requirements/lock.sh [tf2|tf1]" >&2; exit 2 ;;
        esac
    done
done
