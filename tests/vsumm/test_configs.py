"""The shipped MMEngine configs build the registered dataset and metric."""
from pathlib import Path

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


def test_runner_validates_the_zero_shot_model(tmp_path, tvsum_h5):
    from mmengine.runner import Runner

    from mmvsumm.evaluate import run_evaluation
    h5, anno, _ = tvsum_h5
    cfg = Config.fromfile(CONFIGS / 'zero_shot_tvsum.py')
    cfg.val_dataloader.dataset.update(ann_file=str(h5), tvsum_anno=str(anno), split_index=3)
    cfg.work_dir = str(tmp_path)
    metrics = Runner.from_cfg(cfg).val()
    want = run_evaluation(h5, 'tvsum', 'canonical', anno=anno).splits[3]
    assert metrics['vsumm/f1'] == pytest.approx(want.f1)
    assert metrics['vsumm/kendall'] == pytest.approx(want.kendall)
    assert metrics['vsumm/spearman'] == pytest.approx(want.spearman)
