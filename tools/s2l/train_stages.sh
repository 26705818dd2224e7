#!/usr/bin/env bash
# Train S2L in two stages: stage A (alignment: compressor on captions, LLM frozen), then
# stage B (S2L: LoRA + <loc> + context matching) starting from stage A's last checkpoint.
#   bash tools/s2l/train_stages.sh STAGE_A_CONFIG STAGE_B_CONFIG WORK_DIR [tools/train.py options]
# writes WORK_DIR/stage_a and WORK_DIR/stage_b (its s2l_pretrained/ is the final model).
# Options after WORK_DIR (e.g. --cfg-options train_cfg.max_iters=2) go to both stages.
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 STAGE_A_CONFIG STAGE_B_CONFIG WORK_DIR [tools/train.py options]" >&2
    exit 2
fi
STAGE_A=$1; STAGE_B=$2; WORK_DIR=$3; shift 3
TOOLS=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-python}
"$PYTHON" "$TOOLS/train.py" "$STAGE_A" --work-dir "$WORK_DIR/stage_a" "$@"
if [ ! -s "$WORK_DIR/stage_a/last_checkpoint" ]; then
    echo "$0: stage A wrote no $WORK_DIR/stage_a/last_checkpoint; stage B cannot start" >&2
    exit 1
fi
# --cfg-options after the user's own: load_from is always stage A's checkpoint
"$PYTHON" "$TOOLS/train.py" "$STAGE_B" --work-dir "$WORK_DIR/stage_b" "$@" \
    --cfg-options "load_from=$(cat "$WORK_DIR/stage_a/last_checkpoint")"
