# Shared by scripts/run, scripts/test and scripts/lock: a project virtualenv with Tend and its tools,
# installed from the lock files (every package pinned, with hashes). Reinstalls only when
# pyproject.toml or a lock file changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Tend needs Python 3.11 or newer (found: $("$PYTHON" --version 2>&1 || echo none)). Set PYTHON=/path/to/python3.11." >&2
  exit 1
fi
VENV="$ROOT/.venv"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
STAMP="$VENV/.tend-installed"
# TEND_EXTRAS=none installs only what Tend runs on (requirements.lock), as the Docker image does.
if [ "${TEND_EXTRAS:-dev}" = "none" ]; then LOCK=requirements.lock; else LOCK=requirements-dev.lock; fi
WANT="$(cat pyproject.toml "$LOCK" | sha256sum | cut -d' ' -f1)-$LOCK"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  echo "Installing Tend and its dependencies ($LOCK) into .venv ..." >&2
  "$VENV/bin/python" -m pip install --quiet --upgrade pip >&2
  "$VENV/bin/python" -m pip install --quiet --require-hashes -r "$LOCK" >&2
  "$VENV/bin/python" -m pip install --quiet --no-deps -e . >&2
  echo "$WANT" > "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
