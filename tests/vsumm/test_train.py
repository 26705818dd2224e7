"""The contrastive refinement through the stock tools (train, --resume, dist_train.sh),
the split and sweep tools, and a planted-structure check of the filter H via the Runner."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

from ..conftest import free_port
from .h5fixture import synthetic_video, write_anno, write_h5

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / 'configs' / 'vsumm'
CONFIG = CONFIGS / 'ctvsumm_4l1h_tvsum_canonical.py'
TINY = ['model.in_dim=64', 'model.layers=1', 'train_dataloader.batch_size=4',
        'train_dataloader.dataset.frames=20', 'optim_wrapper.optimizer.lr=1e-3']


def _data_options(h5, anno=None) -> list[str]:
    opts = [f'{loader}_dataloader.dataset.ann_file={h5}' for loader in ('train', 'val', 'test')]
    if anno is not None:
        opts += [f'val_dataloader.dataset.tvsum_anno={anno}',
                 f'test_dataloader.dataset.tvsum_anno={anno}']
    return opts


def _run(cmd: list[str]) -> str:
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1', PORT=str(free_port()))
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    return done.stdout + done.stderr


def _train(launcher: list[str], work_dir, h5, anno, epochs, *extra, config=CONFIG) -> str:
    return _run([*launcher, str(config), *(['2'] if launcher[0] == 'bash' else []),
                 '--work-dir', str(work_dir), *extra, '--cfg-options', *_data_options(h5, anno),
                 *TINY, f'train_cfg.max_epochs={epochs}'])


def test_train_validates_every_epoch_and_resumes(tmp_path, tvsum_h5):
    h5, anno, _ = tvsum_h5
    train = [sys.executable, str(ROOT / 'tools' / 'train.py')]
    log = _train(train, tmp_path, h5, anno, 1)
    assert 'vsumm/f1' in log and (tmp_path / 'epoch_1.pth').is_file()
    log = _train(train, tmp_path, h5, anno, 2, '--resume')
    assert 'resumed epoch: 1' in log
    assert (tmp_path / 'epoch_2.pth').is_file()
    assert log.count('vsumm/f1') >= 1


def _last_scalars(work_dir: Path) -> tuple[float, float]:
    """(last training loss, last validation Kendall tau) of the newest run in
    ``work_dir``, at full precision (MMEngine's scalars.json)."""
    newest = max(work_dir.glob('*/vis_data/scalars.json'), key=lambda p: p.parent.parent.name)
    rows = [json.loads(line) for line in newest.read_text().splitlines()]
    return ([r['loss'] for r in rows if 'loss' in r][-1],
            [r['vsumm/kendall'] for r in rows if 'vsumm/kendall' in r][-1])


def test_resumed_training_is_bit_exact(tmp_path, tvsum_h5):
    """3 epochs in one go, and 2 then --resume to 3: same weights, loss and tau (the
    frame resampling and dropout draws of epoch 3 do not depend on the interruption)."""
    from mmengine.runner.checkpoint import _load_checkpoint
    h5, anno, _ = tvsum_h5
    train = [sys.executable, str(ROOT / 'tools' / 'train.py')]
    whole, parts = tmp_path / 'whole', tmp_path / 'parts'
    _train(train, whole, h5, anno, 3)
    _train(train, parts, h5, anno, 2)
    assert 'resumed epoch: 2' in _train(train, parts, h5, anno, 3, '--resume')
    weights = [_load_checkpoint(str(d / 'epoch_3.pth'), map_location='cpu')['state_dict']
               for d in (whole, parts)]
    assert weights[0].keys() == weights[1].keys()
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    assert _last_scalars(whole) == _last_scalars(parts)


def test_dist_train_two_gloo_processes_then_test_tool(tmp_path, summe_h5):
    h5, _, _ = summe_h5
    log = _train(['bash', 'tools/dist_train.sh'], tmp_path, h5, None, 1,
                 config=CONFIGS / 'ctvsumm_4l1h_summe_canonical.py')
    assert 'Distributed training: True' in log and 'GPU number: 2' in log
    assert 'vsumm/kendall' in log and (tmp_path / 'epoch_1.pth').is_file()
    log = _run([sys.executable, 'tools/test.py', str(CONFIGS / 'ctvsumm_4l1h_summe_canonical.py'),
                str(tmp_path / 'epoch_1.pth'), '--work-dir', str(tmp_path / 'test'),
                '--cfg-options', *_data_options(h5), *TINY])
    assert 'Epoch(test)' in log and 'vsumm/f1' in log


def _tool(name: str, config: str, work_dir, folder, *args) -> str:
    data = folder / 'eccv16_dataset_summe_google_pool5.h5'
    return _run([sys.executable, str(ROOT / 'tools' / 'vsumm' / name), str(CONFIGS / config),
                 '--work-dir', str(work_dir), *args, '--cfg-options', *_data_options(data),
                 *TINY, 'train_cfg.max_epochs=1'])


def test_train_splits_aggregates_every_split(tmp_path, eccv16_folder):
    log = _tool('train_splits.py', 'ctvsumm_4l1h_summe_canonical.py', tmp_path, eccv16_folder,
                '--splits', '0', '3')
    report = json.loads((tmp_path / 'splits.json').read_text())
    assert report['splits'] == [0, 3]
    assert (tmp_path / 'split_0' / 'epoch_1.pth').is_file()
    assert (tmp_path / 'split_3' / 'epoch_1.pth').is_file()
    for key in ('vsumm/f1', 'vsumm/kendall', 'vsumm/spearman'):
        values = [split['val'][key] for split in report['per_split']]
        stats = report['summary']['val'][key]
        assert stats['mean'] == pytest.approx(sum(values) / 2)
        assert stats['std'] == pytest.approx(abs(values[0] - values[1]) / 2)
    assert 'test' not in report['summary']  # its test set is the validation set
    assert 'mean ± std' in log and (tmp_path / 'splits.md').read_text().count('\n| ') >= 3


def test_sweep_writes_table_json_and_plot(tmp_path, eccv16_folder):
    log = _tool('sweep.py', 'ctvsumm_4l1h_summe_canonical.py', tmp_path, eccv16_folder,
                '--lambda1', '0.25', '0.5', '--ratio', '0.1', '--splits', '1')
    rows = json.loads((tmp_path / 'sweep.json').read_text())['rows']
    assert [(r['lambda1'], r['ratio']) for r in rows] == [(0.25, 0.1), (0.5, 0.1)]
    for row in rows:  # each pair is its own train_splits run
        pair = json.loads((tmp_path / f"l1_{row['lambda1']:g}_a_0.1" / 'splits.json').read_text())
        assert pair['summary'] == row['summary']
    table = (tmp_path / 'sweep.md').read_text()
    assert table.splitlines()[0].startswith('| λ1 | a | val f1') and table.count('\n') == 4
    assert (tmp_path / 'sweep.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert '| 0.25 | 0.1 |' in log


def _planted_videos(rng, keys, dim=16, steps=40):
    """Videos of 4-step shots: half drawn from 3 background vectors shared by every
    video, half from 3 vectors of the video's own. Labels: 1 = unique to the video."""
    background = rng.normal(size=(3, dim))
    videos, labels = {}, {}
    for key in keys:
        own = rng.normal(size=(3, dim))
        unique = rng.permutation(np.repeat([0, 1], steps // 8))
        centres = [own[rng.integers(3)] if u else background[rng.integers(3)] for u in unique]
        arrays = synthetic_video(rng, steps, dim)
        arrays['features'] = (np.repeat(centres, 4, axis=0) +
                              0.1 * rng.normal(size=(steps, dim))).astype(np.float32)
        videos[key], labels[key] = arrays, np.repeat(unique, 4)
    return videos, labels


def _auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """P(score of a positive > score of a negative), ties count half."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    return float(((pos[:, None] > neg[None]).sum() + 0.5 * (pos[:, None] == neg[None]).sum())
                 / (len(pos) * len(neg)))


def test_planted_structure_filter_finds_unique_frames_through_the_runner(tmp_path):
    import torch
    from mmengine.runner import Runner

    from mmvsumm.registry import MODELS
    from mmvsumm.splits import DATASETS
    videos, labels = _planted_videos(np.random.default_rng(0), DATASETS['tvsum'])
    h5, anno = tmp_path / 'eccv16_dataset_tvsum_google_pool5.h5', tmp_path / 'anno.tsv'
    write_h5(h5, videos)
    write_anno(anno, videos)
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict(dict(
        model=dict(in_dim=16, layers=1, segment=4), train_cfg=dict(max_epochs=8, val_interval=8),
        optim_wrapper=dict(optimizer=dict(lr=1e-3)), default_hooks=dict(checkpoint=None),
        train_dataloader=dict(batch_size=8, dataset=dict(ann_file=str(h5), frames=40)),
        val_dataloader=dict(dataset=dict(ann_file=str(h5), tvsum_anno=str(anno))),
        test_dataloader=dict(dataset=dict(ann_file=str(h5), tvsum_anno=str(anno)))))
    cfg.work_dir = str(tmp_path / 'work')
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model: more threads only add overhead
    try:
        runner = Runner.from_cfg(cfg)
        runner.train()
    finally:
        torch.set_num_threads(threads)
    test_keys = [item['name'].split('/')[-1] for item in runner.val_dataloader.dataset]
    truth = np.concatenate([labels[k] for k in test_keys])

    def filter_auc(net) -> float:
        with torch.no_grad():
            scores = [net.uniqueness(net.encode(torch.from_numpy(videos[k]['features'])[None]))[0]
                      for k in test_keys]
        return _auc(torch.cat(scores).numpy(), truth)

    trained = filter_auc(runner.model.net.eval())
    torch.manual_seed(0)
    untrained = filter_auc(MODELS.build(cfg.model).net.eval())
    print(f'filter AUC on held-out videos: {untrained:.3f} untrained, {trained:.3f} trained')
    assert trained > 0.9 and trained > untrained + 0.2


def test_yt8m_config_trains_on_streamed_tfrecords(tmp_path):
    import torch
    from mmengine.runner import Runner

    from .yt8m_writer import write_frame_tfrecord
    rng = np.random.default_rng(0)
    (tmp_path / 'frame').mkdir()
    for part in range(2):
        write_frame_tfrecord(tmp_path / 'frame' / f'train{part:04d}.tfrecord', [
            dict(vid=f'v{part}{i}', labels=[i], audio=None,
                 rgb=rng.integers(0, 256, size=(int(rng.integers(15, 40)), 1024), dtype=np.uint8))
            for i in range(3)])
    cfg = Config.fromfile(CONFIGS / 'ctvsumm-release_4l8h_yt8m_transfer.py')
    cfg.merge_from_dict(dict(
        model=dict(layers=1, d_model=32), train_cfg=dict(max_epochs=1),
        train_dataloader=dict(batch_size=4, num_workers=0,
                              dataset=dict(data_root=str(tmp_path), frames=20))))
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    before = [p.detach().clone() for p in runner.model.parameters()]
    runner.train()
    assert runner.iter == 1  # 6 videos, batches of 4, the partial batch dropped
    assert any(not torch.equal(a, b) for a, b in zip(before, runner.model.parameters()))
