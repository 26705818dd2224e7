#!/usr/bin/env bash
# One prepared check of a GPU machine (<= 8 min on one H100/H200): see
# benchmarks/gpu_check.py for the sections. Writes gpu_check.json + gpu_check.md into
# the folder given as argument, else $OUT. `--smoke` runs every section tiny on a CPU
# machine in about a minute (the test suite does, so the script keeps working).
#   bash benchmarks/gpu_check.sh [--smoke] [OUT_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SMOKE=()
if [[ "${1:-}" == "--smoke" ]]; then SMOKE=(--smoke); shift; fi
DEST="${1:-${OUT:-}}"
if [[ -z "$DEST" ]]; then
  echo "gpu_check.sh: give an output folder as argument or set \$OUT" >&2
  exit 2
fi
mkdir -p "$DEST"
cd "$ROOT"
exec "$ROOT/.venv/bin/python" benchmarks/gpu_check.py "$DEST" "${SMOKE[@]}"
