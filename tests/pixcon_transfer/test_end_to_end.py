"""Converted tiny PixCon checkpoint -> the COCO Mask R-CNN transfer config (ResNet-18,
plain BN) -> one fine-tuning step on a real photo with a synthetic box and mask."""
from __future__ import annotations

import numpy as np
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope

from .conftest import REPO, SIZE

CONFIG = REPO / 'configs/pixcon/benchmarks/mask-rcnn_r50-syncbn_fpn_1x_coco_pixcon.py'


def _sample():
    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
    from mmengine.structures import InstanceData
    box = [20, 16, 100, 112]
    mask = np.zeros((1, SIZE, SIZE), dtype=np.uint8)
    mask[0, box[1]:box[3], box[0]:box[2]] = 1
    sample = DetDataSample(metainfo=dict(img_shape=(SIZE, SIZE), ori_shape=(SIZE, SIZE),
                                         scale_factor=(1., 1.)))
    sample.gt_instances = InstanceData(bboxes=torch.tensor([box], dtype=torch.float32),
                                       labels=torch.tensor([0]),
                                       masks=BitmapMasks(mask, SIZE, SIZE))
    return sample


def test_mask_rcnn_fine_tunes_from_the_converted_online_backbone(
        converter, pixcon_ckpt, pixcon_model, photo_uint8, tmp_path):
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    converted = tmp_path / 'pixcon_backbone.pth'
    converter.main([str(pixcon_ckpt), str(converted)])

    cfg = Config.fromfile(str(CONFIG))
    bn = dict(type='BN', requires_grad=True)  # SyncBN needs a process group
    cfg.merge_from_dict({
        'model.backbone.depth': 18, 'model.backbone.norm_cfg': bn,
        'model.backbone.init_cfg.checkpoint': str(converted),
        'model.neck.in_channels': [64, 128, 256, 512], 'model.neck.norm_cfg': bn,
        'model.roi_head.bbox_head.norm_cfg': bn, 'model.roi_head.mask_head.norm_cfg': bn})
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg.model)
    model.init_weights()

    online = pixcon_model.backbone.state_dict()
    loaded = model.backbone.state_dict()
    assert loaded.keys() == online.keys()
    assert all(torch.equal(loaded[k], online[k]) for k in online)
    conv1 = loaded['conv1.weight'].clone()

    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
    model.train()
    losses = model.train_step(dict(inputs=[photo_uint8], data_samples=[_sample()]), optim)
    assert {'loss_rpn_cls', 'loss_cls', 'loss_bbox', 'loss_mask'} <= set(losses)
    assert all(torch.isfinite(v).all() for v in losses.values())
    # all stages are fine-tuned (frozen_stages=-1), the stem included
    assert not torch.equal(model.backbone.conv1.weight, conv1)
