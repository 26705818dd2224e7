#!/usr/bin/env bash
# Usage: bash tools/dist_train.sh CONFIG GPUS [train.py options]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR, PORT (see tools/torchrun.sh).
exec bash "$(dirname "$0")/torchrun.sh" "$2" train.py "$1" "${@:3}"
