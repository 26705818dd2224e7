"""A tiny Mask R-CNN (mmdet) and a tiny semantic FPN (mmseg) train one step on a real photo."""
import numpy as np
import pytest
import torch
from mmengine.hub import get_config
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope
from PIL import Image

SIZE = 128


@pytest.fixture(scope='module')
def photo() -> torch.Tensor:
    """(3, SIZE, SIZE) uint8 real photo."""
    from mmcontrast.assets import scene_image_paths
    with Image.open(scene_image_paths()[0]) as img:
        rgb = np.asarray(img.convert('RGB').resize((SIZE, SIZE)))
    return torch.from_numpy(rgb.copy()).permute(2, 0, 1).contiguous()


def _one_step(model: torch.nn.Module, data: dict) -> dict:
    """Run one SGD step; return the losses and check that the weights moved."""
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
    before = [p.detach().clone() for p in model.parameters() if p.requires_grad]
    model.train()
    losses = model.train_step(data, optim)
    after = [p.detach() for p in model.parameters() if p.requires_grad]
    assert all(torch.isfinite(v).all() for v in losses.values())
    moved = sum(not torch.equal(b, a) for b, a in zip(before, after))
    assert moved > len(before) // 2, f'only {moved}/{len(before)} tensors changed'
    return losses


def test_mask_rcnn_trains_one_step(photo):
    from mmdet.registry import MODELS
    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
    from mmdet.utils import register_all_modules
    from mmengine.structures import InstanceData
    register_all_modules(init_default_scope=False)
    cfg = get_config('mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py').model
    cfg.backbone.update(depth=18, init_cfg=None)
    cfg.neck.in_channels = [64, 128, 256, 512]
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg)

    boxes = torch.tensor([[10., 12., 70., 90.], [50., 40., 120., 110.]])
    masks = np.zeros((2, SIZE, SIZE), dtype=np.uint8)
    for mask, (x1, y1, x2, y2) in zip(masks, boxes.int().tolist()):
        mask[y1:y2, x1:x2] = 1
    sample = DetDataSample(metainfo=dict(img_shape=(SIZE, SIZE), ori_shape=(SIZE, SIZE),
                                         scale_factor=(1., 1.)))
    sample.gt_instances = InstanceData(bboxes=boxes, labels=torch.tensor([3, 17]),
                                       masks=BitmapMasks(masks, SIZE, SIZE))
    losses = _one_step(model, dict(inputs=[photo], data_samples=[sample]))
    assert {'loss_rpn_cls', 'loss_cls', 'loss_bbox', 'loss_mask'} <= set(losses)


def test_semantic_fpn_trains_one_step(photo):
    from mmengine.structures import PixelData
    from mmseg.registry import MODELS
    from mmseg.structures import SegDataSample
    from mmseg.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = get_config('mmseg::sem_fpn/fpn_r50_4xb2-80k_cityscapes-512x1024.py').model
    norm_cfg = dict(type='BN', requires_grad=True)
    cfg.pretrained = None
    cfg.backbone.update(depth=18, norm_cfg=norm_cfg)
    cfg.neck.in_channels = [64, 128, 256, 512]
    cfg.decode_head.norm_cfg = norm_cfg
    cfg.data_preprocessor.size = (SIZE, SIZE)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(cfg)

    labels = torch.zeros(1, SIZE, SIZE, dtype=torch.long)
    labels[:, SIZE // 2:] = 7
    labels[:, :, :10] = 255  # ignored pixels
    sample = SegDataSample(metainfo=dict(img_shape=(SIZE, SIZE), ori_shape=(SIZE, SIZE)))
    sample.gt_sem_seg = PixelData(data=labels)
    losses = _one_step(model, dict(inputs=[photo], data_samples=[sample]))
    assert 'decode.loss_ce' in losses
