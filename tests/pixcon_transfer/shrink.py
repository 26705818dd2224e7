"""The only changes the transfer tests make to the shipped benchmark configs, as
``--cfg-options`` pairs: smaller images and crops, fewer proposals (the C4 head runs
res5 on every RoI) and no detection score threshold, two iterations, no dataloader workers, no validation during
training. SyncBN needs no option: a non-distributed Runner reverts it to BN."""
from __future__ import annotations

import argparse

from mmengine.config import Config, DictAction

ITERATIONS = ['train_cfg.max_iters=2', 'train_cfg.val_interval=100']
# COCO's 1x schedule counts epochs: 4 fixture images at 2 per batch are 2 iterations.
EPOCHS = ['train_cfg.max_epochs=1', 'train_cfg.val_interval=100']
WORKERS = [f'{loader}.{key}' for loader in ('train_dataloader', 'val_dataloader',
                                            'test_dataloader')
           for key in ('num_workers=0', 'persistent_workers=False')]
# fewer proposals; and every detection is kept: after two iterations no box scores
# above the usual 0.05, and mmdet's CocoMetric reports nothing for an empty result set
DET_PROPOSALS = ['model.train_cfg.rpn_proposal.max_per_img=64',
                 'model.train_cfg.rcnn.sampler.num=32', 'model.test_cfg.rpn.max_per_img=32',
                 'model.test_cfg.rcnn.score_thr=0.0']
TEST_RESIZE = ['val_dataloader.dataset.pipeline.1.scale=(128,128)',
               'test_dataloader.dataset.pipeline.1.scale=(128,128)']


def _seg_crop(train_prefixes: list[str]) -> list[str]:
    """64x64 crops of images rescaled around a 64 short side (train pipeline steps 2
    RandomResize and 3 RandomCrop), whole-image test at a 64 short side."""
    train = [opt for prefix in train_prefixes for opt in (
        f'{prefix}.pipeline.2.scale=(256,64)', f'{prefix}.pipeline.3.crop_size=(64,64)')]
    test = [f'{loader}.dataset.pipeline.1.scale=(256,64)'
            for loader in ('val_dataloader', 'test_dataloader')]
    return train + test + ['model.data_preprocessor.size=(64,64)']


SHRINK: dict[str, list[str]] = {
    'mask-rcnn_r50-syncbn_fpn_1x_coco_pixcon.py':
        EPOCHS + WORKERS + DET_PROPOSALS + TEST_RESIZE
        + ['train_dataloader.dataset.pipeline.2.scale=(128,128)'],
    'faster-rcnn_r50-syncbn-c4_24k_voc0712_pixcon.py':
        ITERATIONS + WORKERS + DET_PROPOSALS + TEST_RESIZE
        + [f'train_dataloader.dataset.datasets.{i}.pipeline.2.scales=[(128,128)]'
           for i in (0, 1)],
    'fcn-d6_r50-d16_4xb4-30k_voc12aug-513x513_pixcon.py':
        ITERATIONS + WORKERS + _seg_crop([f'train_dataloader.dataset.datasets.{i}'
                                          for i in (0, 1)]),
    'fcn-d6_r50-d16_8xb2-90k_cityscapes-769x769_pixcon.py':
        ITERATIONS + WORKERS + _seg_crop(['train_dataloader.dataset'])
        + ['model.test_cfg.crop_size=(64,64)', 'model.test_cfg.stride=(48,48)'],
    'fcn_r50-d8_4xb4-80k_ade20k-512x512_pixcon.py':
        ITERATIONS + WORKERS + _seg_crop(['train_dataloader.dataset']),
}
SHRINK['fpn_r50_4xb4-30k_voc12aug-513x513_pixcon.py'] = \
    SHRINK['fcn-d6_r50-d16_4xb4-30k_voc12aug-513x513_pixcon.py']
SHRINK['fpn_r50_8xb2-90k_cityscapes-769x769_pixcon.py'] = \
    SHRINK['fcn-d6_r50-d16_8xb2-90k_cityscapes-769x769_pixcon.py']


def merge_options(cfg: Config, pairs: list[str]) -> Config:
    """Apply ``KEY=VALUE`` pairs exactly as ``tools/train.py --cfg-options`` does."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    cfg.merge_from_dict(parser.parse_args(['--cfg-options', *pairs]).cfg_options)
    return cfg
