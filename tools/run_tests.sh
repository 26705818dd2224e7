#!/usr/bin/env bash
# The test command of README.md: sets up .venv if anything is missing, then runs
# the default suite (long checks are marked `slow` and left out; pass `-m slow`
# to run them). Extra arguments go to pytest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/tools/setup_env.sh"
cd "$ROOT"
exec "$ROOT/.venv/bin/python" -m pytest "$@"
