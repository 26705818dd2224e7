"""Every transfer config parses, builds, downloads nothing, syncs every BN, has the
thesis protocol's output stride and schedule, and initialises from a converted R50."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from .conftest import REPO

BENCHMARKS = REPO / 'configs/pixcon/benchmarks'
# config -> (backbone output stride, training length, test dataset, test metric)
PROTOCOL = {
    'mask-rcnn_r50-syncbn_fpn_1x_coco_pixcon.py':
        (32, 'max_epochs', 12, 'CocoDataset', 'CocoMetric'),
    'faster-rcnn_r50-syncbn-c4_24k_voc0712_pixcon.py':
        (16, 'max_iters', 24000, 'VOCDataset', 'VOCMetric'),
    'fcn-d6_r50-d16_4xb4-30k_voc12aug-513x513_pixcon.py':
        (16, 'max_iters', 30000, 'PascalVOCDataset', 'IoUMetric'),
    'fpn_r50_4xb4-30k_voc12aug-513x513_pixcon.py':
        (32, 'max_iters', 30000, 'PascalVOCDataset', 'IoUMetric'),
    'fcn-d6_r50-d16_8xb2-90k_cityscapes-769x769_pixcon.py':
        (16, 'max_iters', 90000, 'CityscapesDataset', 'IoUMetric'),
    'fpn_r50_8xb2-90k_cityscapes-769x769_pixcon.py':
        (32, 'max_iters', 90000, 'CityscapesDataset', 'IoUMetric'),
    'fpn_r50_4xb4-80k_ade20k-512x512_pixcon.py':
        (32, 'max_iters', 80000, 'ADE20KDataset', 'IoUMetric'),
}


def test_every_config_is_listed():
    assert sorted(p.name for p in BENCHMARKS.glob('*.py')) == sorted(PROTOCOL)


@pytest.fixture(scope='module')
def r50_backbone(converter, tmp_path_factory) -> tuple[Path, dict]:
    """A random mmpretrain ResNet-50 saved as a self-supervised checkpoint, then converted."""
    from mmpretrain.models.backbones import ResNet
    torch.manual_seed(1)
    weights = ResNet(depth=50).state_dict()
    folder = tmp_path_factory.mktemp('r50')
    torch.save(dict(state_dict={f'backbone.{k}': v for k, v in weights.items()}),
               folder / 'selfsup.pth')
    out = converter.convert(str(folder / 'selfsup.pth'), str(folder / 'backbone.pth'))
    return folder / 'backbone.pth', out['state_dict']


def _build(cfg: Config) -> torch.nn.Module:
    if cfg.default_scope == 'mmdet':
        from mmdet.registry import MODELS
    else:
        from mmseg.registry import MODELS
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        return MODELS.build(cfg.model)


@pytest.mark.parametrize('name', sorted(PROTOCOL))
def test_config_builds_and_loads_the_converted_backbone(name, r50_backbone):
    stride, length_key, length, dataset, metric = PROTOCOL[name]
    cfg = Config.fromfile(str(BENCHMARKS / name))
    text = cfg.pretty_text
    assert '://' not in text, 'a transfer config must not download anything'
    assert cfg.model.get('pretrained') is None
    assert cfg.model.backbone.init_cfg.checkpoint == 'work_dirs/pixcon_backbone.pth'
    assert cfg.train_cfg[length_key] == length
    assert cfg.test_dataloader.dataset.type == dataset
    assert cfg.test_evaluator.type == metric

    path, converted = r50_backbone
    cfg.model.backbone.init_cfg.checkpoint = str(path)
    parts = ['backbone']
    if 'shared_head' in cfg.model.get('roi_head', {}):
        cfg.model.roi_head.shared_head.init_cfg.checkpoint = str(path)
        parts.append('roi_head.shared_head')
    model = _build(cfg)
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    assert norms and all(isinstance(m, torch.nn.SyncBatchNorm) for m in norms)

    for part in parts:  # the heads' random init is no concern of the converter
        model.get_submodule(part).init_weights()
        state = model.get_submodule(part).state_dict()
        assert state and all(torch.equal(v, converted[k]) for k, v in state.items()), part
    model.backbone.eval()
    with torch.no_grad():
        out = model.backbone(torch.zeros(1, 3, 64, 64))[-1]
    assert out.shape[-2:] == (64 // stride, 64 // stride)


def test_voc_detection_reports_coco_style_ap():
    """AP = mean VOC2007 (11-point) AP over IoU 0.50:0.05:0.95; AP50 and AP75 among them."""
    cfg = Config.fromfile(str(BENCHMARKS / 'faster-rcnn_r50-syncbn-c4_24k_voc0712_pixcon.py'))
    for evaluator in (cfg.val_evaluator, cfg.test_evaluator):
        assert evaluator.eval_mode == '11points'
        assert evaluator.iou_thrs == pytest.approx([0.5 + 0.05 * i for i in range(10)])
    assert cfg.test_dataloader.dataset.ann_file == 'VOC2007/ImageSets/Main/test.txt'
