#!/usr/bin/env bash
# Shared by slurm_train.sh and slurm_test.sh: PARTITION JOB_NAME SCRIPT [args]
# under srun, one task per GPU. Environment: GPUS (8), GPUS_PER_NODE (8),
# CPUS_PER_TASK (5), SRUN_ARGS, PYTHON.
set -x
PARTITION=$1
JOB_NAME=$2
SCRIPT=$3
HERE="$(cd "$(dirname "$0")" && pwd)"
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}

PYTHONPATH="$HERE/..":$PYTHONPATH \
exec srun -p ${PARTITION} \
    --job-name=${JOB_NAME} \
    --gres=gpu:${GPUS_PER_NODE} \
    --ntasks=${GPUS} \
    --ntasks-per-node=${GPUS_PER_NODE} \
    --cpus-per-task=${CPUS_PER_TASK:-5} \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS:-} \
    "${PYTHON:-python}" -u "$HERE/$SCRIPT" "${@:4}" --launcher=slurm
