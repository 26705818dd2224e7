#!/usr/bin/env bash
# The main job of README.md on its embedded default: sets up .venv if anything is
# missing, then runs the CPU demo on real offline images. Extra arguments go to the demo.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/tools/setup_env.sh"
cd "$ROOT"
"$ROOT/.venv/bin/python" -m mmcontrast.assets coco-mini data/coco_mini
exec "$ROOT/.venv/bin/python" tools/train.py configs/stock/densecl_resnet18_1xb8-40it_coco-mini.py "$@"
