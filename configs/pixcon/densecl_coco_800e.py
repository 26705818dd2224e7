# Thesis table 2.1, row "DenseCL" (VOC det 56.7/81.7/63.0, COCO 39.6/35.7, City 75.8,
# VOC seg 71.6; the thesis takes this row from DenseCL [1]).
# DenseCL's own COCO recipe, as its authors trained it (configs/selfsup/densecl/
# densecl_coco_800ep.py of WXinlong/DenseCL): mmpretrain's DenseCL model (ResNet-50 with
# BN + MoCo shuffle BN, BN-free 2048-2048-128 global and dense heads, queues of 65,536,
# tau 0.2, lambda 0.5, constant EMA 0.999), MoCo-v2 augmentation, SGD lr 0.3 at
# 8 GPUs x 32 = 256 images/step, cosine to 0, no warm-up, fp32, 800 epochs.
# Train: bash tools/dist_train.sh configs/pixcon/densecl_coco_800e.py 8
# (other GPU counts: add --auto-scale-lr to scale lr 0.3 linearly from batch 256.)
_base_ = [
    './_base_/datasets/coco_mocov2.py',
    './_base_/schedules/densecl_sgd_coslr_800e.py',
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
train_dataloader = dict(batch_size=32, num_workers=4)
default_hooks = dict(checkpoint=dict(interval=40))  # the authors' checkpoint interval
find_unused_parameters = True  # as mmpretrain's own DenseCL config sets for DDP
