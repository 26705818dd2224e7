"""The stock tools never destroy what they did not write, and refuse a config that
would train without intermediate checkpoints: each refusal comes before any work,
exits with code 2 and names the option to use."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ..conftest import REPO_ROOT

CONFIG = REPO_ROOT / 'configs/stock/densecl_resnet18_1xb8-40it_coco-mini.py'


def _tool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=300, env=dict(os.environ, OMP_NUM_THREADS='1'))


def _options(coco_mini: Path, *extra: str) -> list[str]:
    return ['--cfg-options', f'train_dataloader.dataset.data_root={coco_mini}',
            'train_cfg.max_iters=2', 'train_dataloader.batch_size=4',
            'train_dataloader.num_workers=0', *extra]


@pytest.mark.parametrize('earlier', ['iter_2.pth', 'last_checkpoint'])
def test_train_refuses_a_work_dir_with_checkpoints_without_resume(tmp_path, coco_mini, earlier):
    work = tmp_path / 'work'
    work.mkdir()
    torch.save({'meta': {'iter': 2}}, work / 'iter_2.pth')
    if earlier == 'last_checkpoint':
        (work / 'iter_2.pth').rename(work / 'epoch_1.pth')
        (work / 'last_checkpoint').write_text(str(work / 'epoch_1.pth'))
    before = {p.name: p.read_bytes() for p in work.iterdir()}
    done = _tool('tools/train.py', str(CONFIG), '--work-dir', str(work), *_options(coco_mini))
    assert done.returncode == 2, done.stderr[-3000:]
    assert str(work) in done.stderr and '--resume' in done.stderr
    assert '--overwrite-work-dir' in done.stderr
    assert {p.name: p.read_bytes() for p in work.iterdir()} == before


def test_overwrite_work_dir_starts_over_explicitly(tmp_path, coco_mini):
    work = tmp_path / 'work'
    work.mkdir()
    torch.save({'meta': {'iter': 2}}, work / 'iter_2.pth')
    done = _tool('tools/train.py', str(CONFIG), '--work-dir', str(work), '--overwrite-work-dir',
                 *_options(coco_mini, 'default_hooks.checkpoint.interval=2'))
    assert done.returncode == 0, done.stderr[-3000:]
    from mmengine.runner.checkpoint import _load_checkpoint
    assert 'state_dict' in _load_checkpoint(str(work / 'iter_2.pth'), map_location='cpu')


@pytest.mark.parametrize('interval', ['0', '-1'])
def test_train_refuses_a_non_positive_checkpoint_interval(tmp_path, coco_mini, interval):
    work = tmp_path / 'work'
    done = _tool('tools/train.py', str(CONFIG), '--work-dir', str(work),
                 *_options(coco_mini, f'default_hooks.checkpoint.interval={interval}'))
    assert done.returncode == 2, done.stderr[-3000:]
    assert 'default_hooks.checkpoint.interval' in done.stderr and interval in done.stderr
    assert not work.exists()


def test_test_tool_refuses_an_existing_out_before_any_work(tmp_path):
    out = tmp_path / 'results.pkl'
    out.write_bytes(b'earlier results')
    done = _tool('tools/test.py', str(CONFIG), str(tmp_path / 'no_such_checkpoint.pth'),
                 '--work-dir', str(tmp_path / 'work'), '--out', str(out))
    assert done.returncode == 2, done.stderr[-3000:]
    assert str(out) in done.stderr and '--overwrite' in done.stderr
    assert 'no_such_checkpoint' not in done.stderr  # refused before loading anything
    assert out.read_bytes() == b'earlier results'
    assert not (tmp_path / 'work').exists()
