# Shared by ./scripts/run and ./scripts/test: make .venv and install what the given
# requirement files ask for (made from uv.lock by scripts/lock), then Puente itself, editable
# and without dependencies, for its commands (.venv/bin/puente-*, pyproject's [project.scripts]);
# only when those files or pyproject.toml changed since the last install.
ensure_venv() {
  local py="" req stamp want
  for cand in "${PYTHON:-}" python3.11 python3; do
    [ -n "$cand" ] || continue
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      py="$cand"; break
    fi
  done
  if [ ! -x .venv/bin/python ]; then
    if [ -z "$py" ]; then
      echo "Puente needs Python 3.11 (set PYTHON=/path/to/python3.11)." >&2
      exit 1
    fi
    echo "Creating .venv with $py ..." >&2
    "$py" -m venv .venv
  fi
  # The folder counts too: the editable install points at one checkout.
  want=$( (pwd; cat "$@" requirements.txt pyproject.toml 2>/dev/null) | sha256sum | cut -c1-16)
  stamp=".venv/.deps-$(basename "$1" .txt)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "Installing dependencies from $* (first time: a few minutes) ..." >&2
    .venv/bin/python -m pip install --quiet --upgrade pip >&2
    for req in "$@"; do
      .venv/bin/python -m pip install --quiet -r "$req" >&2
    done
    .venv/bin/python -m pip install --quiet --quiet --no-deps -e . >&2   # -qq hides setuptools' banner on editable installs
    echo "$want" > "$stamp"
  fi
}
