#!/usr/bin/env bash
# The main job of README.md on its embedded default: sets up .venv if anything is
# missing, then pre-trains PixCon-SR (ResNet-18, 96 px, 200 iterations) on the real
# offline photos and reports the dense-feature probe before vs after training
# (tools/pixcon_demo.py; a few minutes on 2 CPU cores). Extra arguments go to the demo.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/tools/setup_env.sh"
cd "$ROOT"
exec "$ROOT/.venv/bin/python" tools/pixcon_demo.py "$@"
