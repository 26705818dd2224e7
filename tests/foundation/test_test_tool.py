"""tools/test.py and tools/dist_test.sh on a plain mmpretrain classifier config:
the accuracy they report equals the one computed from the dumped predictions."""
import pickle
import sys
import re
import shutil
from pathlib import Path

import pytest

from ..conftest import REPO_ROOT
from .test_tools import _run

CONFIG = REPO_ROOT / 'configs/stock/resnet18_1xb8-20it_photos-2cls.py'


@pytest.fixture(scope='module')
def photos_2cls(tmp_path_factory) -> Path:
    """{train,val}/{opencv,other}/*.jpg: real photos, class = the photo's source."""
    from mmcontrast.assets import scene_image_paths
    root = tmp_path_factory.mktemp('photos_2cls')
    for idx, path in enumerate(scene_image_paths()):
        split = 'val' if idx % 3 == 0 else 'train'
        label = 'opencv' if path.name.startswith('opencv_') else 'other'
        (root / split / label).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, root / split / label / path.name)
    return root


def _accuracy_in_log(log: str) -> float:
    return float(re.findall(r'accuracy/top1: ([0-9.]+)', log)[-1])


def _accuracy_of_dump(path: Path) -> float:
    with open(path, 'rb') as file:
        samples = pickle.load(file)
    correct = [int(s['pred_label'].item() == s['gt_label'].item()) for s in samples]
    return 100.0 * sum(correct) / len(correct)


def test_test_tool_and_dist_test(tmp_path, photos_2cls):
    options = ['--cfg-options', f'train_dataloader.dataset.data_root={photos_2cls}',
               f'val_dataloader.dataset.data_root={photos_2cls}',
               f'test_dataloader.dataset.data_root={photos_2cls}']
    _run([sys.executable, 'tools/train.py', str(CONFIG), '--work-dir', str(tmp_path / 'train')]
         + options + ['train_cfg.max_iters=4', 'train_cfg.val_interval=4',
                                        'default_hooks.checkpoint.interval=4'])
    checkpoint = tmp_path / 'train' / 'iter_4.pth'
    n_val = len(list(photos_2cls.glob('val/*/*.jpg')))

    log = _run([sys.executable, 'tools/test.py', str(CONFIG), str(checkpoint), '--work-dir',
                str(tmp_path / 'test'), '--out', str(tmp_path / 'preds.pkl')] + options)
    assert _accuracy_in_log(log) == pytest.approx(_accuracy_of_dump(tmp_path / 'preds.pkl'),
                                                  abs=1e-3)
    with open(tmp_path / 'preds.pkl', 'rb') as file:
        assert len(pickle.load(file)) == n_val

    log = _run(['bash', 'tools/dist_test.sh', str(CONFIG), str(checkpoint), '2', '--work-dir',
                str(tmp_path / 'dist_test'), '--out', str(tmp_path / 'dist_preds.pkl')] + options)
    assert _accuracy_in_log(log) == pytest.approx(_accuracy_of_dump(tmp_path / 'preds.pkl'),
                                                  abs=1e-3)
