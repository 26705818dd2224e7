"""The stock tools drive a plain mmpretrain config: train, --resume, and a
2-process gloo run through tools/dist_train.sh (then resumed the same way)."""
import os
import subprocess
import sys
from pathlib import Path

import torch

from ..conftest import REPO_ROOT, free_port

CONFIG = REPO_ROOT / 'configs/stock/densecl_resnet18_1xb8-40it_coco-mini.py'


def _options(coco_mini: Path, max_iters: int) -> list[str]:
    return ['--cfg-options', f'train_dataloader.dataset.data_root={coco_mini}',
            f'train_cfg.max_iters={max_iters}', 'train_dataloader.batch_size=4',
            'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1']


def _run(cmd: list[str], timeout: int = 300) -> str:
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1', PORT=str(free_port()))
    proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    return output


def _checkpoint(path: Path) -> dict:
    from mmengine.runner.checkpoint import _load_checkpoint
    return _load_checkpoint(str(path), map_location='cpu')


def test_train_then_resume(tmp_path, coco_mini):
    train = [sys.executable, 'tools/train.py', str(CONFIG), '--work-dir', str(tmp_path)]
    _run(train + _options(coco_mini, max_iters=2))
    first = _checkpoint(tmp_path / 'iter_2.pth')
    assert first['meta']['iter'] == 2

    log = _run(train + ['--resume'] + _options(coco_mini, max_iters=4))
    assert 'resumed' in log.lower()
    assert 'Iter(train) [4/4]' in log and 'Iter(train) [1/4]' not in log
    second = _checkpoint(tmp_path / 'iter_4.pth')
    assert second['meta']['iter'] == 4
    # the queue buffer moved on from the resumed state, not from a fresh init
    assert not torch.equal(first['state_dict']['queue'], second['state_dict']['queue'])


def test_dist_train_two_cpu_processes_and_resume(tmp_path, coco_mini):
    dist = ['bash', 'tools/dist_train.sh', str(CONFIG), '2', '--work-dir', str(tmp_path)]
    log = _run(dist + _options(coco_mini, max_iters=2))
    assert 'Distributed training: True' in log
    assert 'GPU number: 2' in log  # mmengine's name for the world size
    assert _checkpoint(tmp_path / 'iter_2.pth')['meta']['iter'] == 2

    log = _run(dist + ['--resume'] + _options(coco_mini, max_iters=4))
    assert 'Iter(train) [4/4]' in log and 'Iter(train) [1/4]' not in log
    assert _checkpoint(tmp_path / 'iter_4.pth')['meta']['iter'] == 4
