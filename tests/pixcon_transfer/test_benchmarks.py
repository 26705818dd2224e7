"""Every benchmark config, as shipped and shrunk only by ``--cfg-options``
(tests/pixcon_transfer/shrink.py), fine-tunes a converted PixCon ResNet-50 for two
iterations on the fixture datasets and evaluates once, on CPU.

The default suite runs COCO Mask R-CNN here (detection) and the VOC FCN-d6 config
through the chain (test_chain.py, segmentation); the others are marked ``slow``."""
from __future__ import annotations

import math

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from .conftest import REPO
from .shrink import SHRINK, merge_options

BENCHMARKS = REPO / 'configs/pixcon/benchmarks'
DEFAULT = ('mask-rcnn_r50-syncbn_fpn_1x_coco_pixcon.py',)


def _metric_keys(chain_tool, name: str) -> set[str]:
    """The metrics the results table reads from this config's evaluation."""
    for bench in chain_tool.BENCHMARKS.values():
        if name in bench.configs.values():
            return {col.metric for col in bench.columns}
    raise KeyError(name)


def test_every_config_has_shrink_options():
    assert sorted(SHRINK) == sorted(p.name for p in BENCHMARKS.glob('*.py'))


@pytest.mark.parametrize('name', [
    pytest.param(name, marks=() if name in DEFAULT else pytest.mark.slow)
    for name in sorted(SHRINK)])
def test_two_iterations_and_one_evaluation(name, chain_tool, r50_backbone, transfer_data,
                                           tmp_path, monkeypatch):
    monkeypatch.chdir(transfer_data)  # the configs' own data roots: ./data/...
    path, converted = r50_backbone
    config = str(BENCHMARKS / name)
    init = [f'{key}={path}' for key in chain_tool.placeholder_keys(config)]
    cfg = merge_options(Config.fromfile(config), SHRINK[name] + init)
    cfg.work_dir, cfg.launcher = str(tmp_path / 'work'), 'none'
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None  # train.py --no-validate
    runner = Runner.from_cfg(cfg)
    assert not any(isinstance(m, torch.nn.SyncBatchNorm) for m in runner.model.modules())

    runner.train()
    assert runner.iter == 2
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert math.isfinite(loss) and loss > 0
    # initialised from the converted file, then fine-tuned (all stages train): two steps
    # move the stem by up to 40 % of its mean size (Cityscapes: lr 0.01, no warm-up);
    # a fresh init would differ by ~1.4x (two independent draws of the same scale)
    conv1 = runner.model.backbone.conv1.weight.detach()
    change = (conv1 - converted['conv1.weight']).abs().mean()
    assert 0 < change < 0.7 * converted['conv1.weight'].abs().mean()

    metrics = runner.test()
    keys = _metric_keys(chain_tool, name)
    assert keys <= set(metrics), sorted(metrics)
    for key in keys:
        top = 1 if '/' in key else 100  # mmdet AP in [0, 1], mmseg mIoU in percent
        assert 0 <= metrics[key] <= top, (key, metrics[key])
