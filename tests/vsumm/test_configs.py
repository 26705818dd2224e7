"""Every shipped mmvsumm config builds its model, datasets and metrics."""
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DATASETS, METRICS, init_default_scope

CONFIGS = Path(__file__).resolve().parents[2] / 'configs' / 'vsumm'


@pytest.mark.parametrize('name,fixture,videos', [('zero_shot_tvsum.py', 'tvsum_h5', 10),
                                                 ('zero_shot_summe.py', 'summe_h5', 5)])
def test_config_builds_dataset_and_metric(request, name, fixture, videos):
    h5, anno, _ = request.getfixturevalue(fixture)
    cfg = Config.fromfile(CONFIGS / name)
    init_default_scope(cfg.default_scope)
    data_cfg = cfg.val_dataloader.dataset
    data_cfg.ann_file = str(h5)
    if data_cfg.tvsum_anno is not None:
        data_cfg.tvsum_anno = str(anno)
    dataset = DATASETS.build(data_cfg)
    metric = METRICS.build(cfg.val_evaluator)
    assert len(dataset) == videos
    assert metric.protocol.dataset == data_cfg.dataset
    assert metric.protocol.f1_reduction == ('mean' if data_cfg.dataset == 'tvsum' else 'max')


@pytest.mark.parametrize('name,variant', [('zero_shot_tvsum.py', 'thesis'),
                                          ('zero_shot-release_tvsum.py', 'release')])
def test_runner_validates_the_zero_shot_model(tmp_path, tvsum_h5, name, variant):
    from mmengine.runner import Runner

    from mmvsumm.evaluate import run_evaluation
    from mmvsumm.metrics.protocol import Protocol
    from mmvsumm.presets import protocol_options
    h5, anno, _ = tvsum_h5
    cfg = Config.fromfile(CONFIGS / name)
    cfg.val_dataloader.dataset.update(ann_file=str(h5), tvsum_anno=str(anno), split_index=3)
    cfg.work_dir = str(tmp_path)
    metrics = Runner.from_cfg(cfg).val()
    want = run_evaluation(h5, 'tvsum', 'canonical', variant=variant, anno=anno,
                          protocol=Protocol('tvsum', **protocol_options(variant))).splits[3]
    assert metrics['vsumm/f1'] == pytest.approx(want.f1)
    assert metrics['vsumm/kendall'] == pytest.approx(want.kendall)
    assert metrics['vsumm/spearman'] == pytest.approx(want.spearman)


def test_release_zero_shot_summe_config():
    cfg = Config.fromfile(CONFIGS / 'zero_shot-release_summe.py')
    assert (cfg.model.variant, cfg.model.dataset) == ('release', 'summe')
    assert cfg.val_evaluator.dataset == 'summe' and cfg.val_evaluator.rank_level == 'step'


TRAIN_CONFIGS = sorted(p.name for p in CONFIGS.glob('*.py') if not p.name.startswith('zero'))


@pytest.fixture(scope='module')
def yt8m_folder(tmp_path_factory, eccv16_folder):
    """data/yt8m's layout: frame-level TFRecords and the two evaluation h5 files."""
    import shutil

    from .yt8m_writer import write_frame_tfrecord
    folder = tmp_path_factory.mktemp('yt8m')
    (folder / 'frame').mkdir()
    rng = np.random.default_rng(0)
    write_frame_tfrecord(folder / 'frame' / 'train0000.tfrecord', [
        dict(vid=f'v{i}', labels=[i], rgb=rng.integers(0, 256, size=(30 + i, 1024), dtype=np.uint8),
             audio=None) for i in range(4)])
    for name in ('tvsum', 'summe'):
        shutil.copy(eccv16_folder / f'eccv16_dataset_{name}_google_pool5.h5',
                    folder / f'{name}_inception_v3.h5')
    return folder


def _localised(cfg, eccv16: Path, yt8m: Path):
    """``cfg`` with the documented data/ folders pointed at the test folders."""
    def visit(node):
        if isinstance(node, dict):
            return {k: visit(v) for k, v in node.items()}
        if isinstance(node, (list, tuple)):
            return type(node)(visit(v) for v in node)
        if isinstance(node, str):
            return node.replace('data/eccv16/', f'{eccv16}/').replace('data/yt8m/', f'{yt8m}/')
        return node
    return Config(visit(cfg.to_dict()))


@pytest.mark.parametrize('name', TRAIN_CONFIGS)
def test_every_training_config_builds(name, eccv16_folder, yt8m_folder):
    from mmvsumm.splits import read_splits, shipped_split_file
    cfg = _localised(Config.fromfile(CONFIGS / name), eccv16_folder, yt8m_folder)
    init_default_scope(cfg.default_scope)
    from mmvsumm.registry import MODELS
    model = MODELS.build(cfg.model)
    assert model.net.project.in_features == 1024
    if '_4l1h_' in name:
        assert (len(model.net.encoder), model.net.encoder[0].heads) == (4, 1)
    sizes = {}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = DATASETS.build(cfg[loader].dataset)
        item = dataset[0]
        assert item['features'].ndim == 2 and len(dataset) > 0
        sizes[loader] = len(dataset)
    assert cfg.train_dataloader.batch_size == (128 if 'yt8m' in name else
                                               8 if 'summe' in name else 32)
    for key in ('val_evaluator', 'test_evaluator'):
        metric = METRICS.build(cfg[key])
        assert (metric.protocol.rank_level == 'step') == ('release' in name)
    if 'yt8m' in name:
        assert cfg.optim_wrapper.optimizer.weight_decay == 5e-4
        assert sizes == dict(train_dataloader=4, val_dataloader=50, test_dataloader=25)
        return
    data = cfg.val_dataloader.dataset
    split = read_splits(shipped_split_file(data.dataset, data.setting))[0]
    assert sizes['train_dataloader'] == len(split.train_keys)  # other datasets' h5 too
    assert sizes['val_dataloader'] == sizes['test_dataloader'] == len(split.test_keys)
    assert cfg.model.variant == ('release' if 'release' in name else 'thesis')
