# Reproduces thesis table 2.1, row "DenseCL": mmpretrain's own DenseCL (MoCo-v2 pipeline,
# shuffle BN, constant momentum 0.999, no predictor, one direction) pointed at COCO
# train2017 for 800 epochs with the same optimiser and batch as PixCon.
_base_ = [
    './_base_/datasets/coco_mocov2.py',
    './_base_/schedules/sgd_coslr_800e.py',
    './_base_/default_runtime.py',
]
model = dict(
    type='DenseCL',
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    queue_len=65536,
    feat_dim=128,
    momentum=0.001,
    loss_lambda=0.5,
    backbone=dict(type='ResNet', depth=50, norm_cfg=dict(type='BN'), zero_init_residual=False),
    neck=dict(type='DenseCLNeck', in_channels=2048, hid_channels=2048, out_channels=128,
              num_grid=None),
    head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2))
