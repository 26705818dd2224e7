#!/usr/bin/env bash
# Shared by dist_train.sh and dist_test.sh: NPROC SCRIPT [args] under
# torch.distributed.run. Multi-node: NNODES, NODE_RANK, MASTER_ADDR, PORT as in
# OpenMMLab's scripts. Without CUDA the processes use gloo on the CPU.
NPROC=$1
SCRIPT=$2
HERE="$(cd "$(dirname "$0")" && pwd)"
PYTHON=${PYTHON:-$([ -x "$HERE/../.venv/bin/python" ] && echo "$HERE/../.venv/bin/python" || echo python)}

# exec keeps this shell's pid: the workers' parent, the torchrun agent, is $$
# (mmcontrast/launcher.py stops a worker whose launcher died before it asked to follow it)
MMCONTRAST_LAUNCHER_PID=$$ PYTHONPATH="$HERE/..":$PYTHONPATH \
exec "$PYTHON" -m torch.distributed.run \
    --nnodes=${NNODES:-1} \
    --node_rank=${NODE_RANK:-0} \
    --master_addr=${MASTER_ADDR:-"127.0.0.1"} \
    --nproc_per_node=$NPROC \
    --master_port=${PORT:-29500} \
    "$HERE/$SCRIPT" "${@:3}" --launcher pytorch
