# Thesis table 2.1, row "BYOL (re-impl. with official weights)" (VOC det 55.7/81.8/61.6,
# COCO 39.5/35.6, City 75.3, VOC seg 70.2). The thesis evaluated released COCO weights and
# gives no BYOL recipe. This config is this repository's choice: mmpretrain's BYOL
# (4096-4096-256 heads, cosine-similarity loss, EMA 0.99 -> 1, SyncBN) with mmpretrain's
# BYOL crops (independent, no overlap guarantee) on COCO train2017 for 800 epochs at
# 4 GPUs x 128, LARS lr 4.8 at 4096 (mmpretrain's ImageNet BYOL) scaled linearly to 512
# -> 0.6, wd 1e-6, with PixCon's warm-up + cosine schedule and AMP.
# Train: bash tools/dist_train.sh configs/pixcon/byol_coco_800e.py 4
_base_ = [
    './_base_/datasets/coco_byol.py',
    './_base_/schedules/sgd_coslr_800e.py',
    './_base_/default_runtime.py',
]
model = dict(
    type='BYOL',
    base_momentum=0.01,
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(type='ResNet', depth=50, norm_cfg=dict(type='SyncBN'),
                  zero_init_residual=False),
    neck=dict(type='NonLinearNeck', in_channels=2048, hid_channels=4096, out_channels=256,
              num_layers=2, with_bias=True, with_last_bn=False, with_avg_pool=True),
    head=dict(
        type='LatentPredictHead',
        loss=dict(type='CosineSimilarityLoss'),
        predictor=dict(type='NonLinearNeck', in_channels=256, hid_channels=4096,
                       out_channels=256, num_layers=2, with_bias=True, with_last_bn=False,
                       with_avg_pool=False)))
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='LARS', lr=0.6, momentum=0.9, weight_decay=1e-6),
    paramwise_cfg=dict(custom_keys={
        'bn': dict(decay_mult=0, lars_exclude=True),
        'bias': dict(decay_mult=0, lars_exclude=True),
        'downsample.1': dict(decay_mult=0, lars_exclude=True),
    }))
