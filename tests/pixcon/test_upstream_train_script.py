"""The PixCon configs run under mmpretrain's own tools/train.py, which is what
`mim train mmpretrain CONFIG` executes (custom_imports brings mmpixcon in)."""
import importlib.util
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_mmpretrain_train_script_runs_the_tiny_pixcon_config(tmp_path, coco_mini):
    mmpretrain_dir = Path(importlib.util.find_spec('mmpretrain').origin).parent
    script = mmpretrain_dir / '.mim' / 'tools' / 'train.py'
    proc = subprocess.run(
        [sys.executable, str(script), str(REPO / 'configs/pixcon/pixcon_sr_r18_tiny_test.py'),
         '--work-dir', str(tmp_path), '--cfg-options',
         f'train_dataloader.dataset.data_root={coco_mini}', 'train_cfg.max_epochs=1'],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert 'Epoch(train) [1][4/4]' in proc.stdout + proc.stderr
    assert (tmp_path / 'epoch_1.pth').is_file()
