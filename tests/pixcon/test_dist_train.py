"""The tiny config through the stock launcher: 2 gloo processes, then --resume."""
import json
import math
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mmcontrast import assets

from ..conftest import free_port

REPO = Path(__file__).resolve().parents[2]
CONFIG = 'configs/pixcon/pixcon_sr_r18_tiny_test.py'


def _train(work_dir: Path, data_root: Path, *extra: str) -> list[dict]:
    cmd = ['bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', str(work_dir), *extra,
           '--cfg-options', f'train_dataloader.dataset.data_root={data_root}']
    env = dict(os.environ, PORT=str(free_port()))
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (scalars, ) = work_dir.glob('*/vis_data/scalars.json')
    return [json.loads(line) for line in scalars.read_text().splitlines()]


def _losses(records: list[dict]) -> dict[int, float]:
    return {r['step']: r['loss'] for r in records if 'loss' in r}


@pytest.mark.skipif(shutil.which('bash') is None, reason='needs bash')
def test_two_process_run_and_resume_continue_the_same_loss_curve(tmp_path):
    data_root = assets.coco_image_folder(tmp_path / 'coco', num=16)
    full = _losses(_train(tmp_path / 'full', data_root))
    assert sorted(full) == [1, 2, 3, 4]  # 16 images / (2 processes x 4) = 2 iterations x 2 epochs
    assert all(math.isfinite(v) for v in full.values())
    resumed_dir = tmp_path / 'resumed'
    resumed_dir.mkdir()
    ckpt = shutil.copy(tmp_path / 'full' / 'epoch_1.pth', resumed_dir / 'epoch_1.pth')
    resumed = _losses(_train(resumed_dir, data_root, '--resume', str(ckpt)))
    assert sorted(resumed) == [3, 4]
    for step in (3, 4):
        assert resumed[step] == pytest.approx(full[step], rel=1e-5)
