"""Every transfer config parses, builds, downloads nothing, syncs every BN, has the
thesis protocol's output stride and schedule, and initialises from a converted R50."""
from __future__ import annotations

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
    'fcn_r50-d8_4xb4-80k_ade20k-512x512_pixcon.py':
        (8, 'max_iters', 80000, 'ADE20KDataset', 'IoUMetric'),
}


def test_every_config_is_listed():
    assert sorted(p.name for p in BENCHMARKS.glob('*.py')) == sorted(PROTOCOL)


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

    loaded = set()
    for part in parts:  # the heads' random init is no concern of the converter
        model.get_submodule(part).init_weights()
        state = model.get_submodule(part).state_dict()
        missing = sorted(set(state) - set(converted))
        assert state and not missing, (part, missing[:5])
        assert all(torch.equal(v, converted[k]) for k, v in state.items()), part
        loaded |= set(state)
    assert loaded == set(converted)  # the C4 model takes res2-4 and res5 from one file
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


def test_ade20k_is_slotcon_protocol():
    """SlotCon's transfer/segmentation/configs/ade20k/fcn_r50-d8_512x512_80k_ade20k.py
    (table 2.7 compares with it): FCN R50-D8 with its auxiliary head, 512 crops,
    80k iterations of 4 x 4 images, SGD 0.01 / wd 5e-4, poly decay to 1e-4."""
    cfg = Config.fromfile(str(BENCHMARKS / 'fcn_r50-d8_4xb4-80k_ade20k-512x512_pixcon.py'))
    backbone, head, aux = cfg.model.backbone, cfg.model.decode_head, cfg.model.auxiliary_head
    assert backbone.type == 'ResNet' and backbone.depth == 50  # plain stem, as pre-trained
    assert backbone.dilations == (1, 1, 2, 4) and backbone.strides == (1, 2, 1, 1)
    assert backbone.contract_dilation and backbone.norm_cfg.type == 'SyncBN'
    assert (head.type, head.channels, head.num_convs, head.concat_input, head.dropout_ratio,
            head.num_classes) == ('FCNHead', 512, 2, True, 0.1, 150)
    assert (aux.in_index, aux.num_classes, aux.loss_decode.loss_weight) == (2, 150, 0.4)
    steps = {t.type: t for t in cfg.train_dataloader.dataset.pipeline}
    assert steps['RandomResize'].scale == (2048, 512)
    assert steps['RandomResize'].ratio_range == (0.5, 2.0)
    assert steps['RandomCrop'].crop_size == (512, 512) and steps['RandomCrop'].cat_max_ratio == 0.75
    assert 'PhotoMetricDistortion' in steps and steps['LoadAnnotations'].reduce_zero_label
    assert cfg.train_dataloader.batch_size == 4
    assert cfg.optim_wrapper.optimizer.lr == 0.01
    assert cfg.optim_wrapper.optimizer.weight_decay == 0.0005
    (poly,) = cfg.param_scheduler
    assert (poly.type, poly.power, poly.eta_min, poly.end) == ('PolyLR', 0.9, 1e-4, 80000)
    assert cfg.model.test_cfg.mode == 'whole'
