# A plain mmpretrain DenseCL config, shrunk for a CPU: ResNet-18 at 96 px, batch 8,
# 40 iterations on the small COCO-style folder of real photos that
# `python -m mmcontrast.assets coco-mini data/coco_mini` assembles.
# It exercises the stock tools on an unmodified mmpretrain algorithm.
_base_ = 'mmpretrain::densecl/densecl_resnet50_8xb32-coslr-200e_in1k.py'

data_root = 'data/coco_mini/'
model = dict(
    queue_len=512,
    backbone=dict(depth=18),
    neck=dict(in_channels=512, hid_channels=512))

view_pipeline = [
    dict(type='RandomResizedCrop', scale=96, crop_ratio_range=(0.2, 1.), backend='pillow'),
    dict(type='RandomApply',
         transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4,
                          saturation=0.4, hue=0.1)],
         prob=0.8),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
         channel_weights=(0.114, 0.587, 0.2989)),
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.5),
    dict(type='RandomFlip', prob=0.5),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        _delete_=True,
        type='CustomDataset',
        data_root=data_root,
        data_prefix='train2017',
        with_label=False,
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
            dict(type='PackInputs'),
        ]))

optim_wrapper = dict(optimizer=dict(lr=0.03 * 8 / 256))
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=40)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=40, by_epoch=False, begin=0, end=40)]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=5),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=20, max_keep_ckpts=2))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
auto_scale_lr = dict(base_batch_size=8)
