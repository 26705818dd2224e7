"""The contrastive refinement through the stock tools/train.py (and --resume)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / 'configs' / 'vsumm' / 'ctvsumm_4l1h_tvsum_canonical.py'


def _train(tmp_path, h5, anno, epochs, *extra):
    opts = [f'train_dataloader.dataset.ann_file={h5}', f'val_dataloader.dataset.ann_file={h5}',
            f'val_dataloader.dataset.tvsum_anno={anno}', 'model.in_dim=64', 'model.layers=1',
            'train_dataloader.batch_size=4', 'train_dataloader.dataset.frames=20',
            f'train_cfg.max_epochs={epochs}', 'optim_wrapper.optimizer.lr=1e-3']
    cmd = [sys.executable, str(ROOT / 'tools' / 'train.py'), str(CONFIG), '--work-dir',
           str(tmp_path), *extra, '--cfg-options', *opts]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout + done.stderr


def test_train_validates_every_epoch_and_resumes(tmp_path, tvsum_h5):
    h5, anno, _ = tvsum_h5
    log = _train(tmp_path, h5, anno, 1)
    assert 'vsumm/f1' in log and (tmp_path / 'epoch_1.pth').is_file()
    log = _train(tmp_path, h5, anno, 2, '--resume')
    assert 'resumed epoch: 1' in log
    assert (tmp_path / 'epoch_2.pth').is_file()
    assert log.count('vsumm/f1') >= 1
