#!/usr/bin/env bash
# Usage: bash tools/pixcon/pretrain_and_transfer.sh CONFIG GPUS [BENCHMARK ...] [options]
# Pre-train, convert, fine-tune and evaluate each benchmark, write the results table;
# options and stages: python tools/pixcon/pretrain_and_transfer.py --help
HERE="$(cd "$(dirname "$0")" && pwd)"
PYTHON=${PYTHON:-$([ -x "$HERE/../../.venv/bin/python" ] && echo "$HERE/../../.venv/bin/python" || echo python)}
exec "$PYTHON" "$HERE/pretrain_and_transfer.py" "$@"
